"""``struct_`` features of a block: size, shape, links, position, visibility."""

from __future__ import annotations

import functools
import math
import re
import sys
from operator import gt

import numpy as np

from service.analysis.page import BLOCK_KINDS, Block
from service.analysis.textblocks import BULLET_RE
from service.features.context import PageContext

_BOILER_PLAIN = re.compile(
    r"版权|copyright|©|icp|备案|公网安备|首页|当前位置|您的位置|你的位置|分享到|责任编辑|上一篇|下一篇|"
    r"登录|注册|联系我们|关于我们|网站地图|免责声明|扫一扫|关注我们|打印|关闭窗口|字体|"
    r"all rights reserved|privacy|terms of|cookie|subscribe|sign in|log in|share|follow us|related",
    re.IGNORECASE)
# The same pattern behind a look-ahead on the first characters of its alternatives: the same matches,
# about 1.7x faster (the engine no longer tries every alternative at every position). When an
# alternative is added above, add its first character here (tests/test_identical.py compares the two).
_BOILER = re.compile(f"(?=[版c©i备公首当您你分责上下登注联关网免扫打字aptslfr])(?:{_BOILER_PLAIN.pattern})",
                     _BOILER_PLAIN.flags)
# Faster still, the same count: the CJK alternatives (and ©) and the Latin ones match disjoint
# characters, so no match of one kind overlaps a match of the other and the counts add up; the Latin
# ones are matched case-sensitively on lower-cased text, which finds the same matches unless the text
# holds one of the four characters that IGNORECASE folds onto an ASCII letter differently from
# str.lower, İ ı ſ K (then the combined pattern runs as before). The alternatives are plain literals.
_BOILER_ALTERNATIVES = _BOILER_PLAIN.pattern.split("|")
_BOILER_CJK = re.compile("|".join(a for a in _BOILER_ALTERNATIVES if not a.isascii()))
_BOILER_LATIN_WORDS = tuple(a for a in _BOILER_ALTERNATIVES if a.isascii())
_BOILER_LATIN = re.compile("(?=[{}])(?:{})".format("".join(sorted({a[0] for a in _BOILER_LATIN_WORDS})),
                                                   "|".join(_BOILER_LATIN_WORDS)))
_KIND_KEYS = tuple((kind, f"struct_kind_{kind}") for kind in BLOCK_KINDS)  # made once, not per block
_SENT_END = re.compile(r"[。！？!?；;.…]")
# Character classes counted as the total length of their runs (the same counts as one match per
# character, with far fewer match objects: a Chinese paragraph is one CJK run, not hundreds of matches).
_DIGIT = re.compile(r"\d+")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_LATIN = re.compile(r"[A-Za-z]+")
_PUNCT = re.compile(r"[^\w\s]+")


def _boiler_markers(text: str) -> int:
    """Number of boilerplate markers in ``text`` (``len(_BOILER.findall(text))``)."""
    if "\u0130" in text or "\u0131" in text or "\u017f" in text or "\u212a" in text:
        return len(_BOILER.findall(text))
    count = len(_BOILER_CJK.findall(text))
    low = text.lower()
    if any(map(low.__contains__, _BOILER_LATIN_WORDS)):  # most blocks hold none of them
        count += len(_BOILER_LATIN.findall(low))
    return count


def _chars(pattern: re.Pattern, text: str) -> int:
    """Number of characters of ``text`` in the runs ``pattern`` finds."""
    return sum(map(len, pattern.findall(text)))


_CLASSES = (_DIGIT, _CJK, _LATIN, _PUNCT)  # disjoint: \d, CJK and ASCII letters are \w, the last one is not


@functools.lru_cache(maxsize=1)
def _class_table() -> np.ndarray:
    """Code point -> 1 + index of the class in ``_CLASSES`` it belongs to, 0 for none (made once: 1.1 MB, 0.1 s).

    Built by running the patterns themselves over every code point, so a
    character is in a class exactly when the pattern matches it.
    """
    every = np.arange(sys.maxunicode + 1, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    steps = np.zeros(sys.maxunicode + 2, dtype=np.int8)  # +k where a run of class k starts, -k after its end
    for k, pattern in enumerate(_CLASSES, 1):
        spans = np.array([run.span() for run in pattern.finditer(every)], dtype=np.intp).reshape(-1, 2)
        steps[spans[:, 0]] += k
        steps[spans[:, 1]] -= k
    return np.cumsum(steps[:-1], dtype=np.int8).astype(np.uint8)


def _class_chars(text: str) -> list[int]:
    """``[_chars(p, text) for p in _CLASSES]`` in one pass: the text's code points looked up in a table
    and counted per class (about 3x faster than four ``findall``)."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return np.bincount(_class_table()[codes], minlength=len(_CLASSES) + 1)[1:].tolist()


def page_class_chars(page) -> list[list[int]]:
    """``_class_chars(block.text)`` for every block of ``page``, from one table lookup over the page's text.

    A block's text is the page's text between the block's offsets, and the
    blocks follow each other: every character is labelled with its block (or
    none, between blocks) and the (block, class) pairs are counted in one
    ``bincount``. A page whose blocks are not laid out so (put together by
    hand) is counted block by block.
    """
    text, blocks = page.text, page.blocks
    n = len(blocks)
    bounds = [x for b in blocks for x in (b.start, b.end)]
    if not n or any(map(gt, bounds, bounds[1:])) or bounds[0] < 0 or bounds[-1] > len(text) or \
            any(text[b.start:b.end] != b.text for b in blocks):
        return [_class_chars(b.text) for b in blocks]
    classes = _class_table()[np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)]
    lengths = np.diff(np.array([0, *bounds, len(classes)], dtype=np.intp))  # gap, block, gap, block, ..., gap
    labels = np.full(2 * n + 1, n, dtype=np.intp)  # the gaps: label n
    labels[1::2] = np.arange(n)
    width = len(_CLASSES) + 1
    counts = np.bincount(np.repeat(labels, lengths) * width + classes, minlength=(n + 1) * width)
    return counts.reshape(n + 1, width)[:n, 1:].tolist()


def structure_features(block: Block, ctx: PageContext) -> dict[str, float]:
    """Shape of one block and where it sits in the page."""
    text = block.text
    n = max(1, len(text))
    items = block.items or [text]
    item_lens = [len(i) for i in items]
    n_blocks = max(1, len(ctx.page.blocks))
    digits, cjk, latin, punct = ctx.class_chars[block.index]  # counted for the whole page at once
    feats = {
        "struct_log_chars": math.log1p(len(text)),
        "struct_n_items": float(len(items)),
        "struct_log_items": math.log1p(len(items)),
        "struct_mean_item_chars": sum(item_lens) / len(items),
        "struct_max_item_chars": float(max(item_lens)),
        "struct_link_density": block.link_chars / n,
        "struct_n_links": float(block.n_links),
        "struct_offsite_link_share": block.n_offsite_links / block.n_links if block.n_links else 0.0,
        "struct_hidden": 1.0 if block.hidden else 0.0,
        "struct_rel_index": block.index / max(1, n_blocks - 1),
        "struct_rel_offset": block.start / ctx.total_chars,
        "struct_is_first": 1.0 if block.index == 0 else 0.0,
        "struct_is_last": 1.0 if block.index == n_blocks - 1 else 0.0,
        "struct_digit_share": digits / n,
        "struct_cjk_share": cjk / n,
        "struct_latin_share": latin / n,
        "struct_punct_share": punct / n,
        "struct_sentence_ends_per_item": len(_SENT_END.findall(text)) / len(items),
        "struct_bullet_share": sum(1 for i in items if BULLET_RE.match(i)) / len(items),
        "struct_boiler_markers": float(_boiler_markers(text)),
        "struct_share_of_page": len(text) / ctx.total_chars,
    }
    for kind, key in _KIND_KEYS:
        feats[key] = 1.0 if block.kind == kind else 0.0
    return feats
