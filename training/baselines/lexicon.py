"""``lexicon``: the sensitive-word rule of ChineseWebText.

ChineseWebText (Chen et al., 2023, "ChineseWebText: Large-scale High-quality Chinese Web Text
Extracted with Effective Evaluation Model", arXiv:2311.01149, section 3.1, preparation stage)
drops a document whose share of sensitive words is too high, measured as the average number
of sensitive-lexicon words per line: over 0.5 per line, the document is removed as toxic.

The lexicon is the committed model's spam lexicons (``loaded.model.featurizer.lexicons``:
porn, gambling, illicit goods, spam adverts, spam URLs, all built from the real word lists of
the corpora), so the baseline needs nothing under ``var/``. Matching is the model's own
(normalised text, longest non-overlapping matches, ASCII terms as whole words), so the two
differ in the decision rule, not in the vocabulary.

The rule says one thing about a page: it carries spam vocabulary. Of our labels only
``injected_spam`` means that (link farms and fabricated filler are made of ordinary words),
so the baseline scores ``injected_spam`` and leaves the other labels at 0.
"""

from __future__ import annotations

from service.analysis.text import normalize
from service.features.lexicon import Lexicons

MAX_WORDS_PER_LINE = 0.5  # ChineseWebText: documents above this many sensitive words per line are dropped


def sensitive_words_per_line(text: str, lexicons: Lexicons) -> float:
    """Average number of lexicon matches per non-empty line (0 for empty text)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return 0.0
    return sum(len(lexicons.matches(normalize(line))) for line in lines) / len(lines)


class LexiconBaseline:
    """Scores ``injected_spam`` in [0, 1]; over 0.5 exactly when the ChineseWebText rule drops the page."""

    name = "lexicon"

    def __init__(self, lexicons: Lexicons):
        self.lexicons = lexicons

    def predict(self, text: str, url: str = "") -> dict[str, float]:
        ratio = sensitive_words_per_line(text or "", self.lexicons) / MAX_WORDS_PER_LINE
        score = ratio / (1.0 + ratio)  # 0.5 at the threshold, rising with the share
        if ratio <= 1.0:  # "exceeds": a page exactly at the threshold is kept
            score = min(score, 0.4999)
        return {"injected_spam": round(score, 4), "link_farm": 0.0, "fabricated_listicle": 0.0}
