"""Gopher's document quality and repetition rules (Rae et al., 2021, "Scaling Language
Models: Methods, Analysis & Insights from Training Gopher", arXiv:2112.11446, appendix A.1.1
and Table A1), as datatrove implements them (``GopherQualityFilter``,
``GopherRepetitionFilter``) and FineWeb / FineWeb-2 apply them.

Each function returns the names of *all* the rules a document fails (datatrove stops at
the first; the chain needs every failure only to rank pages for PR-AUC). Empty input fails
without dividing by zero.
"""

from __future__ import annotations

import re
from collections import Counter

from training.baselines.language import Settings, is_symbol_word

# Table A1: (n, max fraction of characters in the most frequent n-gram)
TOP_NGRAM_FRACTIONS = ((2, 0.20), (3, 0.18), (4, 0.16))
# Table A1: (n, max fraction of characters in duplicated n-grams)
DUP_NGRAM_FRACTIONS = ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10))
DUP_LINE_FRAC = 0.30
DUP_PARA_FRAC = 0.30
DUP_LINE_CHAR_FRAC = 0.20
DUP_PARA_CHAR_FRAC = 0.20
_PARAGRAPH_RE = re.compile(r"\n{2,}")
_LINE_RE = re.compile(r"\n+")


def gopher_quality(text: str, words: list[str], s: Settings) -> list[str]:
    """Word count, mean word length, symbol ratios, bullet/ellipsis lines, alphabetic words, stop words."""
    failed = []
    content = [w for w in words if not is_symbol_word(w)]
    n_words = len(words)
    if len(content) < s.min_doc_words:
        failed.append("gopher_short_doc")
    if len(content) > s.max_doc_words:
        failed.append("gopher_long_doc")
    if content:
        mean_len = sum(map(len, content)) / len(content)
        if mean_len < s.min_avg_word_length:
            failed.append("gopher_below_avg_word_length")
        if mean_len > s.max_avg_word_length:
            failed.append("gopher_above_avg_word_length")
    if n_words:
        if text.count("#") / n_words > s.max_symbol_word_ratio:
            failed.append("gopher_too_many_hashes")
        if (text.count("...") + text.count("…")) / n_words > s.max_symbol_word_ratio:
            failed.append("gopher_too_many_ellipsis")
        if sum(any(ch.isalpha() for ch in w) for w in words) / n_words < s.min_alpha_words_ratio:
            failed.append("gopher_below_alpha_threshold")
    lines = text.splitlines()
    if lines:
        bullets = sum(line.lstrip().startswith(("•", "-")) for line in lines)
        if bullets / len(lines) > s.max_bullet_lines_ratio:
            failed.append("gopher_too_many_bullets")
        ellipsis = sum(line.rstrip().endswith(("...", "…")) for line in lines)
        if ellipsis / len(lines) > s.max_ellipsis_lines_ratio:
            failed.append("gopher_too_many_end_ellipsis")
    if len(s.stop_words.intersection(words)) < s.min_stop_words:
        failed.append("gopher_few_stop_words")
    return failed


def find_duplicates(items: list[str]) -> tuple[int, int]:
    """(number of repeated items, characters in the repeats): first occurrences don't count."""
    seen: set[str] = set()
    dup_items = dup_chars = 0
    for item in items:
        if item in seen:
            dup_items += 1
            dup_chars += len(item)
        else:
            seen.add(item)
    return dup_items, dup_chars


def top_ngram_chars(words: list[str], n: int) -> int:
    """Characters covered by the most frequent word n-gram (its length times its count)."""
    grams = Counter(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))
    if not grams:
        return 0
    gram, count = grams.most_common(1)[0]
    return len(gram) * count


def duplicated_ngram_chars(words: list[str], n: int) -> int:
    """Characters in n-grams that repeat an earlier n-gram, not counting overlaps twice."""
    seen: set[str] = set()
    repeated, idx = 0, 0
    while idx < len(words) - n + 1:
        gram = "".join(words[idx:idx + n])
        if gram in seen:
            repeated += len(gram)
            idx += n
        else:
            seen.add(gram)
            idx += 1
    return repeated


def gopher_repetition(text: str, words: list[str]) -> list[str]:
    """Duplicate paragraphs and lines (by count and by characters), top and duplicated n-grams."""
    if not text.strip():
        return ["gopher_empty"]
    failed = []
    n_chars = len(text)
    paragraphs = _PARAGRAPH_RE.split(text.strip())
    dup, chars = find_duplicates(paragraphs)
    if dup / len(paragraphs) > DUP_PARA_FRAC:
        failed.append("gopher_dup_para_frac")
    if chars / n_chars > DUP_PARA_CHAR_FRAC:
        failed.append("gopher_dup_para_char_frac")
    lines = _LINE_RE.split(text)
    dup, chars = find_duplicates(lines)
    if dup / len(lines) > DUP_LINE_FRAC:
        failed.append("gopher_dup_line_frac")
    if chars / n_chars > DUP_LINE_CHAR_FRAC:
        failed.append("gopher_dup_line_char_frac")
    for n, frac in TOP_NGRAM_FRACTIONS:
        if top_ngram_chars(words, n) / n_chars > frac:
            failed.append(f"gopher_top_{n}_gram")
            break  # one n-gram rule is enough to rank the page; keep the cost linear
    for n, frac in DUP_NGRAM_FRACTIONS:
        if duplicated_ngram_chars(words, n) / n_chars > frac:
            failed.append(f"gopher_duplicated_{n}_grams")
            break
    return failed
