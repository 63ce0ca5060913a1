"""Comparable text units for topicality: CJK character bigrams and Latin words.

A unit bag is a ``Counter``; Jaccard and overlap on bags compare list items
with each other and a title with a paragraph. The similarities of every block
of a page are computed on the same bags held as arrays
(:mod:`service.features.unitindex`).
"""

from __future__ import annotations

import re
from collections import Counter
from operator import add

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9'-]{2,}")
# Function words carry no topic.
_EN_STOP = frozenset(["the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was", "one", "our", "out", "day", "get", "has", "him", "his", "how", "man", "new", "now", "old", "see", "two", "way", "who", "boy", "did", "its", "let", "put", "say", "she", "too", "use", "that", "with", "have", "this", "will", "your", "from", "they", "know", "want", "been", "good", "much", "some", "time", "very", "when", "come", "here", "just", "like", "long", "make", "many", "more", "only", "over", "such", "take", "than", "them", "well", "were", "what", "which", "their", "there", "would", "about", "could", "other", "into", "these", "those", "also", "most", "been", "being", "after", "before", "where"])


def units(norm_text: str) -> Counter:
    """Bag of CJK bigrams (single characters for 1-char runs) and Latin content words."""
    found: list[str] = []
    for run in _CJK_RUN.findall(norm_text):
        if len(run) == 1:
            found.append(run)
        else:
            found += map(add, run, run[1:])
    found += [w for w in _LATIN_WORD.findall(norm_text) if w not in _EN_STOP]
    return Counter(found)


def jaccard(a, b) -> float:
    if not a or not b:
        return 0.0
    a, b = _keys(a), _keys(b)
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def overlap(a, b) -> float:
    """Share of ``a``'s distinct units that also occur in ``b``."""
    if not a:
        return 0.0
    a = _keys(a)
    return len(a & _keys(b)) / len(a)


def _keys(bag):
    """The distinct units of a bag as a set-like view (no copy of a Counter's keys)."""
    return bag.keys() if isinstance(bag, dict) else set(bag)
