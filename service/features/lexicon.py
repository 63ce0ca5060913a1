"""Spam lexicons and the ``lex_`` feature family.

The term lists are built at training time from the real lexicons in the
corpora (``training/lexicons.py``) and travel inside the model artifact;
this module only matches them. Matching runs on normalised text (NFKC,
simplified script, lower case) with one Aho-Corasick automaton per process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import ahocorasick

CATEGORIES = ("porn", "gambling", "illicit", "advert", "url")
# Separators that join keyword chains: "a_b_c", "a,b,c", "a丨b丨c", "a|b|c".
CHAIN_SPLIT = re.compile(r"\s*[_,，|丨、;；/]\s*|\s{2,}")


@dataclass
class Lexicons:
    """Category -> terms (normalised). Picklable; the automaton is rebuilt lazily."""

    terms: dict[str, list[str]] = field(default_factory=dict)
    source_hash: str = ""

    def __getstate__(self):
        return {"terms": self.terms, "source_hash": self.source_hash}

    def __setstate__(self, state):
        self.terms = state["terms"]
        self.source_hash = state["source_hash"]

    @property
    def automaton(self) -> ahocorasick.Automaton:
        auto = self.__dict__.get("_automaton")
        if auto is None:
            auto = ahocorasick.Automaton()
            for category, words in self.terms.items():
                for word in words:
                    if word:
                        previous = auto.get(word, None)
                        cats = (previous[1] + (category,)) if previous else (category,)
                        auto.add_word(word, (word, cats))
            if len(auto):
                auto.make_automaton()
            self.__dict__["_automaton"] = auto
        return auto

    def matches(self, norm_text: str) -> list[tuple[int, int, str, tuple[str, ...]]]:
        """Non-overlapping longest matches: ``(start, end, term, categories)``."""
        auto = self.automaton
        if not norm_text or auto.kind != ahocorasick.AHOCORASICK:
            return []
        found = sorted(((end - len(word) + 1, end + 1, word, cats)
                        for end, (word, cats) in auto.iter(norm_text)
                        if _whole_word(norm_text, end - len(word) + 1, end + 1, word)),
                       key=lambda m: (m[0], -(m[1] - m[0])))
        chosen: list[tuple[int, int, str, tuple[str, ...]]] = []
        last_end = -1
        for match in found:
            if match[0] >= last_end:
                chosen.append(match)
                last_end = match[1]
        return chosen


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
    feats: dict[str, float] = {}
    for category in CATEGORIES:
        hits = [m for m in matches if category in m[3]]
        feats[f"lex_{category}_hits"] = float(len(hits))
        feats[f"lex_{category}_distinct"] = float(len({m[2] for m in hits}))
        feats[f"lex_{category}_per100"] = 100.0 * len(hits) / n_chars
    covered = sum(m[1] - m[0] for m in matches)
    feats["lex_any_hits"] = float(len(matches))
    feats["lex_coverage"] = covered / n_chars
    segments = [seg for seg in CHAIN_SPLIT.split(norm_text) if seg]
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
        for s, e in spans:
            if any(m[0] < e and m[1] > s for m in matches):
                seg_hits += 1
        feats["lex_chain_hit_share"] = seg_hits / n_seg
    else:
        feats["lex_chain_hit_share"] = 0.0
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
