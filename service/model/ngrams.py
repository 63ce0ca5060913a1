"""Analyzers for the hashed n-gram features (module-level so the artifact can pickle them)."""

from __future__ import annotations

import re
from itertools import repeat
from operator import add

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction._hashing_fast import transform as _hashing_transform

from service.analysis.text import segment_raw

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LATIN = re.compile(r"[a-z][a-z0-9'-]+")


def block_terms(text: str, words: list[str] | None = None) -> list[str]:
    """Character uni- and bigrams of CJK runs, Latin words (``l:``), and jieba words (``w:``).

    Only the multiset of terms counts (they are hashed and counted), not their order. ``words`` is
    ``segment_raw(text)`` when the caller has it (so do the other analyzers take it).
    """
    terms: list[str] = []
    for run in _CJK_RUN.findall(text):
        terms += run
        terms += map(add, run, run[1:])
    terms += ["l:" + w for w in _LATIN.findall(text)]
    terms += ["w:" + w for w in (segment_raw(text) if words is None else words) if len(w) > 1 and not w.isspace()]
    return terms


def block_terms_without_cjk(text: str, words: list[str] | None = None) -> list[str]:
    """:func:`block_terms` less its CJK character n-grams (FastHasher hashes those in NumPy)."""
    terms = ["l:" + w for w in _LATIN.findall(text)]
    terms += ["w:" + w for w in (segment_raw(text) if words is None else words) if len(w) > 1 and not w.isspace()]
    return terms


def page_terms_without_cjk(text: str, words: list[str] | None = None) -> list[str]:
    """:func:`page_terms` less its CJK character n-grams (FastHasher hashes those in NumPy)."""
    latin = _LATIN.findall(text)
    terms = ["l:" + w for w in latin]
    terms += [f"l2:{a} {b}" for a, b in zip(latin, latin[1:])]
    terms += ["w:" + w for w in (segment_raw(text) if words is None else words) if len(w) > 1 and not w.isspace()]
    return terms


def page_words(page_text: str, block_norms: list[str], block_texts: list[str],
               block_words: list[list[str]]) -> list[str]:
    """``segment_raw(page_text)``, reusing the blocks' words, for a page text made of the blocks' normal forms.

    The page text is the blocks' (non-empty) normal forms joined by single
    spaces, cut short; the block texts are the same normal forms cut shorter,
    and ``block_words`` their ``segment_raw``. jieba segments runs of CJK
    characters, Latin letters, digits and ``+#&._%-`` one by one and makes
    every other character a word of its own, a space included: so the words
    of texts joined by spaces are each text's words with a space between
    (tests/test_identical.py checks it). A part of the page text equal to its
    block's text takes that block's words, another part is segmented here;
    a page text made otherwise is segmented whole.
    """
    parts, pos = [], 0  # (block, its part of the page text), pos: where the part starts in the page text
    for i, norm in enumerate(block_norms):
        if not norm:
            continue
        if pos > len(page_text):
            break
        parts.append((i, norm[:len(page_text) - pos]))
        pos += len(norm) + 1
    if " ".join(part for _, part in parts) != page_text:
        return segment_raw(page_text)
    words: list[str] = []
    for k, (i, part) in enumerate(parts):
        if k:
            words.append(" ")
        words += block_words[i] if part == block_texts[i] else segment_raw(part)
    return words


# analyzer -> (the CJK character n-gram sizes it makes, the analyzer without them)
_SPLIT_ANALYZERS = {}  # filled below, once the analyzers exist


def page_terms(text: str, words: list[str] | None = None) -> list[str]:
    """Character bi- and trigrams of CJK runs, Latin words and word bigrams, jieba words."""
    terms: list[str] = []
    for run in _CJK_RUN.findall(text):
        bigrams = list(map(add, run, run[1:]))
        terms += bigrams
        terms += map(add, bigrams, run[2:])
    latin = _LATIN.findall(text)
    terms += ["l:" + w for w in latin]
    terms += [f"l2:{a} {b}" for a, b in zip(latin, latin[1:])]
    terms += ["w:" + w for w in (segment_raw(text) if words is None else words) if len(w) > 1 and not w.isspace()]
    return terms


_SPLIT_ANALYZERS.update({block_terms: ((1, 2), block_terms_without_cjk),
                         page_terms: ((2, 3), page_terms_without_cjk)})
_CJK_FIRST, _CJK_LAST = 0x4E00, 0x9FFF  # _CJK_RUN's range: every such character is 3 bytes in UTF-8
_C1, _C2 = np.uint32(0xCC9E2D51), np.uint32(0x1B873593)


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def murmurhash3_rows(key_bytes: np.ndarray) -> np.ndarray:
    """MurmurHash3_x86_32 with seed 0 of each row of a ``(m, length)`` uint8 array, as signed 32-bit values
    (int64): what scikit-learn's ``murmurhash3_bytes_s32`` returns for each row's bytes, in uint32
    arithmetic (which wraps as the C code does)."""
    m, length = key_bytes.shape
    b = key_bytes.astype(np.uint32)
    h = np.zeros(m, dtype=np.uint32)
    for i in range(0, length - length % 4, 4):  # the 4-byte blocks, little-endian
        k = b[:, i] | (b[:, i + 1] << np.uint32(8)) | (b[:, i + 2] << np.uint32(16)) | (b[:, i + 3] << np.uint32(24))
        h = _rotl(h ^ (_rotl(k * _C1, 15) * _C2), 13) * np.uint32(5) + np.uint32(0xE6546B64)
    tail = length % 4
    if tail:
        base = length - tail
        k = np.zeros(m, dtype=np.uint32)
        for j in range(tail - 1, -1, -1):
            k ^= b[:, base + j] << np.uint32(8 * j)
        h ^= _rotl(k * _C1, 15) * _C2
    h ^= np.uint32(length)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h.view(np.int32).astype(np.int64)


def _cjk_ngram_columns(docs: list[str], sizes: tuple[int, ...], n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """``(doc index, column)`` of every CJK character n-gram of ``sizes`` in ``docs``, the columns that
    scikit-learn's hashing gives the n-gram strings (``abs(h) % n_features``, its value for h = -2**31).

    The n-grams of a run of U+4E00-U+9FFF characters are exactly the windows of consecutive such
    characters; the docs are joined with a newline, which is none, so no window spans two docs.
    """
    joined = "\n".join(docs)
    cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), [len(d) + 1 for d in docs])[:len(cp)]
    is_cjk = (cp >= _CJK_FIRST) & (cp <= _CJK_LAST)
    utf8 = np.empty((len(cp), 3), dtype=np.uint8)  # the 3-byte UTF-8 form of every position (used where CJK)
    utf8[:, 0] = 0xE0 | (cp >> 12) & 0x0F
    utf8[:, 1] = 0x80 | (cp >> 6) & 0x3F
    utf8[:, 2] = 0x80 | cp & 0x3F
    rows, cols = [], []
    for size in sizes:
        if len(cp) < size:
            continue
        n_windows = len(cp) - size + 1
        inside = is_cjk[:n_windows].copy()
        for j in range(1, size):
            inside &= is_cjk[j:j + n_windows]
        starts = np.flatnonzero(inside)
        if not starts.size:
            continue
        key = np.concatenate([utf8[starts + j] for j in range(size)], axis=1)
        h = murmurhash3_rows(key)
        cols.append(np.where(h == -2**31, (2147483647 - (n_features - 1)) % n_features, np.abs(h) % n_features))
        rows.append(doc_of[starts])
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(cols)


class FastHasher:
    """``HashingVectorizer.transform`` for our vectorizers, without its per-call overhead.

    scikit-learn validates its parameters, builds an analyzer and a
    ``FeatureHasher`` and feeds every term through a Python generator on
    every call, then normalises through ``sklearn.preprocessing.normalize``.
    Here the terms go to scikit-learn's own hashing routine through C-level
    iterators, and the matrix is assembled directly: the same sorted columns,
    the same counts divided by the same l2 norm (integer counts, so the sum of
    squares is exact in any order), the same float64 CSR matrix. Only the
    settings the service uses are supported (``alternate_sign=False``,
    ``norm="l2"``, a callable analyzer on ``str`` documents); anything else is
    refused at construction. ``tests/test_identical.py`` compares the matrices.
    """

    def __init__(self, vectorizer):
        if (vectorizer.alternate_sign or vectorizer.norm != "l2" or vectorizer.binary
                or vectorizer.dtype is not np.float64 or not callable(vectorizer.analyzer)
                or vectorizer.input != "content"):
            raise ValueError("FastHasher supports l2-normalised, unsigned, float64 hashing of str documents only")
        self.analyzer = vectorizer.analyzer
        self.n_features = int(vectorizer.n_features)
        self.cjk_sizes, self.rest_analyzer = _SPLIT_ANALYZERS.get(self.analyzer, ((), self.analyzer))

    def transform(self, docs: list[str], words: list[list[str]] | None = None) -> sp.csr_array:
        """The l2-normalised hashed term counts of ``docs``, as ``HashingVectorizer.transform`` returns them
        (``words``: each doc's ``segment_raw``, when the caller has it)."""
        if isinstance(docs, str):
            raise ValueError("Iterable over raw text documents expected, string object received.")
        n = self.n_features
        analyzer = self.rest_analyzer
        docs = list(docs)
        terms = map(analyzer, docs) if words is None else map(analyzer, docs, words)
        indices, indptr, _ = _hashing_transform((zip(doc_terms, repeat(1)) for doc_terms in terms), n,
                                                np.float64, False, seed=0)
        n_docs = len(indptr) - 1
        if n_docs == 0:
            raise ValueError("Cannot vectorize empty sequence.")
        # sum_duplicates: one entry per (row, column), columns sorted within a row, counts summed
        keys = np.repeat(np.arange(n_docs, dtype=np.int64), np.diff(indptr)) * n + indices
        if self.cjk_sizes:
            cjk_rows, cjk_cols = _cjk_ngram_columns(docs, self.cjk_sizes, n)
            keys = np.concatenate([keys, cjk_rows * n + cjk_cols])
        unique, counts = np.unique(keys, return_counts=True)
        rows = unique // n
        counts = counts.astype(np.float64)
        norms = np.sqrt(np.bincount(rows, weights=counts * counts, minlength=n_docs))
        new_indptr = np.zeros(n_docs + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows, minlength=n_docs), out=new_indptr[1:])
        return sp.csr_array((counts / norms[rows], (unique - rows * n).astype(np.int32), new_indptr),
                            shape=(n_docs, n))
