"""Analyzers for the hashed n-gram features (module-level so the artifact can pickle them)."""

from __future__ import annotations

import re

from service.analysis.text import segment

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LATIN = re.compile(r"[a-z][a-z0-9'-]+")


def block_terms(text: str) -> list[str]:
    """Character uni- and bigrams of CJK runs, Latin words, and jieba words (``w:``)."""
    terms: list[str] = []
    for run in _CJK_RUN.findall(text):
        terms.extend(run)
        terms.extend(run[i:i + 2] for i in range(len(run) - 1))
    terms.extend("l:" + w for w in _LATIN.findall(text))
    terms.extend("w:" + w for w in segment(text) if len(w) > 1)
    return terms


def page_terms(text: str) -> list[str]:
    """Character bi- and trigrams of CJK runs, Latin words and word bigrams, jieba words."""
    terms: list[str] = []
    for run in _CJK_RUN.findall(text):
        terms.extend(run[i:i + 2] for i in range(len(run) - 1))
        terms.extend(run[i:i + 3] for i in range(len(run) - 2))
    words = _LATIN.findall(text)
    terms.extend("l:" + w for w in words)
    terms.extend(f"l2:{a} {b}" for a, b in zip(words, words[1:]))
    terms.extend("w:" + w for w in segment(text) if len(w) > 1)
    return terms
