"""``python -m training build``: corpora -> lexicons + composed pages, split by site.

Writes ``var/training/examples.jsonl`` (one composed page per line, with its
split, site, recipe, labels and spans) and ``var/training/lexicons.joblib``.
Neither is committed; both are rebuilt from ``../shared/data`` on demand.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict
from pathlib import Path

import joblib

from training.corpora import Doc, load_all
from training.examples import Example
from training.lexicons import build_lexicons
from training.pools import SPLITS, build_pools, site_split
from training.recipes_html import HtmlComposer

# Pages per recipe in the training split; dev and test get DEV_TEST_SHARE of these.
RECIPE_COUNTS = {
    "clean_article": 5200, "clean_short": 1300, "clean_html": 1300,
    "injected": 3600, "injected_html": 900,
    "farm_wall": 1300, "farm_stub": 1300, "farm_stitched": 1000, "farm_teasers": 700, "farm_html": 500,
    "fabricated": 3300, "docfarm": 1100, "clean_counterpart": 1500,
}
DEV_TEST_SHARE = 0.2
LLM_DOMAIN_WEIGHTS = {"composition": 0.6, "paper": 0.35, "film_review": 0.05}


def english_articles(docs: list[Doc]) -> list[Doc]:
    """English benchmark pages as article docs (their gold article text)."""
    out = []
    for d in docs:
        if d.kind == "html" and d.lang == "en" and len(d.text) > 300:
            first = d.text.split("\n", 1)[0].strip()
            title = first if len(first) <= 120 else ""
            body = d.text[len(first):].strip() if title else d.text
            out.append(Doc(doc_id=d.doc_id + "/text", source=d.source, kind="article", text=body, title=title,
                           lang="en", site=d.site))
    return out


class SplitDocs:
    """The documents of one split, grouped by what recipes need."""

    def __init__(self, docs: list[Doc], split: str):
        mine = [d for d in docs if site_split(d.site) == split]
        self.articles_zh = [d for d in mine if d.kind == "article" and d.lang == "zh"]
        self.cred_human = [d for d in self.articles_zh if d.source == "c-red"]
        # human texts of the domains the machine-written ones come from: the fabricated pages' counterparts
        self.counterparts = [d for d in self.cred_human if d.meta.get("domain") in LLM_DOMAIN_WEIGHTS]
        self.articles_en = [d for d in english_articles(mine)]
        self.short = [d for d in mine if d.kind == "short"]
        self.llm = {dom: [d for d in mine if d.kind == "llm" and d.meta.get("domain") == dom] for dom in LLM_DOMAIN_WEIGHTS}
        self.html = [d for d in mine if d.kind == "html"]
        self.html_articles = [d for d in self.html if d.meta.get("role") == "article"]
        self.news_titled = [d for d in self.articles_zh if d.title and d.source in {"c-red", "cmrc2018"}]
        self.mentions: list[Doc] = []  # clean articles that mention spam vocabulary in context

    def find_mentions(self, lexicons) -> None:
        """Clean articles whose own text matches the spam lexicons: hard negatives (casino news, drug busts)."""
        from service.analysis.text import normalize

        self.mentions = [d for d in self.articles_zh + self.articles_en if lexicons.matches(normalize(d.text))]

    def article(self, rng: random.Random, en_share: float = 0.15) -> Doc:
        if self.articles_en and rng.random() < en_share:
            return rng.choice(self.articles_en)
        if self.cred_human and rng.random() < 0.35:
            return rng.choice(self.cred_human)
        return rng.choice(self.articles_zh)

    def llm_doc(self, rng: random.Random) -> Doc:
        domain = rng.choices(list(LLM_DOMAIN_WEIGHTS), weights=list(LLM_DOMAIN_WEIGHTS.values()))[0]
        return rng.choice(self.llm[domain] or [d for v in self.llm.values() for d in v])


def compose_split(split: str, docs: list[Doc], pools, rng: random.Random, scale: float, lexicons) -> list[Example]:
    sd = SplitDocs(docs, split)
    sd.find_mentions(lexicons)
    c = HtmlComposer(pools, split, rng)
    factor = scale * (1.0 if split == "train" else DEV_TEST_SHARE)
    out: list[Example] = []
    for recipe, count in RECIPE_COUNTS.items():
        for _ in range(max(1, int(count * factor))):
            out.append(_one(recipe, c, sd, rng))
    rng.shuffle(out)
    return out


def _one(recipe: str, c: HtmlComposer, sd: SplitDocs, rng: random.Random) -> Example:
    if recipe == "clean_article":
        if sd.mentions and rng.random() < 0.12:
            return c.clean_article(rng.choice(sd.mentions))
        return c.clean_article(sd.article(rng, en_share=0.25))
    if recipe == "clean_short":
        return c.clean_short(rng.choice(sd.short))
    if recipe == "clean_html":
        return c.clean_html(rng.choice(sd.html))
    if recipe == "injected":
        return c.injected(sd.article(rng, en_share=0.2))
    if recipe == "injected_html":
        return c.injected_html(rng.choice(sd.html_articles))
    if recipe == "farm_wall":
        return c.farm_wall(sd.llm_doc(rng) if rng.random() < 0.25 else sd.article(rng))
    if recipe == "farm_stub":
        return c.farm_stub(rng.choice(sd.articles_en) if rng.random() < 0.2 else sd.article(rng, 0))
    if recipe == "farm_stitched":  # one language per page, as real mirrors are
        en = rng.random() < 0.15 and len(sd.articles_en) >= 6
        return c.farm_stitched([rng.choice(sd.articles_en) if en else sd.article(rng, en_share=0)
                                for _ in range(rng.randint(2, 6))])
    if recipe == "farm_teasers":
        if rng.random() < 0.4 and sd.articles_en:
            return c.farm_teasers(rng.sample(sd.articles_en, min(len(sd.articles_en), rng.randint(6, 15))))
        pool = sd.news_titled if rng.random() < 0.7 else [sd.llm_doc(rng) for _ in range(30)]
        return c.farm_teasers(rng.sample(pool, rng.randint(6, 15)))
    if recipe == "farm_html":
        return c.farm_html(rng.choice(sd.html_articles))
    if recipe == "fabricated":
        return c.fabricated(sd.llm_doc(rng))
    if recipe == "clean_counterpart":  # laid out as fabricated pages are, so that layout decides nothing
        return c.counterpart(rng.choice(sd.counterparts or sd.cred_human or sd.articles_zh))
    if recipe == "docfarm":
        parts = [sd.llm_doc(rng) if rng.random() < 0.5 else sd.article(rng, 0) for _ in range(rng.randint(2, 5))]
        return c.docfarm(parts)
    raise ValueError(recipe)


def build(data: Path, out_dir: Path, seed: int = 13, scale: float = 1.0, progress: bool = True) -> dict:
    """Build lexicons and composed examples; return a summary with the dataset hash."""
    rng = random.Random(seed)
    docs = load_all(data)
    lexicons = build_lexicons(data, docs)
    pools = build_pools(docs, lexicons, rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    examples_path = out_dir / "examples.jsonl"
    digest = hashlib.sha256()
    counts: dict[str, dict[str, int]] = {}
    with examples_path.open("w", encoding="utf-8") as fh:
        for split in SPLITS:
            examples = compose_split(split, docs, pools, rng, scale, lexicons)
            counts[split] = {}
            for ex in examples:
                line = json.dumps(asdict(ex), ensure_ascii=False)
                fh.write(line + "\n")
                digest.update(line.encode("utf-8"))
                key = "+".join(ex.labels) or "clean"
                counts[split][key] = counts[split].get(key, 0) + 1
    joblib.dump(lexicons, out_dir / "lexicons.joblib", compress=3)
    summary = {"examples": str(examples_path), "dataset_sha256": digest.hexdigest(),
               "lexicon_sha256": lexicons.source_hash, "counts": counts, "seed": seed, "scale": scale,
               "code_sha256": composing_code_hash(), "sources": sorted({d.source for d in docs})}
    (out_dir / "build.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary


# The modules whose code decides what the composed set holds; their source hash is kept in build.json, and a
# set built by other code is rebuilt rather than reused (see training.pipeline.ensure_build).
COMPOSING_MODULES = ("build.py", "corpora.py", "examples.py", "lexicons.py", "pools.py", "recipes.py",
                     "recipes_html.py", "urls.py", "farmlist.py")


def composing_code_hash() -> str:
    """sha256 over the source of :data:`COMPOSING_MODULES` (in that order)."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in COMPOSING_MODULES:
        digest.update(name.encode("utf-8") + b"\0" + (here / name).read_bytes())
    return digest.hexdigest()


def load_examples(path: Path, split: str | None = None) -> list[Example]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if split and rec["split"] != split:
                continue
            rec["spans"] = [tuple(s) for s in rec.get("spans", [])]
            rec["marks"] = [tuple(m) for m in rec.get("marks", [])]
            out.append(Example(**rec))
    return out
