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


def block_terms(text: str) -> list[str]:
    """Character uni- and bigrams of CJK runs, Latin words (``l:``), and jieba words (``w:``).

    Only the multiset of terms counts (they are hashed and counted), not their order.
    """
    terms: list[str] = []
    for run in _CJK_RUN.findall(text):
        terms += run
        terms += map(add, run, run[1:])
    terms += ["l:" + w for w in _LATIN.findall(text)]
    terms += ["w:" + w for w in segment_raw(text) if len(w) > 1 and not w.isspace()]
    return terms


def page_terms(text: str) -> list[str]:
    """Character bi- and trigrams of CJK runs, Latin words and word bigrams, jieba words."""
    terms: list[str] = []
    for run in _CJK_RUN.findall(text):
        bigrams = list(map(add, run, run[1:]))
        terms += bigrams
        terms += map(add, bigrams, run[2:])
    words = _LATIN.findall(text)
    terms += ["l:" + w for w in words]
    terms += [f"l2:{a} {b}" for a, b in zip(words, words[1:])]
    terms += ["w:" + w for w in segment_raw(text) if len(w) > 1 and not w.isspace()]
    return terms


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

    def transform(self, docs: list[str]) -> sp.csr_array:
        """The l2-normalised hashed term counts of ``docs``, as ``HashingVectorizer.transform`` returns them."""
        if isinstance(docs, str):
            raise ValueError("Iterable over raw text documents expected, string object received.")
        n = self.n_features
        analyzer = self.analyzer
        indices, indptr, _ = _hashing_transform((zip(analyzer(doc), repeat(1)) for doc in docs), n,
                                                np.float64, False, seed=0)
        n_docs = len(indptr) - 1
        if n_docs == 0:
            raise ValueError("Cannot vectorize empty sequence.")
        # sum_duplicates: one entry per (row, column), columns sorted within a row, counts summed
        rows = np.repeat(np.arange(n_docs, dtype=np.int64), np.diff(indptr))
        unique, counts = np.unique(rows * n + indices, return_counts=True)
        rows = unique // n
        counts = counts.astype(np.float64)
        norms = np.sqrt(np.bincount(rows, weights=counts * counts, minlength=n_docs))
        new_indptr = np.zeros(n_docs + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows, minlength=n_docs), out=new_indptr[1:])
        return sp.csr_array((counts / norms[rows], (unique - rows * n).astype(np.int32), new_indptr),
                            shape=(n_docs, n))
