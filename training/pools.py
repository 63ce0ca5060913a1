"""Pools of real parts for composing training pages, partitioned by split.

Every part (a spam term, a headline, a boilerplate block, an SMS) belongs to
exactly one split by a stable hash, so composed test pages are made only of
parts the model never saw in training.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from service.analysis.decode import decode_bytes
from service.analysis.htmlblocks import page_from_html
from service.analysis.text import segment
from service.features.lexicon import Lexicons
from training.corpora import Doc, stable_hash

SPLITS = ("train", "dev", "test")
ORDINARY_HEADLINES = 20000  # headlines per split whose words dilute composed spam chains
SPLIT_WEIGHTS = (70, 15, 15)
# Machine-written text is split by generator, so test measures unseen generators.
GENERATOR_SPLIT = {"qwen-3": "test", "gemini-2.5-flash": "test", "doubao-1.5-pro": "dev"}


def split_of(key: str) -> str:
    bucket = stable_hash(key) % sum(SPLIT_WEIGHTS)
    if bucket < SPLIT_WEIGHTS[0]:
        return "train"
    return "dev" if bucket < SPLIT_WEIGHTS[0] + SPLIT_WEIGHTS[1] else "test"


def site_split(site: str) -> str:
    if site.startswith("cred-llm:"):
        return GENERATOR_SPLIT.get(site.split(":", 1)[1], "train")
    return split_of("site:" + site)


_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?”」]*")


def paragraphs_of(text: str, rng: random.Random, min_sent: int = 2, max_sent: int = 5) -> list[str]:
    """Split prose into paragraphs: existing line breaks, else groups of 2-5 sentences."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) > 1:
        return lines
    sentences = [s.strip() for s in _SENTENCE.findall(text) if s.strip()] or [text.strip()]
    paragraphs, i = [], 0
    while i < len(sentences):
        n = rng.randint(min_sent, max_sent)
        paragraphs.append("".join(sentences[i:i + n]) if not sentences[0].isascii() else " ".join(sentences[i:i + n]))
        i += n
    return paragraphs


@dataclass
class Boilerplate:
    """Header and footer blocks of one real page (each block a list of lines)."""

    site: str
    lang: str
    header: list[list[str]]
    footer: list[list[str]]


@dataclass
class Pools:
    lexicon_terms: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # split -> category -> terms
    headlines: dict[str, list[Doc]] = field(default_factory=dict)
    sms_spam: dict[str, list[str]] = field(default_factory=dict)
    boilerplate: dict[str, list[Boilerplate]] = field(default_factory=dict)  # split -> pages
    queries: dict[str, list[str]] = field(default_factory=dict)  # split -> short search-like phrases
    en_queries: dict[str, list[str]] = field(default_factory=dict)
    # split -> category -> the words of that split's terms, repeated as often as they occur in them
    term_words: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    brands: list[str] = field(default_factory=list)  # strong gambling names (vocabulary log-odds >= 3)
    ordinary_words: dict[str, list[str]] = field(default_factory=dict)  # split -> words of clean headlines

    def terms(self, split: str, category: str) -> list[str]:
        return self.lexicon_terms[split][category]


def content_mask(blocks, gold: str | None = None) -> list[bool]:
    """Which blocks of a real HTML page are main content.

    With a gold article text (English benchmark) a block is content when
    its text occurs in the gold text; otherwise (silver labels) a block is
    content when it is prose: 40+ characters, few links, sentence
    punctuation, and it lies within the page's densest prose region.
    """
    if gold:
        flat = re.sub(r"\s+", " ", gold)
        return [len(b.text) >= 25 and re.sub(r"\s+", " ", b.text.strip())[:80] in flat for b in blocks]
    prose = [len(b.text) >= 40 and b.link_chars <= 0.25 * len(b.text) and b.kind != "title"
             and bool(re.search(r"[。！？.!?，,]", b.text)) for b in blocks]
    idx = [i for i, p in enumerate(prose) if p]
    if not idx:
        return prose
    # The main region: from the first to the last prose block of the longest run with few gaps.
    best, start = (idx[0], idx[0]), idx[0]
    for prev, cur in zip(idx, idx[1:]):
        if cur - prev > 4:
            start = cur
        if cur - start > best[1] - best[0]:
            best = (start, cur)
    return [p and best[0] <= i <= best[1] for i, p in enumerate(prose)]


def load_html_doc(doc: Doc):
    raw = Path(doc.meta["path"]).read_bytes()
    html, charset = decode_bytes(raw)
    return html, charset


def build_pools(docs: list[Doc], lexicons: Lexicons, rng: random.Random) -> Pools:
    pools = Pools()
    for split in SPLITS:
        pools.lexicon_terms[split] = defaultdict(list)
    for split in SPLITS:
        pools.term_words[split] = defaultdict(list)
    for category, terms in lexicons.terms.items():
        for term in terms:
            if 2 <= len(term) <= 14 or category == "url":
                split = split_of("term:" + term)
                pools.lexicon_terms[split][category].append(term)
                if category != "url":
                    pools.term_words[split][category].extend(
                        w for w in segment(term) if len(w.strip()) >= 2 and not w.isdigit())
    pools.brands = sorted(w for w, score in lexicons.vocab.get("gambling", {}).items()
                          if score >= 3 and not w.isascii() and 2 <= len(w) <= 4)
    for split in SPLITS:
        pools.headlines[split] = []
        pools.sms_spam[split] = []
        pools.boilerplate[split] = []
        pools.queries[split] = []
        pools.en_queries[split] = []
    for doc in docs:
        if doc.kind == "headline":
            split = split_of("headline:" + doc.text)
            pools.headlines[split].append(doc)
            for kw in (doc.meta.get("keywords") or "").split(","):
                if 2 <= len(kw.strip()) <= 12:
                    pools.queries[split].append(kw.strip())
        elif doc.kind == "sms_spam":
            pools.sms_spam[split_of("sms:" + doc.text)].append(doc.text)
        elif doc.source == "c-red" and doc.meta.get("domain") == "question_answer" and doc.title:
            pools.queries[split_of("q:" + doc.title)].append(doc.title)
    for doc in docs:
        if doc.kind != "html" or doc.meta.get("role") != "article":
            continue
        try:
            html, _ = load_html_doc(doc)
        except (OSError, ValueError):
            continue
        page = page_from_html(html, url=doc.meta.get("url", ""))
        if doc.lang == "en" and page.title:
            pools.en_queries[site_split(doc.site)].append(page.title[:80])
        mask = content_mask(page.blocks, doc.text if doc.lang == "en" else None)
        if not any(mask):
            continue
        first, last = mask.index(True), len(mask) - 1 - mask[::-1].index(True)
        header = [b.items for b in page.blocks[:first] if b.kind != "title"][-6:]
        footer = [b.items for b in page.blocks[last + 1:]][:6]
        pools.boilerplate[site_split(doc.site)].append(
            Boilerplate(site=doc.site, lang=doc.lang, header=header, footer=footer))
    for split in SPLITS:
        rng.shuffle(pools.headlines[split])
        pools.ordinary_words[split] = [w for d in pools.headlines[split][:ORDINARY_HEADLINES]
                                       for w in segment(d.text) if len(w) >= 2 and not w.isascii()]
    return pools
