"""The benchmark's page mix: real pages from ``../shared`` as a crawler would send them.

Every page is an HTTP request body: JSON (``{"url", "html" | "text"}``) or
raw HTML bytes in GBK with ``Content-Type: text/html; charset=gbk``. The mix
covers 2-50 KiB pages, HTML and text, Chinese and English:

* real HTML pages (``gne-test-pages``: Chinese news and list pages;
  ``article-extraction-benchmark``: English articles). Pages larger than
  50 KiB as crawled lose their ``<script>``/``<style>`` elements and
  comments, which the service skips anyway, and are kept if they then fit;
* some of the Chinese HTML pages re-encoded as GBK and sent as raw bytes;
* real text pages (``seeds``; the ``realpages-dev`` excerpts of 1-2 KB);
* composed text pages: real texts (C-ReD news, the benchmark's English
  article bodies) concatenated up to a size drawn log-uniformly in 2-50 KiB.

Nothing is copied into the repository. Without the corpora a small
synthetic mix is used and the report says so.
"""

from __future__ import annotations

import json
import math
import random
import re
from dataclasses import dataclass
from pathlib import Path

MIN_BYTES, MAX_BYTES = 2 * 1024, 50 * 1024
MIN_TEXT_EXCERPT_BYTES = 1024  # realpages-dev holds excerpts of at most 2,000 bytes: keep the longer ones
_STRIP = re.compile(rb"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_STRIP_TEXT = re.compile(_STRIP.pattern.decode(), re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_KANA = re.compile(r"[\u3040-\u30ff]{3}")
_META_CHARSET = re.compile(rb"""(<meta[^>]+charset\s*=\s*["']?\s*)([a-zA-Z0-9_\-]+)""", re.IGNORECASE)


@dataclass
class BenchPage:
    """One request of the mix."""

    id: str
    kind: str  # "html" or "text"
    lang: str  # "zh" or "en"
    source: str  # corpus it comes from
    size: int  # bytes of the page itself (UTF-8, or GBK for raw pages)
    body: bytes  # the HTTP request body
    content_type: str  # "application/json" or "text/html; charset=gbk"
    query: str = ""  # url and id query parameters of a raw-bytes request


def _json_page(page_id: str, kind: str, lang: str, source: str, url: str, content: str) -> BenchPage:
    body = json.dumps({"id": page_id, "url": url, kind: content}, ensure_ascii=False).encode("utf-8")
    return BenchPage(page_id, kind, lang, source, len(content.encode("utf-8")), body, "application/json")


def _fit_html(raw: bytes) -> bytes | None:
    """The page as crawled if it fits 2-50 KiB, else without scripts and styles if that fits."""
    if len(raw) > MAX_BYTES:
        raw = _STRIP.sub(b"", raw)
    return raw if MIN_BYTES <= len(raw) <= MAX_BYTES else None


def _cjk_share(html: str) -> float:
    text = _TAG.sub(" ", _STRIP_TEXT.sub("", html))
    letters = sum(1 for ch in text if ch.isalpha()) or 1
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff") / letters


def _html_pages(data: Path, rng: random.Random, gbk_share: float) -> list[BenchPage]:
    pages = []
    files = sorted((data / "gne-test-pages").rglob("*.html")) + sorted((data / "article-extraction-benchmark" /
                                                                         "html").glob("*.html"))
    for n, path in enumerate(files):
        raw = _fit_html(path.read_bytes())
        if raw is None:
            continue
        html = raw.decode("utf-8", "replace")
        if _KANA.search(html):
            continue  # the two Japanese pages of the benchmark: the mix is Chinese and English
        lang = "zh" if _cjk_share(html) > 0.3 else "en"
        source = path.relative_to(data).parts[0]
        page_id = f"html-{n:03d}"
        url = f"http://{source}.example/{path.stem[:24]}.html"
        if lang == "zh" and rng.random() < gbk_share:
            gbk = _META_CHARSET.sub(rb"\1gbk", html.encode("gbk", "xmlcharrefreplace"))
            pages.append(BenchPage(page_id, "html", lang, source + " (GBK bytes)", len(gbk), gbk,
                                   "text/html; charset=gbk", f"url={url}&id={page_id}"))
        else:
            pages.append(_json_page(page_id, "html", lang, source, url, html))
    return pages


def _text_pages(data: Path, seeds: Path) -> list[BenchPage]:
    pages = []
    real = data / "realpages-dev" / "pages.jsonl"
    if real.is_file():
        for line in real.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            text = obj["text"]
            if len(text.encode("utf-8")) >= MIN_TEXT_EXCERPT_BYTES and obj.get("lang") in {"zh", "en"}:
                pages.append(_json_page(f"real-{obj['id']}", "text", obj["lang"], "realpages-dev", obj["url"], text))
    for path in sorted(seeds.glob("*.txt")) if seeds.is_dir() else []:
        text = _truncate(path.read_text(encoding="utf-8"), MAX_BYTES)
        pages.append(_json_page(f"seed-{path.stem[:3]}", "text", "zh", "seeds", f"http://seed.example/{path.stem}",
                                text))
    return pages


def _truncate(text: str, limit: int) -> str:
    """At most ``limit`` UTF-8 bytes, cut at a paragraph boundary when there is one."""
    if len(text.encode("utf-8")) <= limit:
        return text
    cut = text.encode("utf-8")[:limit].decode("utf-8", "ignore")
    return cut[:cut.rfind("\n\n")] if "\n\n" in cut else cut


def _composed_pages(data: Path, rng: random.Random, count: int) -> list[BenchPage]:
    zh, en = [], []
    news = data / "c-red" / "news.jsonl"
    if news.is_file():
        with news.open(encoding="utf-8") as fh:
            zh = [json.loads(line)["text"] for _, line in zip(range(1500), fh)]
    truth = data / "article-extraction-benchmark" / "ground-truth.json"
    if truth.is_file():
        en = [v["articleBody"] for v in json.loads(truth.read_text(encoding="utf-8")).values() if v.get("articleBody")]
    pages = []
    for n in range(count):
        lang, pool = ("zh", zh) if n % 2 == 0 else ("en", en)
        if not pool:
            continue
        target = int(math.exp(rng.uniform(math.log(MIN_BYTES), math.log(MAX_BYTES))))
        parts, size = [], 0
        while size < target:
            part = rng.choice(pool)
            parts.append(part)
            size += len(part.encode("utf-8")) + 2
        text = _truncate("\n\n".join(parts), MAX_BYTES)
        pages.append(_json_page(f"composed-{n:03d}", "text", lang, "composed (c-red / AEB bodies)",
                                f"http://composed.example/{n}.html", text))
    return pages


# A few sentences of our own for the fallback mix (no corpus text).
_SYNTH_ZH = ("市教育局召开全市中小学安全工作会议,部署新学期校园安全重点任务。", "会议要求各校落实值班制度,加强食堂和校车管理。",
             "据介绍,今年全市新建改扩建学校十二所,新增学位八千余个。", "相关阅读 | 首页 | 联系我们 | 版权所有")
_SYNTH_EN = ("The city council approved the new library budget on Tuesday after a long debate.",
             "Residents said the opening hours matter more than the size of the building.",
             "The project is expected to be finished by the end of next year, officials said.",
             "Home | About | Contact | Privacy policy")


def synthetic_mix(count: int, seed: int = 0) -> list[BenchPage]:
    """A stand-in mix of generated pages, for a checkout without ``../shared``."""
    rng = random.Random(seed)
    pages = []
    for n in range(count):
        lang = "zh" if n % 2 == 0 else "en"
        sentences = _SYNTH_ZH if lang == "zh" else _SYNTH_EN
        target = int(math.exp(rng.uniform(math.log(MIN_BYTES), math.log(MAX_BYTES))))
        paragraphs, size = [], 0
        while size < target:
            paragraph = "".join(rng.choice(sentences) for _ in range(rng.randint(1, 6)))
            paragraphs.append(paragraph)
            size += len(paragraph.encode("utf-8")) + 2
        if n % 3 == 0:
            html = "<html><head><title>{}</title></head><body>{}</body></html>".format(
                paragraphs[0][:30], "".join(f"<p>{p}</p>" for p in paragraphs))
            pages.append(_json_page(f"synthetic-{n:03d}", "html", lang, "synthetic", f"http://s.example/{n}", html))
        else:
            pages.append(_json_page(f"synthetic-{n:03d}", "text", lang, "synthetic", f"http://s.example/{n}",
                                    "\n\n".join(paragraphs)))
    return pages


def build_mix(data_dir: Path, seeds_dir: Path, composed: int = 120, gbk_share: float = 0.5,
              seed: int = 0) -> tuple[list[BenchPage], str]:
    """``(pages, note)``: the real mix when the corpora are there, else the synthetic one."""
    if not (data_dir / "gne-test-pages").is_dir():
        return synthetic_mix(200, seed), (f"{data_dir} is absent: a small SYNTHETIC mix was used; the figures are "
                                          "not comparable with the real mix")
    rng = random.Random(seed)
    pages = _html_pages(data_dir, rng, gbk_share) + _text_pages(data_dir, seeds_dir) + \
        _composed_pages(data_dir, rng, composed)
    rng.shuffle(pages)
    return pages, f"real mix from {data_dir}"


def describe(pages: list[BenchPage]) -> dict:
    """Counts by kind, language and source, and size quantiles (bytes)."""
    sizes = sorted(p.size for p in pages)

    def count(attr: str) -> dict:
        out: dict[str, int] = {}
        for page in pages:
            out[getattr(page, attr)] = out.get(getattr(page, attr), 0) + 1
        return dict(sorted(out.items()))

    return {"pages": len(pages), "kind": count("kind"), "lang": count("lang"), "source": count("source"),
            "gbk_raw_bytes": sum(1 for p in pages if p.content_type != "application/json"),
            "size_bytes": {"min": sizes[0], "p50": sizes[len(sizes) // 2], "max": sizes[-1]} if sizes else {}}
