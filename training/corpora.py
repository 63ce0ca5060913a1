"""Loaders for the real corpora in ``../shared/data`` (read in place, never copied).

Each loader yields :class:`Doc` records with a ``site`` key: the real host
where one is known, otherwise a stable pseudo-site (corpus plus a hash
bucket, or the generator model for machine-written text) so that the split
by site keeps related texts on one side.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PSEUDO_SITE_BUCKETS = 40


@dataclass
class Doc:
    doc_id: str
    source: str  # corpus folder
    kind: str  # see KINDS
    text: str
    title: str = ""
    lang: str = "zh"
    site: str = ""
    author: str = "human"
    meta: dict = field(default_factory=dict)


KINDS = {
    "article": "human-written prose (news, essay, encyclopedia, exam passage, report section)",
    "llm": "machine-written prose (C-ReD generators)",
    "headline": "a real news headline",
    "short": "a short real text (comment, dialogue, answer)",
    "sms_spam": "a real English spam message",
    "html": "a real HTML page",
}


def stable_hash(value: str) -> int:
    return int.from_bytes(hashlib.sha1(value.encode("utf-8")).digest()[:8], "big")


def pseudo_site(source: str, key: str) -> str:
    return f"{source}#{stable_hash(key) % PSEUDO_SITE_BUCKETS}"


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def host_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def load_cred(data: Path) -> Iterator[Doc]:
    """C-ReD: human news/essays/abstracts/reviews/answers and 9 LLMs' essays/abstracts/reviews."""
    title_keys = {"news": "news_title", "composition": "composition_title", "paper": "paper_title",
                  "film_review": "film_title", "question_answer": "question_title"}
    for domain, title_key in title_keys.items():
        for rec in _jsonl(data / "c-red" / f"{domain}.jsonl"):
            text = (rec.get("text") or "").strip()
            if len(text) < 40:
                continue
            human = bool(rec.get("is_human"))
            author = rec.get("author") or ("human" if human else "llm")
            doc_id = f"cred/{domain}/{author}/{rec.get('id')}"
            site = pseudo_site(f"cred-{domain}", str(rec.get("original_id") or rec.get("id"))) if human \
                else f"cred-llm:{author}"
            yield Doc(doc_id=doc_id, source="c-red", kind="article" if human else "llm", text=text,
                      title=(rec.get(title_key) or "").strip(), site=site, author=author,
                      meta={"domain": domain, "category": rec.get("news_category", "")})


def load_c3(data: Path) -> Iterator[Doc]:
    for rec in _jsonl(data / "c3" / "c3_passages.jsonl"):
        text = (rec.get("text") or "").strip()
        kind = "short" if rec.get("genre") == "dialogue" or len(text) < 120 else "article"
        yield Doc(doc_id=f"c3/{rec['id']}", source="c3", kind=kind, text=text,
                  site=pseudo_site("c3", rec["id"]))


def load_wiki(data: Path) -> Iterator[Doc]:
    for rec in _jsonl(data / "cmrc2018" / "cmrc2018_contexts.jsonl"):
        yield Doc(doc_id=f"cmrc/{rec['id']}", source="cmrc2018", kind="article", text=rec["text"].strip(),
                  title=rec.get("title", ""), site=pseudo_site("cmrc", rec.get("title", rec["id"])))
    for rec in _jsonl(data / "drcd" / "drcd_articles.jsonl"):
        yield Doc(doc_id=f"drcd/{rec['id']}", source="drcd", kind="article", text=rec["text"].strip(),
                  title=rec.get("title", ""), site=pseudo_site("drcd", rec["id"]),
                  meta={"script": "traditional"})


_SECTION_BREAK = re.compile(r"\n\s*\n+")


def load_political(data: Path, max_chars: int = 1800) -> Iterator[Doc]:
    """Government work reports and congress reports, cut into sections of at most ``max_chars``."""
    for name in ("government_work_reports.jsonl", "cpc_congress_reports.jsonl"):
        for n, rec in enumerate(_jsonl(data / "chinese-political-corpora" / name)):
            paragraphs = [p.strip() for p in _SECTION_BREAK.split(rec.get("text", "")) if p.strip()]
            chunk: list[str] = []
            part = 0
            for para in paragraphs + [None]:
                size = sum(len(p) for p in chunk)
                if para is None or (chunk and size + len(para) > max_chars):
                    if size >= 200:
                        yield Doc(doc_id=f"political/{name}/{n}/{part}", source="chinese-political-corpora",
                                  kind="article", text="\n\n".join(chunk), title=rec.get("title", ""),
                                  site=f"political:{rec.get('title', n)}")
                        part += 1
                    chunk = []
                if para is not None:
                    chunk.append(para)


def load_clue(data: Path) -> Iterator[Doc]:
    for n, rec in enumerate(_jsonl(data / "cluecorpussmall-sample" / "cluecorpussmall_sampled.jsonl")):
        text = (rec.get("text") or "").strip()
        if len(text) < 10:
            continue
        yield Doc(doc_id=f"clue/{n}", source="cluecorpussmall-sample",
                  kind="article" if len(text) >= 200 else "short", text=text, site=pseudo_site("clue", str(n)))


def load_headlines(data: Path) -> Iterator[Doc]:
    for n, rec in enumerate(_jsonl(data / "thucnews-headlines" / "thucnews_headlines_dev_test.jsonl")):
        yield Doc(doc_id=f"thuc/{n}", source="thucnews-headlines", kind="headline", text=rec["title"].strip(),
                  site=pseudo_site("thuc", rec["title"]), meta={"category": rec.get("label", "")})
    for n, rec in enumerate(_jsonl(data / "fewclue-tnews" / "tnews_headlines.jsonl")):
        yield Doc(doc_id=f"tnews/{n}", source="fewclue-tnews", kind="headline", text=rec["title"].strip(),
                  site=pseudo_site("tnews", rec["title"]),
                  meta={"category": rec.get("label") or "", "keywords": rec.get("keywords") or ""})


def load_sms(data: Path) -> Iterator[Doc]:
    for n, rec in enumerate(_jsonl(data / "uci-sms-spam" / "sms_spam_collection.jsonl")):
        if rec.get("label") not in {"spam", "ham"}:
            continue
        yield Doc(doc_id=f"sms/{n}", source="uci-sms-spam", kind="sms_spam" if rec["label"] == "spam" else "short",
                  text=rec["text"].strip(), lang="en", site=pseudo_site("sms", str(n)))


def load_html_pages(data: Path) -> Iterator[Doc]:
    """Real HTML pages: GNE Chinese news and list pages, trafilatura-zh, the English benchmark."""
    for path in sorted((data / "gne-test-pages" / "tests").glob("*/*.html")):
        yield Doc(doc_id=f"gne/{path.parent.name}/{path.stem}", source="gne-test-pages", kind="html",
                  text="", site=f"gne:{path.parent.name}", meta={"path": str(path), "role": "article"})
    for path in sorted((data / "gne-test-pages" / "test_list_page").glob("*/*.html")):
        yield Doc(doc_id=f"gnelist/{path.parent.name}/{path.stem}", source="gne-test-pages", kind="html",
                  text="", site=f"gne:{path.parent.name}", meta={"path": str(path), "role": "list"})
    traf = data / "trafilatura-eval-zh"
    if (traf / "evaldata_zh.json").exists():
        for url, rec in json.loads((traf / "evaldata_zh.json").read_text(encoding="utf-8")).items():
            path = traf / "html" / rec["file"]
            if path.exists():
                yield Doc(doc_id=f"traf/{rec['file']}", source="trafilatura-eval-zh", kind="html", text="",
                          title=rec.get("title", ""), site=host_of(url.split("/http")[-1] if "/http" in url else url),
                          meta={"path": str(path), "role": "article", "url": url,
                                "with": rec.get("with", []), "without": rec.get("without", [])})
    aeb = data / "article-extraction-benchmark"
    if (aeb / "ground-truth.json").exists():
        truth = json.loads((aeb / "ground-truth.json").read_text(encoding="utf-8"))
        for key, rec in truth.items():
            path = aeb / "html" / f"{key}.html"
            if path.exists():
                yield Doc(doc_id=f"aeb/{key[:12]}", source="article-extraction-benchmark", kind="html", lang="en",
                          text=rec.get("articleBody", ""), site=host_of(rec.get("url", "")),
                          meta={"path": str(path), "role": "article", "url": rec.get("url", "")})


def load_all(data: Path) -> list[Doc]:
    docs: list[Doc] = []
    for loader in (load_cred, load_c3, load_wiki, load_political, load_clue, load_headlines, load_sms,
                   load_html_pages):
        docs.extend(loader(data))
    return docs
