"""Baselines run on the same pages as the model.

* ``lexicon``: the keyword-lexicon rule of corpus filters — a page is
  spam when it contains enough terms from the spam lexicons.

Every baseline is ``predict(text, url) -> {label: score in [0, 1]}``; a
label counts as flagged at 0.5.
"""

from __future__ import annotations

import functools

from service.analysis.text import normalize
from service.features.lexicon import Lexicons

LEXICON_MIN_HITS = 2  # ChineseWebText-style rule: a page with this many spam terms is dropped


class LexiconBaseline:
    name = "lexicon"

    def __init__(self, lexicons: Lexicons | None = None):
        self._lexicons = lexicons

    @functools.cached_property
    def lexicons(self) -> Lexicons:
        if self._lexicons is not None:
            return self._lexicons
        import joblib

        from training.__main__ import WORK_DIR

        return joblib.load(WORK_DIR / "lexicons.joblib")

    def predict(self, text: str, url: str = "") -> dict[str, float]:
        hits = self.lexicons.matches(normalize(text))
        spam = 1.0 if len(hits) >= LEXICON_MIN_HITS else 0.0
        return {"injected_spam": spam, "link_farm": 0.0, "fabricated_listicle": 0.0}


BASELINES = {"lexicon": LexiconBaseline()}
