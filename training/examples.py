"""Composed training pages and how their blocks get labels.

A text example is assembled segment by segment, so the character span of
every inserted part is known exactly. An HTML example carries the inserted
strings (``marks``) and they are located in the extracted text after
parsing. Either way a block takes the label of the marked span covering
most of it (``injected_spam`` > ``link_farm`` > ``boilerplate``), or the
example's default.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field

from service.analysis.page import Page, build_page
from service.model import BLOCK_LABELS

SPAN_PRIORITY = ("injected_spam", "link_farm", "boilerplate")
MIN_BLOCK_COVER = 0.5  # a span labels a block when it covers this share of it
# ...and an injected span labels its block whatever share it covers once it is this long: a gambling name
# substituted into a paragraph makes the paragraph an injected_spam block (LABELS.md: a page is injected_spam
# when it "contains at least one injected_spam block"), not content that happens to carry spam.
MIN_INJECTED_CHARS = 2


@dataclass
class Example:
    example_id: str
    split: str
    site: str
    recipe: str
    lang: str
    labels: list[str]
    url: str = ""
    text: str | None = None
    html: str | None = None
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # text examples: exact spans
    marks: list[tuple[str, str]] = field(default_factory=list)  # html examples: (label, inserted string)
    content_mask: list[bool] | None = None  # html examples: real content blocks (gold or silver)

    def build(self) -> Page:
        return build_page(text=self.text, html=self.html, url=self.url)

    def located_spans(self, page: Page) -> list[tuple[int, int, str]]:
        if self.html is None:
            return list(self.spans)
        spans, pos = [], 0
        for label, string in self.marks:
            needle = " ".join(string.split())
            idx = page.text.find(needle, pos)
            if idx < 0:
                idx = page.text.find(needle)
            if idx >= 0:
                spans.append((idx, idx + len(needle), label))
                pos = idx + len(needle)
        return spans

    def evaluation_spans(self, page: Page) -> list[tuple[int, int, str]]:
        """The gold spans a verdict's spans are scored against: :meth:`located_spans`, and for an HTML page
        also its boilerplate, the blocks :meth:`block_labels` calls ``boilerplate`` (the same target the block
        model is trained on). A text page's boilerplate is already among its spans."""
        spans = self.located_spans(page)
        if self.html is None or self.content_mask is None:
            return spans
        furniture = [(block.start, block.end, "boilerplate")
                     for block, label in zip(page.blocks, self.block_labels(page, spans)) if label == "boilerplate"]
        return sorted(spans + furniture)

    def block_labels(self, page: Page, spans: list[tuple[int, int, str]] | None = None) -> list[str]:
        spans = self.located_spans(page) if spans is None else spans
        labels = []
        for i, block in enumerate(page.blocks):
            default = "content"
            if self.content_mask is not None:
                default = "content" if i < len(self.content_mask) and self.content_mask[i] else "boilerplate"
            length = max(1, block.end - block.start)
            chosen = default
            for label in SPAN_PRIORITY:
                cover = sum(max(0, min(e, block.end) - max(s, block.start)) for s, e, lab in spans if lab == label)
                if cover >= MIN_BLOCK_COVER * length or label == "injected_spam" and cover >= MIN_INJECTED_CHARS:
                    chosen = label
                    break
            labels.append(chosen)
        assert all(label in BLOCK_LABELS for label in labels)
        return labels


class TextBuilder:
    """Assemble a plain-text page from labelled segments, tracking exact spans."""

    def __init__(self, rng: random.Random, nfkc: bool):
        self.rng = rng
        self.nfkc = nfkc
        self.parts: list[str] = []
        self.spans: list[tuple[int, int, str]] = []
        self.length = 0

    def _norm(self, text: str) -> str:
        return unicodedata.normalize("NFKC", text) if self.nfkc else text

    def add(self, text: str, label: str | None = None, sep: str | None = None) -> None:
        """Append a segment (a block or a line) after a separator; label it if ``label``."""
        text = self._norm(text).strip("\n")
        if not text.strip():
            return
        if self.parts:
            sep = sep if sep is not None else self.rng.choice(("\n\n", "\n\n", "\n"))
            self.parts.append(sep)
            self.length += len(sep)
        if label:
            self.spans.append((self.length, self.length + len(text), label))
        self.parts.append(text)
        self.length += len(text)

    def add_inline(self, before: str, inserted: str, after: str, label: str, sep: str | None = None) -> None:
        """Append one segment whose middle part ``inserted`` is labelled (a substituted term)."""
        before, inserted, after = self._norm(before), self._norm(inserted), self._norm(after)
        self.add(before + inserted + after, None, sep)
        start = self.length - len(after) - len(inserted)
        self.spans.append((start, start + len(inserted), label))

    def text(self, cut: int | None = None) -> tuple[str, list[tuple[int, int, str]]]:
        """The page text, optionally cut like a store excerpt at a line end near ``cut``."""
        text = "".join(self.parts)
        spans = list(self.spans)
        if cut is not None and cut < len(text):
            nl = text.rfind("\n", 0, cut)
            cut = nl if nl > cut * 0.6 else cut
            text = text[:cut]
            spans = [(s, min(e, cut), lab) for s, e, lab in spans if s < cut]
        return text, spans


def labels_after_cut(spans: list[tuple[int, int, str]], labels: set[str], span_borne: set[str]) -> list[str]:
    """Page labels once the excerpt is cut: a label that lives only in its spans
    (an inserted spam line, an appended headline wall) goes when the cut removed them."""
    present = {lab for s, e, lab in spans if e > s}
    return sorted(label for label in labels if label not in span_borne or label in present)
