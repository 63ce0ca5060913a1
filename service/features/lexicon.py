"""Spam lexicons and the ``lex_`` feature family.

The term lists are built at training time from the real lexicons in the
corpora (``training/lexicons.py``) and travel inside the model artifact;
this module only matches them. Matching runs on normalised text (NFKC,
simplified script, lower case) with one Aho-Corasick automaton per process
(``ahocorasick_rs``).

Exact terms miss most real spam: hacked pages write chains such as
"国产精品一区不卡_青青草av免费在线观看" that no word list holds verbatim.
The **vocabulary** generalises them: the words that make up the real terms
of a category, each with its log-odds of appearing in that category's terms
rather than in clean text (``training/lexicons.py``). The ``lex_*_vocab_*``
features measure how much of a block is made of such words.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import accumulate
from operator import itemgetter

import ahocorasick_rs

CATEGORIES = ("porn", "gambling", "illicit", "advert", "url")
# Separators that join keyword chains: "a_b_c", "a,b,c", "a丨b丨c", "a|b|c".
CHAIN_SPLIT_PLAIN = re.compile(r"\s*[_,，|丨、;；/]\s*|\s{2,}")
# The same pattern behind a look-ahead on the characters a separator can start with (whitespace or a
# separator): the same matches, without trying ``\s*`` at every position (tests/test_identical.py).
CHAIN_SPLIT = re.compile(r"(?=[\s_,，|丨、;；/])(?:" + CHAIN_SPLIT_PLAIN.pattern + ")")
VOCAB_CATEGORIES = ("porn", "gambling", "illicit", "advert")
VOCAB_STRONG = 2.5  # log-odds of a word that alone marks a chain segment as spam
# Feature names made once (not per block), in the order the features are built.
_LEX_KEYS = tuple((c, f"lex_{c}_hits", f"lex_{c}_distinct", f"lex_{c}_per100") for c in CATEGORIES)
_LEX_ZERO = {key: 0.0 for _, *keys in _LEX_KEYS for key in keys}
_VOCAB_ZERO = {f"lex_{c}_vocab_{k}": 0.0 for c in VOCAB_CATEGORIES for k in ("share", "max", "per100")}
_VOCAB_ZERO["lex_vocab_strong_per100"] = _VOCAB_ZERO["lex_vocab_chain_hit_share"] = 0.0


@dataclass
class Lexicons:
    """Category -> terms (normalised). Picklable; the automaton is rebuilt lazily."""

    terms: dict[str, list[str]] = field(default_factory=dict)
    source_hash: str = ""
    vocab: dict[str, dict[str, float]] = field(default_factory=dict)  # category -> word -> log-odds (> 0)

    def __getstate__(self):
        return {"terms": self.terms, "source_hash": self.source_hash, "vocab": self.vocab}

    def __setstate__(self, state):
        self.terms = state["terms"]
        self.source_hash = state["source_hash"]
        self.vocab = state.get("vocab", {})

    @property
    def vocab_automaton(self) -> _Automaton:
        """One automaton over every vocabulary word: value ``((category, log-odds), ...)``."""
        auto = self.__dict__.get("_vocab_automaton")
        if auto is None:
            merged: dict[str, list[tuple[str, float]]] = {}
            for category, words in self.vocab.items():
                for word, score in words.items():
                    merged.setdefault(word, []).append((category, score))
            auto = self.__dict__["_vocab_automaton"] = _Automaton({w: tuple(s) for w, s in merged.items()})
        return auto

    @property
    def automaton(self) -> _Automaton:
        """One automaton over every term: value ``(categories, ...)`` in the order of ``terms``."""
        auto = self.__dict__.get("_automaton")
        if auto is None:
            merged: dict[str, tuple[str, ...]] = {}
            for category, words in self.terms.items():
                for word in words:
                    merged[word] = merged.get(word, ()) + (category,)
            auto = self.__dict__["_automaton"] = _Automaton(merged)
        return auto

    def matches(self, norm_text: str) -> list[tuple[int, int, str, tuple[str, ...]]]:
        """Non-overlapping longest matches: ``(start, end, term, categories)``."""
        auto = self.automaton
        if not norm_text or auto.search is None:
            return []
        words, values = auto.words, auto.values
        found = [(start, end, words[i], values[i]) for i, start, end in auto.search(norm_text, overlapping=True)
                 if _whole_word(norm_text, start, end, words[i])]
        if not found:
            return []
        found.sort(key=lambda m: (m[0], -(m[1] - m[0])))
        chosen: list[tuple[int, int, str, tuple[str, ...]]] = []
        last_end = -1
        for match in found:
            if match[0] >= last_end:
                chosen.append(match)
                last_end = match[1]
        return chosen


class _Automaton:
    """Words and their values behind one ``ahocorasick_rs`` automaton (built lazily, not pickled).

    ``search(text, overlapping=True)`` lists every occurrence of every word as
    ``(word index, start, end)`` in characters, as pyahocorasick's ``iter``
    did (5-10x faster over our blocks: a compiled automaton instead of
    pyahocorasick's per-character transition search over ~1,000 first
    characters). Empty words are left out, as pyahocorasick ignored them.
    """

    def __init__(self, values: dict[str, object]):
        values = {word: value for word, value in values.items() if word}
        self.words = list(values)
        self.values = list(values.values())
        self.search = ahocorasick_rs.AhoCorasick(self.words).find_matches_as_indexes if self.words else None

    def ordered(self, text: str) -> list[tuple[int, int, int]]:
        """Every occurrence as ``(word index, start, end)``, by end and the longer first at one end
        (pyahocorasick's order, which float sums over the matches depend on)."""
        found = self.search(text, overlapping=True) if text and self.search is not None else []
        if len(found) > 1:
            found.sort(key=_END_THEN_START)
        return found


_END_THEN_START = itemgetter(2, 1)


def _whole_word(text: str, start: int, end: int, word: str) -> bool:
    """ASCII terms match whole words only ("code" is not in "encode"); CJK terms match anywhere."""
    if not word.isascii():
        return True
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())


def lexicon_features(norm_text: str, lexicons: Lexicons, matches: list | None = None) -> dict[str, float]:
    """``lex_`` features of one normalised text: hits per category, coverage, chain shape.

    ``matches`` may be passed when the caller already matched ``norm_text``.
    """
    matches = lexicons.matches(norm_text) if matches is None else matches
    n_chars = max(1, len(norm_text))
    if matches:
        feats: dict[str, float] = {}
        for category, key_hits, key_distinct, key_per100 in _LEX_KEYS:
            hits = [m for m in matches if category in m[3]]
            feats[key_hits] = float(len(hits))
            feats[key_distinct] = float(len({m[2] for m in hits}))
            feats[key_per100] = 100.0 * len(hits) / n_chars
    else:  # most blocks: every count is 0.0
        feats = dict(_LEX_ZERO)
    covered = sum(m[1] - m[0] for m in matches)
    feats["lex_any_hits"] = float(len(matches))
    feats["lex_coverage"] = covered / n_chars
    segments = list(filter(None, CHAIN_SPLIT.split(norm_text)))
    n_seg = len(segments)
    feats["lex_chain_segments"] = float(n_seg)
    feats["lex_chain_mean_seg_len"] = (sum(map(len, segments)) / n_seg) if n_seg else 0.0
    if n_seg >= 3 and matches:
        seg_hits = 0
        pos = 0
        spans = []
        for seg in segments:
            idx = norm_text.find(seg, pos)
            spans.append((idx, idx + len(seg)))
            pos = idx + len(seg)
        # a segment holds a match when one starting before its end ends after its start: the furthest end among
        # the matches starting before it, by bisection (a match against every segment was quadratic on a chain)
        by_start = sorted((m[0], m[1]) for m in matches)
        starts = [m[0] for m in by_start]
        furthest = list(accumulate((m[1] for m in by_start), max))
        for s, e in spans:
            k = bisect_left(starts, e)
            if k and furthest[k - 1] > s:
                seg_hits += 1
        feats["lex_chain_hit_share"] = seg_hits / n_seg
    else:
        feats["lex_chain_hit_share"] = 0.0
    return feats


def vocab_features(norm_text: str, lexicons: Lexicons) -> dict[str, float]:
    """``lex_{category}_vocab_*``: how much of a text is made of a category's spam vocabulary.

    ``share``: characters covered by the category's words / all characters;
    ``max``: the strongest word's log-odds; ``per100``: summed log-odds per
    100 characters. Overlapping words each count (a chain's words overlap).
    Real chains mix spam words with ordinary ones ("人妻体内射精一区二区三区"),
    so two more features look at the chain's shape instead of its coverage:
    ``lex_vocab_strong_per100`` (strong words of any category per 100
    characters) and ``lex_vocab_chain_hit_share`` (the share of a chain's
    segments that hold a strong word; 0 for text that is no chain).
    """
    feats = dict(_VOCAB_ZERO)
    auto = lexicons.vocab_automaton
    found = auto.ordered(norm_text)
    if not found:
        return feats
    values = auto.values
    covered: dict[str, set[int]] = {}
    total: dict[str, float] = {}
    strong_starts: list[int] = []
    for i, start, stop in found:
        scored = values[i]
        if norm_text[start].isascii() and not _whole_word(norm_text, start, stop, norm_text[start:stop]):
            continue
        if max(score for _, score in scored) >= VOCAB_STRONG:
            strong_starts.append(start)
        for category, score in scored:
            covered.setdefault(category, set()).update(range(start, stop))
            total[category] = total.get(category, 0.0) + score
            key = f"lex_{category}_vocab_max"
            if score > feats[key]:
                feats[key] = score
    n_chars = max(1, len(norm_text))
    for category, positions in covered.items():
        feats[f"lex_{category}_vocab_share"] = len(positions) / n_chars
        feats[f"lex_{category}_vocab_per100"] = 100.0 * total[category] / n_chars
    feats["lex_vocab_strong_per100"] = 100.0 * len(strong_starts) / n_chars
    if strong_starts:
        cuts = [(m.start(), m.end()) for m in CHAIN_SPLIT.finditer(norm_text)]
        segments = [(s, e) for s, e in zip([0] + [end for _, end in cuts], [start for start, _ in cuts] + [n_chars])
                    if e > s]
        if len(segments) >= 3:
            strong_starts.sort()  # a segment is hit when the first strong start at or after its start is before its end
            hit = 0
            for s, e in segments:
                k = bisect_left(strong_starts, s)
                hit += k < len(strong_starts) and strong_starts[k] < e
            feats["lex_vocab_chain_hit_share"] = hit / len(segments)
    return feats


def vocab_page_features(block_rows: list[dict[str, float]], block_chars: list[int],
                        title_norm: str = "", lexicons: Lexicons | None = None) -> dict[str, float]:
    """Page aggregates of the vocabulary features: the strongest block, the share of spam-made blocks.

    Where strong words sit tells keyword-targeted filler (the spam word is the
    topic: in the title and throughout) from a brand spliced into one or two
    places of a real article: ``page_lex_vocab_strong_block_share`` and
    ``page_lex_vocab_title_strong``.
    """
    feats: dict[str, float] = {}
    n_chars = max(1, sum(block_chars))
    strong_blocks = sum(1 for row in block_rows if row["lex_vocab_strong_per100"] > 0)
    feats["page_lex_vocab_strong_blocks"] = float(strong_blocks)
    feats["page_lex_vocab_strong_block_share"] = strong_blocks / len(block_rows) if block_rows else 0.0
    title = vocab_features(title_norm, lexicons) if title_norm and lexicons is not None else {}
    feats["page_lex_vocab_title_strong"] = title.get("lex_vocab_strong_per100", 0.0)
    for category in VOCAB_CATEGORIES:
        shares = [row[f"lex_{category}_vocab_share"] for row in block_rows]
        feats[f"page_lex_{category}_vocab_share_max"] = max(shares, default=0.0)
        feats[f"page_lex_{category}_vocab_max"] = max((row[f"lex_{category}_vocab_max"] for row in block_rows),
                                                      default=0.0)
        feats[f"page_lex_{category}_vocab_blocks"] = float(sum(1 for s in shares if s >= 0.3))
        feats[f"page_lex_{category}_vocab_spread"] = sum(s * n for s, n in zip(shares, block_chars)) / n_chars
    return feats


def evidence_terms(norm_text: str, lexicons: Lexicons, category: str | None = None,
                   limit: int = 8) -> list[str]:
    """Distinct matched terms (optionally of one category), in order of appearance."""
    seen: list[str] = []
    for _, _, term, cats in lexicons.matches(norm_text):
        if (category is None or category in cats) and term not in seen:
            seen.append(term)
            if len(seen) >= limit:
                break
    return seen


def evidence_vocabulary(norm_text: str, lexicons: Lexicons, limit: int = 8) -> list[str]:
    """Distinct strong spam-vocabulary words of a text, strongest first (the evidence of SPAM_VOCABULARY)."""
    auto = lexicons.vocab_automaton
    best: dict[str, float] = {}
    for i, start, stop in auto.ordered(norm_text):
        word = norm_text[start:stop]
        score = max(s for _, s in auto.values[i])
        if score >= VOCAB_STRONG and (not word.isascii() or _whole_word(norm_text, start, stop, word)):
            best[word] = max(best.get(word, 0.0), score)
    return [w for w, _ in sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
