"""Per-page context shared by the block feature families (computed once per page)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from itertools import chain

from service.analysis.page import Page
from service.features.lexicon import Lexicons
from service.features.units import norm2, units

MAIN_MIN_CHARS = 60  # paragraphs at least this long make up the page's main content


@dataclass(eq=False)
class PageContext:
    page: Page
    lexicons: Lexicons

    @cached_property
    def block_units(self) -> list[Counter]:
        return [units(b.norm) for b in self.page.blocks]

    @cached_property
    def page_units(self) -> Counter:
        return _summed(self.block_units)

    @cached_property
    def main_units(self) -> Counter:
        """Units of the long prose blocks (the main content); the whole page if there are none."""
        return _summed([bag for block, bag in zip(self.page.blocks, self.block_units)
                        if block.kind == "paragraph" and len(block.text) >= MAIN_MIN_CHARS]) or self.page_units

    @cached_property
    def page_norm2(self) -> float:
        return norm2(self.page_units)

    @cached_property
    def main_norm2(self) -> float:
        return norm2(self.main_units)

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
    def block_matches(self) -> list[list]:
        return [self.lexicons.matches(b.norm) for b in self.page.blocks]


def _summed(bags: list[Counter]) -> Counter:
    """The bags added up, counted in C (``Counter.update`` with a mapping loops in Python)."""
    return Counter(chain.from_iterable(bag.elements() for bag in bags))
