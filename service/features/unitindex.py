"""The unit bags of all blocks of a page at once, as integer arrays.

The same bags as :func:`service.features.units.units` (CJK character
bigrams, lone CJK characters, Latin content words), each unit an integer
key: a bigram ``(c1 << 16) | c2`` (CJK code points are below U+A000), a
lone character ``c << 16`` (no bigram has a zero second half), a word
``2**32 +`` its index among the page's distinct words. The similarities
the topicality and stitching features take from the bags (cosine with the
rest of the page, with its main content, the title's share, adjacent
blocks) are then computed for every block in a few NumPy calls instead of
one ``Counter`` per block and one Python call per block and similarity.

The numbers are the same: dot products and squared norms are exact integer
sums (of counts far below 2**53, summed exactly in float64 or int64), and
the floating-point steps after them are the ones the bag helpers take, in
the same order (``tests/test_identical.py`` compares them).
"""

from __future__ import annotations

from collections import Counter
from itertools import count, filterfalse

import numpy as np

from service.features.units import _EN_STOP, _LATIN_WORD

_WORD_BASE = 1 << 32
_BLOCK_SHIFT = 40  # entry key: block index << 40 | unit key
_KEY_MASK = (1 << _BLOCK_SHIFT) - 1


def _is_cjk(cp: np.ndarray) -> np.ndarray:
    """``units``' CJK class, U+3400-U+4DBF and U+4E00-U+9FFF."""
    return ((cp >= 0x3400) & (cp <= 0x4DBF)) | ((cp >= 0x4E00) & (cp <= 0x9FFF))


class PageUnits:
    """Unit bags of a page's blocks (normal forms ``norms``) and the similarities taken from them.

    ``main`` marks the blocks of the main content; when they hold no unit the
    main content is the whole page, as in :class:`PageContext`.
    """

    def __init__(self, norms: list[str], main: list[bool], title: Counter):
        n_blocks = len(norms)
        self.n_blocks = n_blocks
        # CJK units: the text of all blocks joined by a newline, which is no CJK character
        joined = "\n".join(norms)
        cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
        block_of = np.repeat(np.arange(n_blocks, dtype=np.int64), [len(t) + 1 for t in norms])[:len(cp)]
        cjk = _is_cjk(cp)
        after = np.zeros_like(cjk)  # the next character is CJK too
        after[:-1] = cjk[1:]
        before = np.zeros_like(cjk)
        before[1:] = cjk[:-1]
        pairs = np.flatnonzero(cjk & after)
        lone = np.flatnonzero(cjk & ~after & ~before)
        # Latin content words, numbered in order of first appearance
        words = [list(filterfalse(_EN_STOP.__contains__, _LATIN_WORD.findall(t))) for t in norms]
        flat = [w for ws in words for w in ws]
        self.word_ids = dict(zip(dict.fromkeys(flat), count()))
        word_keys = np.fromiter(map(self.word_ids.__getitem__, flat), dtype=np.int64, count=len(flat)) + _WORD_BASE
        word_blocks = np.repeat(np.arange(n_blocks, dtype=np.int64), [len(ws) for ws in words])
        keys = np.concatenate([(cp[pairs] << 16) | cp[pairs + 1], cp[lone] << 16, word_keys])
        blocks = np.concatenate([block_of[pairs], block_of[lone], word_blocks])
        # one entry per (block, unit), sorted by block then unit, with the unit's count in the block
        self.entries, counts = np.unique((blocks << _BLOCK_SHIFT) | keys, return_counts=True)
        self.counts = counts
        self.block = self.entries >> _BLOCK_SHIFT
        key = self.entries & _KEY_MASK
        self.page_keys, where = np.unique(key, return_inverse=True)
        self.where = where
        total = np.bincount(where, weights=counts, minlength=len(self.page_keys)).astype(np.int64)
        self.total_e = total[where]  # the page's count of each entry's unit
        self.page_norm2 = float(int((total * total).sum()))
        self.main_blocks = np.asarray(main, dtype=bool).reshape(n_blocks)
        is_main = self.main_blocks[self.block]
        main_total = np.bincount(where[is_main], weights=counts[is_main], minlength=len(self.page_keys)).astype(np.int64)
        self.main_is_page = not main_total.any()
        if self.main_is_page:
            main_total = total
        self.main_total = main_total
        self.main_e = main_total[where]
        self.main_norm2 = float(int((main_total * main_total).sum()))
        self.n_units = np.bincount(self.block, minlength=n_blocks)
        self.bag2 = self._per_block(counts * counts).astype(np.float64)
        self.title_size = len(title)
        # whether each entry's unit is in the title (the title's units looked up among the page's)
        title_keys = np.array([k for k in map(self.key_of, title) if k is not None], dtype=np.int64)
        at = np.minimum(np.searchsorted(self.page_keys, title_keys), max(0, len(self.page_keys) - 1))
        page_in_title = np.zeros(len(self.page_keys), dtype=bool)
        if len(self.page_keys):
            page_in_title[at[self.page_keys[at] == title_keys]] = True
        self.in_title = page_in_title[where]

    def _per_block(self, values: np.ndarray) -> np.ndarray:
        """Integer ``values`` per entry summed per block (exact: float64 sums of integers below 2**53)."""
        return np.bincount(self.block, weights=values, minlength=self.n_blocks).astype(np.int64)

    def key_of(self, unit: str) -> int | None:
        """The key of a unit (``None`` for a word the page does not hold)."""
        c = ord(unit[0])
        if 0x3400 <= c <= 0x9FFF:
            return (c << 16) | (ord(unit[1]) if len(unit) > 1 else 0)
        i = self.word_ids.get(unit)
        return None if i is None else _WORD_BASE + i

    def block_similarities(self) -> dict[str, list[float]]:
        """Per block: ``sim_rest``, ``sim_main``, ``sim_title`` and ``units_in_rest`` (topicality)."""
        n = self.n_blocks
        bag2 = self.bag2
        has = self.n_units > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            # cosine_without(bag, page): dot with the rest is dot with the page less the bag's own norm
            dot_total = self._per_block(self.counts * self.total_e)
            dot = dot_total - bag2
            rest2 = self.page_norm2 - 2 * dot_total + bag2
            sim_rest = np.where(has & (dot > 0) & (rest2 > 0), dot / (np.sqrt(bag2) * np.sqrt(rest2)), 0.0)
            # main content: cosine_without for its own blocks, cosine_known_norm for the others
            dot_main_total = self._per_block(self.counts * self.main_e)
            in_main = np.zeros(n, dtype=bool) if self.main_is_page else self.main_blocks
            dot_m = np.where(in_main, dot_main_total - bag2, dot_main_total)
            rest_m2 = np.where(in_main, self.main_norm2 - 2 * dot_main_total + bag2, self.main_norm2)
            ok = has & np.where(in_main, (dot_m > 0) & (rest_m2 > 0), (dot_m != 0) & (self.main_norm2 > 0))
            sim_main = np.where(ok, dot_m / (np.sqrt(bag2) * np.sqrt(rest_m2)), 0.0)
            in_rest = self._per_block((self.total_e > self.counts).astype(np.int64))
            units_in_rest = np.where(has, in_rest / self.n_units, 0.0)
            if self.title_size:
                sim_title = self._per_block(self.in_title.astype(np.int64)) / self.title_size
            else:
                sim_title = np.zeros(n)
        return {"sim_rest": sim_rest.tolist(), "sim_main": sim_main.tolist(), "sim_title": sim_title.tolist(),
                "units_in_rest": units_in_rest.tolist()}

    def adjacent_cosines(self, pairs: list[tuple[int, int]]) -> list[float]:
        """``cosine(bag a, bag b)`` for each pair of blocks ``(a, b)``, each block first in at most one pair."""
        if not pairs:
            return []
        n = self.n_blocks
        partner = np.full(n, -1, dtype=np.int64)
        pair_of = np.full(n, -1, dtype=np.int64)
        firsts = np.array([a for a, _ in pairs], dtype=np.int64)
        partner[firsts] = [b for _, b in pairs]
        pair_of[firsts] = np.arange(len(pairs))
        sel = np.flatnonzero(partner[self.block] >= 0)
        query = (partner[self.block[sel]] << _BLOCK_SHIFT) | (self.entries[sel] & _KEY_MASK)
        at = np.minimum(np.searchsorted(self.entries, query), len(self.entries) - 1)
        found = self.entries[at] == query
        products = np.where(found, self.counts[sel] * self.counts[at], 0)
        dot = np.bincount(pair_of[self.block[sel]], weights=products, minlength=len(pairs)).astype(np.int64)
        a_bag2 = self.bag2[firsts]
        b_bag2 = self.bag2[[b for _, b in pairs]]
        with np.errstate(divide="ignore", invalid="ignore"):
            sims = np.where(dot != 0, dot / (np.sqrt(a_bag2) * np.sqrt(b_bag2)), 0.0)
        return sims.tolist()

    def main_keys(self) -> set[int]:
        """The keys of the units of the main content (the whole page when it holds none)."""
        return set(self.page_keys[self.main_total > 0].tolist())
