"""FineWeb's custom quality filters (Penedo et al., 2024, "The FineWeb Datasets", arXiv:2406.17557,
section 3.3; datatrove ``FineWebQualityFilter``) and the whole FineWeb / FineWeb-2 heuristic chain.

The custom filters: fewer than 12 % of lines ending in terminal punctuation, more than 67 %
of lines of at most 30 characters (10 for Chinese, see ``language.py``), more than 1 % of
characters in duplicated lines, more than 0.3 newlines per word.

The chain runs in FineWeb's order on the page's extracted text: Gopher repetition, Gopher
quality, C4 (whose line removal feeds the next step), FineWeb custom filters. FineWeb's URL
blocklist and fastText language filter sit before it in the real pipeline; a page we are
given is already in a language we serve, and URL blocklists are not text heuristics.
"""

from __future__ import annotations

from training.baselines.c4 import c4_lines
from training.baselines.gopher import find_duplicates, gopher_quality, gopher_repetition
from training.baselines.language import TERMINAL_PUNCTUATION, Settings, settings_for, words

# A document filter keeps or drops; a dropped page is "low quality", which on our label set
# is a fabricated (template/machine filler, stitched compilations) or a link-farm page.
# Quality filters do not look for third-party insertions, so they never say injected_spam.
DROPPED_AS = ("fabricated_listicle", "link_farm")


def fineweb_quality(text: str, s: Settings) -> list[str]:
    """The FineWeb custom rules failed by ``text``."""
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return ["fineweb_empty"]
    failed = []
    if sum(line.endswith(TERMINAL_PUNCTUATION) for line in lines) / len(lines) < s.line_punct_thr:
        failed.append("fineweb_line_punct_ratio")
    if sum(len(line) <= s.short_line_length for line in lines) / len(lines) > s.short_line_thr:
        failed.append("fineweb_short_line_ratio")
    if find_duplicates(lines)[1] / max(1, len(text.replace("\n", ""))) > s.char_duplicates_ratio:
        failed.append("fineweb_char_dup_ratio")
    n_words = len(words(text, s))
    if n_words and text.count("\n") / n_words > s.new_line_ratio:
        failed.append("fineweb_list_ratio")
    return failed


def quality_chain(text: str) -> list[str]:
    """Every rule of the FineWeb-2-style chain that ``text`` fails; empty means the page is kept."""
    s = settings_for(text)
    toks = words(text, s)
    failed = gopher_repetition(text, toks) + gopher_quality(text, toks, s)
    kept, c4_failed = c4_lines(text, s)
    return failed + c4_failed + fineweb_quality(kept, s)


class FineWebGopherBaseline:
    """``fineweb_gopher``: the document-level heuristic chain as a page classifier.

    A dropped page scores ``n / (n + 1)`` for every label in :data:`DROPPED_AS`, where ``n``
    is the number of rules it fails (so 0.5 at one rule: flagged; ranks pages for PR-AUC);
    a kept page scores 0.
    """

    name = "fineweb_gopher"

    def predict(self, text: str, url: str = "") -> dict[str, float]:
        n = len(quality_chain(text or ""))
        score = n / (n + 1)
        return {"injected_spam": 0.0, **{label: score for label in DROPPED_AS}}
