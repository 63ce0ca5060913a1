"""Split plain text into blocks.

Rules, in order: blank lines end a block; a run of bullet or numbered lines
is one ``list`` block (one item per line); a run of short lines (menus,
bylines, share bars) is one ``lines`` block; every long line is its own
``paragraph``. Offsets point into the text exactly as returned to the client.
"""

from __future__ import annotations

import re

from service.analysis.page import Block, Page

SHORT_LINE_CHARS = 24  # a line this short or shorter reads as navigation, not prose
LENGTH_JUMP = 3.0  # a bullet this many times longer (or shorter) than its run's mean starts a new block
LENGTH_JUMP_MIN_CHARS = 40  # ... when the longer of the two is at least this long
BULLET_RE = re.compile(
    r"^\s*(?:[-*•·●▪◆■□○◇►▶→–—]+\s*[•·●▪]?\s*|\(?\d{1,3}[.、)）．]\s*|[（(][一二三四五六七八九十]+[)）]\s*"
    r"|[一二三四五六七八九十]+、\s*|[a-zA-Z][.)]\s+)"
)


def _line_kind(line: str) -> str:
    stripped = line.strip()
    if not stripped:
        return "blank"
    if BULLET_RE.match(stripped) and len(stripped) > 2:
        return "bullet"
    if len(stripped) <= SHORT_LINE_CHARS:
        return "short"
    return "long"


def _length_jump(n_lines: int, total_chars: int, span: tuple[int, int]) -> bool:
    """A bullet whose length departs sharply from its run's (a spam chain after short links): ``n_lines`` lines
    of ``total_chars`` characters so far (kept as the run grows, so that a long run is not summed again per line)."""
    if not n_lines:
        return False
    mean = total_chars / n_lines
    length = span[1] - span[0]
    longer, shorter = max(mean, length), max(1.0, min(mean, length))
    return longer >= LENGTH_JUMP_MIN_CHARS and longer / shorter >= LENGTH_JUMP


# What str.splitlines ends a line at, besides \n and \r: vertical tab, form feed (a page break in text taken
# from PDFs), the file, group and record separators, NEL, and Unicode's line and paragraph separators (text
# taken from JavaScript strings). Seed 001 with its line breaks written as any of them read as one line: a
# link farm, its spam line unseen.
_OTHER_LINE_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def normalize_newlines(text: str) -> str:
    """The text offsets refer to: ``\\r\\n`` becomes ``\\n``, and so does every other line break that
    ``str.splitlines`` knows (``\\r``, form feed, U+2028, U+2029, ...); nothing else changes."""
    return _OTHER_LINE_BREAKS.sub("\n", text.replace("\r\n", "\n").replace("\r", "\n"))


def split_blocks(text: str) -> list[Block]:
    """Blocks of a plain text, with offsets into ``text`` (newlines already normalised)."""
    blocks: list[Block] = []
    group: list[tuple[int, int]] = []  # (start, end) of stripped lines
    group_chars = 0  # their summed length
    group_kind: str | None = None

    def close() -> None:
        nonlocal group, group_chars, group_kind
        if group:
            start, end = group[0][0], group[-1][1]
            kind = {"bullet": "list", "short": "lines", "long": "paragraph"}[group_kind]
            items = [text[s:e] for s, e in group]
            blocks.append(Block(index=len(blocks), start=start, end=end, text=text[start:end],
                                kind=kind, items=items))
        group, group_chars, group_kind = [], 0, None

    pos = 0
    for line in text.split("\n"):
        line_start, line_end = pos, pos + len(line)
        pos = line_end + 1
        kind = _line_kind(line)
        if kind == "blank":
            close()
            continue
        lead = len(line) - len(line.lstrip())
        span = (line_start + lead, line_start + len(line.rstrip()))
        if kind == "long" or kind != group_kind or (kind == "bullet" and _length_jump(len(group), group_chars, span)):
            close()
        group.append(span)
        group_chars += span[1] - span[0]
        group_kind = kind
        if kind == "long":
            close()
    close()
    return blocks


def page_from_text(text: str, url: str = "") -> Page:
    text = normalize_newlines(text)
    blocks = split_blocks(text)
    return Page(text=text, blocks=blocks, url=url, title=guess_title(blocks), source="text")


_CHAIN_SEPARATORS = re.compile(r"[_,，|丨、]")


def guess_title(blocks: list[Block], look_at: int = 8) -> str:
    """The first headline-like line near the top: 6-100 characters, not a keyword chain."""
    for block in blocks[:look_at]:
        for line in block.items or [block.text]:
            line = BULLET_RE.sub("", line.strip(), count=1).strip()
            if 6 <= len(line) <= 100 and len(_CHAIN_SEPARATORS.findall(line)) <= 3:
                return line
    return blocks[0].text.strip()[:100] if blocks else ""
