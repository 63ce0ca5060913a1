"""Baselines run on the same pages as the model, so its figures have something to beat.

* ``lexicon`` (:mod:`.lexicon`): ChineseWebText's sensitive-word rule with the model's
  spam lexicons; it can only say ``injected_spam``.
* ``fineweb_gopher`` (:mod:`.fineweb`): the document-level heuristic chain of FineWeb /
  FineWeb-2 (Gopher repetition and quality, C4 lines, FineWeb's custom filters) with
  FineWeb-2's Chinese adaptations (:mod:`.language`); a dropped page counts as
  ``fabricated_listicle`` and ``link_farm``.

Every baseline is ``predict(text, url) -> {label: score in [0, 1]}``; a label counts as
flagged at 0.5, and a flagged page as dropped.
"""

from __future__ import annotations

from service.features.lexicon import Lexicons
from training.baselines.fineweb import FineWebGopherBaseline
from training.baselines.lexicon import LexiconBaseline

__all__ = ["FineWebGopherBaseline", "LexiconBaseline", "make_baselines"]


def make_baselines(lexicons: Lexicons) -> dict:
    """The baselines by name; ``lexicons`` are the evaluated model's (``model.featurizer.lexicons``)."""
    return {"lexicon": LexiconBaseline(lexicons), "fineweb_gopher": FineWebGopherBaseline()}
