"""The page model shared by every stage: a page is an ordered list of blocks.

A :class:`Block` knows its character offsets in the page's extracted text,
so every span the service reports can be located. Normalised text and word
segmentation are computed once per block, lazily, and shared by all feature
families (ARCHITECTURE.md, step 3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlsplit

from service.analysis import text as textops

BLOCK_KINDS = ("title", "heading", "paragraph", "list", "lines", "table")
TRADITIONAL_HEAD_CHARS = 20000  # a page's traditional share is measured on its first characters


@dataclass(eq=False)
class Block:
    """One block of a page: a paragraph, a list, a run of short lines, a table."""

    index: int
    start: int  # offset of the first character in Page.text
    end: int  # offset one past the last character
    text: str
    kind: str = "paragraph"
    items: list[str] = field(default_factory=list)  # list entries / lines (>= 1)
    path: str | None = None  # element path for HTML input
    link_chars: int = 0  # characters inside <a> elements
    n_links: int = 0
    n_offsite_links: int = 0
    hidden: str | None = None  # why the block is invisible (CSS rule), if it is

    @cached_property
    def norm(self) -> str:
        return textops.normalize(self.text)

    @cached_property
    def traditional_share(self) -> float:
        return textops.traditional_share(self.text)

    @property
    def n_items(self) -> int:
        return max(1, len(self.items))


@dataclass(eq=False)
class Page:
    """A page as the model sees it."""

    text: str
    blocks: list[Block]
    url: str = ""
    title: str = ""
    source: str = "text"  # "html" or "text"
    charset: str | None = None
    meta_keywords: str = ""

    @cached_property
    def host(self) -> str:
        try:
            return (urlsplit(self.url).hostname or "").lower()
        except ValueError:
            return ""

    @cached_property
    def language(self) -> str:
        return textops.detect_language(self.text)

    @cached_property
    def norm(self) -> str:
        """``normalize(self.text)``, from the blocks' normal forms when the text is made of them."""
        joined = _norm_from_blocks(self)
        return textops.normalize(self.text) if joined is None else joined

    @cached_property
    def simplified_head(self) -> str:
        """The first ``TRADITIONAL_HEAD_CHARS`` characters in simplified script."""
        return textops.to_simplified(self.text[:TRADITIONAL_HEAD_CHARS])

    @cached_property
    def traditional_share(self) -> float:
        return textops.traditional_share(self.text[:TRADITIONAL_HEAD_CHARS], self.simplified_head)

    @cached_property
    def block_traditional_shares(self) -> list[float]:
        """``block.traditional_share`` of every block, without converting the blocks of an unchanged head.

        When the page's head converts to itself, so does every block in it that
        is whole lines of it: OpenCC matches its dictionaries' keys longest
        first, left to right, and no key holds a line break (the dictionaries
        are built from one entry per line), so no match crosses one and a run
        of whole lines converts as it does inside the head. Such a block's
        share is 0.0 (most blocks of a page in simplified script or without
        Chinese); the others are converted on their own.
        """
        head = self.text[:TRADITIONAL_HEAD_CHARS]
        unchanged = self.simplified_head == head
        shares = []
        for block in self.blocks:
            start, end = block.start, block.end
            if (unchanged and 0 <= start <= end <= len(head) and (start == 0 or head[start - 1] == "\n")
                    and (end == len(head) or head[end] == "\n") and head[start:end] == block.text):
                shares.append(0.0)
            else:
                shares.append(block.traditional_share)
        return shares

    def normalize_blocks(self) -> None:
        """Fill in the ``norm`` of every block that has none yet, all in one :func:`textops.normalize_all` call.

        The same strings as block by block, in a fraction of the time (one
        OpenCC call per page instead of one per block); the featurizer calls
        this before it reads any block's normal form.
        """
        todo = [block for block in self.blocks if "norm" not in block.__dict__]
        for block, norm in zip(todo, textops.normalize_all([block.text for block in todo])):
            block.__dict__["norm"] = norm  # where the cached property keeps its value

    @cached_property
    def title_norm(self) -> str:
        return textops.normalize(self.title)


_LINE_SPACE = "\n \t\r"  # what may lie between two blocks
# Below the CJK radicals (U+2E80) no character is CJK or becomes CJK under NFKC but these two (〈 〉).
_BELOW_CJK = "\u2e80"
_TO_CJK = frozenset("\u2329\u232a")


def _norm_from_blocks(page: Page) -> str | None:
    """``normalize(page.text)`` as the blocks' normal forms joined by a space, when that is the same; else ``None``.

    It is the same when the text is its blocks in order, each between line
    breaks (or an end of the text), with only line breaks, spaces and tabs
    between them, and every block holds a CJK character or none that is or
    becomes one (all below U+2E80, the CJK radicals, but 〈 〉). Each step
    of the normal form then works line by line: NFKC composes nothing across
    a line break (a starter that composes with nothing), OpenCC matches no key
    across one (its dictionaries hold one entry per line), runs of white space
    become one space and lower-casing looks no further than white space. And
    OpenCC, which converts the whole text when it holds a CJK character,
    converts each block with one too, and leaves the others as they are (its
    keys are Chinese; tests/test_identical.py checks every such character).
    """
    text, pos, parts = page.text, 0, []
    for block in page.blocks:
        start, end = block.start, block.end
        if (start < pos or end > len(text) or text[pos:start].strip(_LINE_SPACE)
                or (start > 0 and text[start - 1] != "\n") or (end < len(text) and text[end] != "\n")
                or text[start:end] != block.text
                or not (textops.CJK_RE.search(block.text)
                        or (max(block.text, default="") < _BELOW_CJK and _TO_CJK.isdisjoint(block.text)))):
            return None
        if block.norm:
            parts.append(block.norm)
        pos = end
    if text[pos:].strip(_LINE_SPACE):
        return None
    return " ".join(parts)


# The most blocks a page is judged in. The models cost about 60 µs a block, so a page of 100,000 one-line blocks
# took 15 s; past this many, the rest of the page is judged as one block. The largest page of the corpora
# (32,600 composed, real and HTML pages) has 638.
MAX_BLOCKS = 2000


def build_page(*, text: str | None = None, html: str | None = None, url: str = "",
               charset: str | None = None) -> Page:
    """Analyse one page given as extracted text or as decoded HTML.

    The page's invisible format characters (zero-width space and joiners, soft hyphens, word joiners,
    direction marks) are dropped first: the text is what a reader sees, and its offsets count no
    character that shows nothing.
    """
    if html is not None:
        from service.analysis.htmlblocks import page_from_html

        return capped(page_from_html(textops.drop_format_characters(html), url=url, charset=charset))
    from service.analysis.textblocks import page_from_text

    return capped(page_from_text(textops.drop_format_characters(text or ""), url=url))


def capped(page: Page, max_blocks: int = MAX_BLOCKS) -> Page:
    """``page`` with its blocks from the ``max_blocks``-th on merged into one (the same page when it has fewer).

    The merged block covers the text from the first merged block's start to
    the last one's end, so span offsets still point into ``page.text``.
    """
    if len(page.blocks) <= max_blocks:
        return page
    tail = page.blocks[max_blocks - 1:]
    start, end = tail[0].start, tail[-1].end
    kinds = {b.kind for b in tail}
    merged = Block(index=max_blocks - 1, start=start, end=end, text=page.text[start:end],
                   kind=kinds.pop() if len(kinds) == 1 else "lines",
                   items=[item for b in tail for item in b.items], path=tail[0].path,
                   link_chars=sum(b.link_chars for b in tail), n_links=sum(b.n_links for b in tail),
                   n_offsite_links=sum(b.n_offsite_links for b in tail),
                   hidden=tail[0].hidden if all(b.hidden for b in tail) else None)
    return Page(text=page.text, blocks=page.blocks[:max_blocks - 1] + [merged], url=page.url, title=page.title,
                source=page.source, charset=page.charset, meta_keywords=page.meta_keywords)
