"""Per-page context shared by the block feature families (computed once per page)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from service.analysis.page import Page
from service.features.lexicon import Lexicons
from service.features.unitindex import PageUnits
from service.features.units import units

MAIN_MIN_CHARS = 60  # paragraphs at least this long make up the page's main content


@dataclass(eq=False)
class PageContext:
    page: Page
    lexicons: Lexicons

    @cached_property
    def units(self) -> PageUnits:
        """The unit bags of every block, as arrays; the main content is the long prose blocks (the whole
        page if they hold no unit)."""
        blocks = self.page.blocks
        return PageUnits([b.norm for b in blocks], [b.index in self.main_blocks for b in blocks], self.title_units)

    @cached_property
    def topic_similarities(self) -> dict[str, list[float]]:
        """Per block: similarity with the rest of the page, its main content and its title (topicality)."""
        return self.units.block_similarities()

    @cached_property
    def main_keys(self) -> set[int]:
        """The unit keys of the main content (:meth:`PageUnits.key_of`)."""
        return self.units.main_keys()

    @cached_property
    def main_blocks(self) -> set[int]:
        return {b.index for b in self.page.blocks if b.kind == "paragraph" and len(b.text) >= MAIN_MIN_CHARS}

    @cached_property
    def title_units(self) -> Counter:
        return units(self.page.title_norm)

    @cached_property
    def total_chars(self) -> int:
        return max(1, sum(len(b.text) for b in self.page.blocks))

    @cached_property
    def class_chars(self) -> list[list[int]]:
        """Per block: its digit, CJK, Latin and punctuation characters (structure features)."""
        from service.features.structure import page_class_chars  # structure imports this module

        return page_class_chars(self.page)

    @cached_property
    def block_matches(self) -> list[list]:
        return [self.lexicons.matches(b.norm) for b in self.page.blocks]

