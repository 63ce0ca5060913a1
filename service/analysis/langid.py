"""langdetect's language identification, the same answers about 10x faster.

``langdetect.detect`` (seed 0) spends its time in per-character Python: it
normalises every character through a binary search of Unicode blocks,
feeds an n-gram buffer one character at a time and multiplies ~55 language
probabilities in a Python loop per sampled n-gram. :func:`detect` runs the
same algorithm on the same profiles with the same random draws:

* text cleaning with regular expressions instead of character loops (same
  counts: langdetect's check for "Latin Extended Additional" compares a
  block number with a name and never matches, so it is left out here too);
* characters normalised through a per-process translation table filled by
  langdetect's own ``NGram.normalize``;
* the n-grams of a word depend only on the word and on whether a space
  follows it, so they are computed once per distinct word (in the order
  langdetect's buffer emits them: per character, lengths 1, 2, 3);
* the probability updates on Python lists, with the same IEEE operations in
  the same order (``p * (weight + q)``, a left-to-right ``sum``).

``tests/test_identical.py`` compares it with ``langdetect.detect`` on real
pages and generated text.
"""

from __future__ import annotations

import functools
import random
import re

import numpy as np

_SPACE_RUN = re.compile(" {2,}")
_LATIN = re.compile("[A-z]")  # langdetect's 'A' <= ch <= 'z' (the range includes [\]^_`)
_NON_LATIN = re.compile("[\u0300-\U0010ffff]")
N_TRIAL = 7  # Detector.n_trial
MAX_WORD_CACHE = 100_000  # distinct (word, followed by a space) entries kept per process
MAX_ROW_CACHE = 20_000  # n-gram probability rows kept as arrays (about 0.6 KB each)


class _Tables:
    """langdetect's profiles and the caches built on them (one per process)."""

    def __init__(self):
        from langdetect import detector_factory
        from langdetect.detector import Detector
        from langdetect.utils.ngram import NGram

        detector_factory.init_factory()
        factory = detector_factory._factory
        self.detector_cls = Detector
        self.word_probs: dict[str, list[float]] = factory.word_lang_prob_map
        self.langlist: list[str] = factory.langlist
        self.normalize_char = NGram.normalize
        self.normalize_vi = NGram.normalize_vi
        self.char_map: dict[int, str] = {}
        self.word_grams: dict[tuple[str, bool], list[str]] = {}
        self.rows: dict[str, np.ndarray] = {}

    def row(self, gram: str) -> np.ndarray:
        """The profile probabilities of one n-gram as a float64 array (cached)."""
        found = self.rows.get(gram)
        if found is None:
            if len(self.rows) >= MAX_ROW_CACHE:
                self.rows.clear()
            found = self.rows[gram] = np.array(self.word_probs[gram], dtype=np.float64)
        return found

    def translate(self, text: str) -> str:
        """``NGram.normalize`` applied to every character."""
        char_map = self.char_map
        for ch in set(text):
            if ord(ch) not in char_map:
                char_map[ord(ch)] = self.normalize_char(ch)
        return text.translate(char_map)

    def grams(self, word: str, space_after: bool) -> list[str]:
        """The known n-grams langdetect's buffer emits for ``word`` (normalised, no spaces)."""
        key = (word, space_after)
        found = self.word_grams.get(key)
        if found is not None:
            return found
        probs = self.word_probs
        s = " " + word + (" " if space_after else "")
        found = []
        for j in range(1, len(s)):
            ch = s[j]
            if ch.isupper() and s[j - 1].isupper():
                continue  # NGram.capitalword: inside an all-capitals word
            if ch != " " and ch in probs:
                found.append(ch)
            w = s[j - 1:j + 1]
            if w in probs:
                found.append(w)
            if j >= 2:
                w = s[j - 2:j + 1]
                if w in probs:
                    found.append(w)
        if len(self.word_grams) >= MAX_WORD_CACHE:
            self.word_grams.clear()
        self.word_grams[key] = found
        return found


@functools.lru_cache(maxsize=1)
def _tables() -> _Tables:
    return _Tables()


def load_profiles() -> None:
    """Load langdetect's 55 language profiles now (a worker's warm-up) rather than for the first text CLD2
    leaves to langdetect."""
    _tables()


def _clean(text: str) -> str:
    """Detector.append + Detector.cleaning_text for one text."""
    det = _tables().detector_cls
    text = det.URL_RE.sub(" ", text)
    text = det.MAIL_RE.sub(" ", text)
    text = _tables().normalize_vi(text)
    text = _SPACE_RUN.sub(" ", text[:10000])  # max_text_length; runs of spaces kept as one
    latin = len(_LATIN.findall(text))
    if latin * 2 < len(_NON_LATIN.findall(text)):
        text = _LATIN.sub("", text)
    return text


def _ngrams(text: str) -> list[str]:
    """Detector._extract_ngrams on a cleaned text."""
    tables = _tables()
    words = tables.translate(text).split(" ")
    last = len(words) - 1
    out: list[str] = []
    for i, word in enumerate(words):
        if word:
            out.extend(tables.grams(word, i < last))
    return out


def detect(text: str) -> str:
    """The language code ``langdetect.detect`` returns with ``DetectorFactory.seed = 0``.

    Raises ``LangDetectException`` where it does (no usable n-gram).
    """
    from langdetect.lang_detect_exception import ErrorCode, LangDetectException

    tables = _tables()
    det = tables.detector_cls
    ngrams = _ngrams(_clean(text))
    if not ngrams:
        raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
    n_langs = len(tables.langlist)
    row = tables.row
    langprob = np.zeros(n_langs)
    rng = random.Random()
    rng.seed(0)
    choice = rng.choice
    for _ in range(N_TRIAL):
        prob = np.full(n_langs, 1.0 / n_langs)
        alpha = det.ALPHA_DEFAULT + rng.gauss(0.0, 1.0) * det.ALPHA_WIDTH
        weight = alpha / det.BASE_FREQ
        i, steps = 0, 1  # langdetect updates once, normalises, then normalises after every 5 updates
        while True:
            for _ in range(steps):
                prob *= row(choice(ngrams)) + weight  # elementwise: langdetect's p * (weight + q)
            prob /= sum(prob.tolist())  # the builtin sum, left to right, as langdetect sums
            if prob.max() > det.CONV_THRESHOLD or i >= det.ITERATION_LIMIT:
                break
            i, steps = i + 5, 5
        langprob += prob / N_TRIAL
    from langdetect.language import Language

    ranked = [Language(lang, p) for lang, p in zip(tables.langlist, langprob.tolist()) if p > det.PROB_THRESHOLD]
    ranked.sort(reverse=True)  # Detector._sort_probability
    return ranked[0].lang if ranked else det.UNKNOWN_LANG
