"""Comparable text units for topicality: CJK character bigrams and Latin words.

A unit bag is a ``Counter``; cosine and Jaccard on bags are how blocks are
compared with each other, with the page's main content and with its title.
"""

from __future__ import annotations

import math
import re
from collections import Counter

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9'-]{2,}")
# Function words carry no topic.
_EN_STOP = frozenset(["the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was", "one", "our", "out", "day", "get", "has", "him", "his", "how", "man", "new", "now", "old", "see", "two", "way", "who", "boy", "did", "its", "let", "put", "say", "she", "too", "use", "that", "with", "have", "this", "will", "your", "from", "they", "know", "want", "been", "good", "much", "some", "time", "very", "when", "come", "here", "just", "like", "long", "make", "many", "more", "only", "over", "such", "take", "than", "them", "well", "were", "what", "which", "their", "there", "would", "about", "could", "other", "into", "these", "those", "also", "most", "been", "being", "after", "before", "where"])


def units(norm_text: str) -> Counter:
    """Bag of CJK bigrams (single characters for 1-char runs) and Latin content words."""
    bag: Counter = Counter()
    for run in _CJK_RUN.findall(norm_text):
        if len(run) == 1:
            bag[run] += 1
        else:
            bag.update(run[i:i + 2] for i in range(len(run) - 1))
    bag.update(w for w in _LATIN_WORD.findall(norm_text) if w not in _EN_STOP)
    return bag


def cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    if dot == 0:
        return 0.0
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


def cosine_known_norm(a: Counter, b: Counter, b_norm2: float) -> float:
    """:func:`cosine` when ``norm2(b)`` is already known (the page's main content, compared with every block).

    The same number as ``cosine(a, b)``: the dot product and the squared norms
    are exact integer sums, and only ``b``'s is no longer recomputed per call.
    """
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    dot = sum(v * large.get(k, 0) for k, v in small.items())
    if dot == 0:
        return 0.0
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(b_norm2))


def jaccard(a, b) -> float:
    if not a or not b:
        return 0.0
    a, b = set(a), set(b)
    return len(a & b) / len(a | b)


def overlap(a, b) -> float:
    """Share of ``a``'s distinct units that also occur in ``b``."""
    if not a:
        return 0.0
    a = set(a)
    return len(a & set(b)) / len(a)


def norm2(bag: Counter) -> float:
    return float(sum(v * v for v in bag.values()))


def cosine_without(bag: Counter, total: Counter, total_norm2: float) -> float:
    """Cosine of ``bag`` with ``total - bag`` in O(len(bag)) (``total`` contains ``bag``)."""
    if not bag:
        return 0.0
    dot_total = sum(v * total.get(k, 0) for k, v in bag.items())
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
    return sum(1 for k, v in bag.items() if total.get(k, 0) > v) / len(bag)
