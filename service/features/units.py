"""Comparable text units for topicality: CJK character bigrams and Latin words.

A unit bag is a ``Counter``; cosine and Jaccard on bags are how blocks are
compared with each other, with the page's main content and with its title.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from itertools import repeat
from operator import add, gt, mul

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


def _dot(small: Counter, large: Counter) -> int:
    """Integer dot product of two bags (C-level iteration over the smaller one)."""
    return sum(map(mul, small.values(), map(large.get, small.keys(), repeat(0))))


def cosine(a: Counter, b: Counter) -> float:
    """Cosine similarity of two bags (0 when either is empty); exact integer dot product and norms."""
    if not a or not b:
        return 0.0
    dot = _dot(a, b) if len(a) <= len(b) else _dot(b, a)
    if dot == 0:
        return 0.0
    return dot / (math.sqrt(norm2(a)) * math.sqrt(norm2(b)))


def cosine_known_norm(a: Counter, b: Counter, b_norm2: float) -> float:
    """:func:`cosine` when ``norm2(b)`` is already known (the page's main content, compared with every block).

    The same number as ``cosine(a, b)``: the dot product and the squared norms
    are exact integer sums, and only ``b``'s is no longer recomputed per call.
    """
    if not a or not b:
        return 0.0
    dot = _dot(a, b) if len(a) <= len(b) else _dot(b, a)
    if dot == 0:
        return 0.0
    return dot / (math.sqrt(norm2(a)) * math.sqrt(b_norm2))


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


def norm2(bag: Counter) -> float:
    values = bag.values()
    return float(sum(map(mul, values, values)))


def cosine_without(bag: Counter, total: Counter, total_norm2: float) -> float:
    """Cosine of ``bag`` with ``total - bag`` in O(len(bag)) (``total`` contains ``bag``)."""
    if not bag:
        return 0.0
    dot_total = _dot(bag, total)
    bag2 = norm2(bag)
    dot = dot_total - bag2
    rest2 = total_norm2 - 2 * dot_total + bag2
    if dot <= 0 or rest2 <= 0:
        return 0.0
    return dot / (math.sqrt(bag2) * math.sqrt(rest2))


def overlap_without(bag: Counter, total: Counter) -> float:
    """Share of ``bag``'s distinct units that occur in ``total - bag``."""
    if not bag:
        return 0.0
    return sum(map(gt, map(total.get, bag.keys(), repeat(0)), bag.values())) / len(bag)
