"""The whole pipeline in one picklable object: featurizer, block and page models.

Two levels (ARCHITECTURE.md, step 5):

* block level: a linear model on hashed n-grams of the block text gives
  four class scores; a gradient-boosted classifier sees them together with
  the dense block features and predicts ``content / boilerplate /
  injected_spam / link_farm``;
* page level: per label, a linear model on hashed n-grams of the page text
  and a calibrated gradient-boosted classifier on the dense page features,
  the aggregates of the block predictions and the n-gram scores.

The service calls :meth:`PageSieveModel.predict`; training builds the same
object (``training/train.py``), so preprocessing cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from service.analysis.page import Page
from service.analysis.text import segment_raw
from service.features.featurizer import Features, Featurizer, to_matrix
from service.model import BLOCK_LABELS, LABELS
from service.model.compiled import CalibratedHead, CompiledForest, HeadBank, LinearScorer
from service.model.ngrams import FastHasher, block_terms, page_terms, page_words

FORMAT_VERSION = 3  # 2: compiled forests and linear scorers; 3: language-independent style heads
# Pages with less Chinese than this (share of words) also get the style heads' probabilities.
STYLE_HEAD_MAX_CJK_SHARE = 0.5
BLOCK_HASH_FEATURES = 2**18
PAGE_HASH_FEATURES = 2**19


def make_block_hasher() -> HashingVectorizer:
    return HashingVectorizer(analyzer=block_terms, n_features=BLOCK_HASH_FEATURES,
                             alternate_sign=False, norm="l2")


def make_page_hasher() -> HashingVectorizer:
    return HashingVectorizer(analyzer=page_terms, n_features=PAGE_HASH_FEATURES,
                             alternate_sign=False, norm="l2")


def block_aggregates(block_proba: np.ndarray, block_lengths: list[int]) -> dict[str, float]:
    """``agg_`` page features summarising the block predictions (weighted by block length)."""
    feats: dict[str, float] = {}
    lengths = np.asarray(block_lengths, dtype=np.float64)
    total = max(1.0, float(lengths.sum()))
    for j, label in enumerate(BLOCK_LABELS):
        col = block_proba[:, j] if len(block_proba) else np.zeros(0)
        feats[f"agg_{label}_max"] = float(col.max()) if col.size else 0.0
        feats[f"agg_{label}_char_share"] = float((col * lengths).sum() / total) if col.size else 0.0
        feats[f"agg_{label}_n_over_half"] = float((col > 0.5).sum()) if col.size else 0.0
        feats[f"agg_{label}_first3_max"] = float(col[:3].max()) if col.size else 0.0
        feats[f"agg_{label}_last3_max"] = float(col[-3:].max()) if col.size else 0.0
    return feats


@dataclass
class PagePrediction:
    """Model output for one page, before it becomes a verdict."""

    features: Features
    block_proba: np.ndarray  # (n_blocks, len(BLOCK_LABELS))
    label_proba: dict[str, float]
    clean_proba: float
    page_text_scores: dict[str, float] = field(default_factory=dict)

    @property
    def page(self) -> Page:
        return self.features.context.page


@dataclass
class PageSieveModel:
    featurizer: Featurizer
    block_feature_names: list[str]
    page_feature_names: list[str]
    block_text_model: LinearScorer  # hashed block n-grams -> BLOCK_LABELS scores
    block_model: CompiledForest  # gradient boosting: dense block row + text scores -> BLOCK_LABELS
    page_text_models: dict[str, LinearScorer]  # label -> score from hashed page n-grams
    page_models: dict[str, CalibratedHead]  # label -> calibrated probability from the page row
    clean_model: CalibratedHead  # calibrated P(page carries no label)
    # label -> (feature names, head) on language-independent style features only; trained on Chinese pages,
    # it carries what the Chinese corpora teach over to pages in other languages (max with the main head)
    style_heads: dict[str, tuple[list[str], CalibratedHead]] = field(default_factory=dict)
    version: str = "dev"
    format_version: int = FORMAT_VERSION
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        self._make_hashers()

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("style_heads", {})
        self._make_hashers()

    def _make_hashers(self) -> None:
        """The inference hashers: the training vectorizers' settings behind a faster transform (same matrix)."""
        self._block_hasher = FastHasher(make_block_hasher())
        self._page_hasher = FastHasher(make_page_hasher())

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_block_hasher", None)
        state.pop("_page_hasher", None)
        state.pop("_heads", None)
        return state

    def _head_bank(self) -> HeadBank:
        """The page heads (per label, clean, then the style heads) as one bank, made once per process (not pickled).

        The label and clean heads read the page row, each style head its own row of style features.
        """
        bank = self.__dict__.get("_heads")
        if bank is None:
            style = list(self.style_heads.values())
            bank = self.__dict__["_heads"] = HeadBank(
                [self.page_models[label] for label in LABELS] + [self.clean_model] + [head for _, head in style],
                row_of_head=[0] * (len(LABELS) + 1) + list(range(1, len(style) + 1)),
                row_widths=[len(self.page_feature_names)] + [len(names) for names, _ in style])
        return bank

    # -- the stages, exposed so training can fit them one by one ---------------
    def block_text_scores(self, features: Features, words: list[list[str]] | None = None) -> np.ndarray:
        """``words``: each block text's ``segment_raw``, when the caller has it."""
        if not features.block_texts:
            return np.zeros((0, len(BLOCK_LABELS)))
        return self.block_text_model.predict_proba(self._block_hasher.transform(features.block_texts, words))

    def block_matrix(self, features: Features, text_scores: np.ndarray) -> np.ndarray:
        dense = to_matrix(features.block_rows, self.block_feature_names)
        return np.hstack([dense, text_scores.astype(np.float32)]) if len(dense) else dense

    def page_text_scores(self, features: Features, words: list[str] | None = None) -> dict[str, float]:
        """``words``: the page text's ``segment_raw``, when the caller has it."""
        x = self._page_hasher.transform([features.page_text], None if words is None else [words])
        return {label: float(m.predict_proba(x)[0, 1]) for label, m in self.page_text_models.items()}

    def page_row(self, features: Features, block_proba: np.ndarray, text_scores: dict[str, float]) -> dict:
        row = dict(features.page_row)
        row.update(block_aggregates(block_proba, [len(b.text) for b in features.context.page.blocks]))
        row.update({f"ngram_{label}": score for label, score in text_scores.items()})
        return row

    # -- inference -----------------------------------------------------------
    def page_inputs(self, features: Features) -> tuple[np.ndarray, dict[str, float], np.ndarray]:
        """What the page heads read: the block probabilities, the page n-gram scores and, from both and the
        page features, the page row (a one-row matrix in ``page_feature_names`` order)."""
        page = features.context.page
        # jieba once per block text; the page text is mostly the same texts again
        block_words = [segment_raw(text) for text in features.block_texts]
        if page.blocks:
            block_proba = self.block_model.predict_proba(
                self.block_matrix(features, self.block_text_scores(features, block_words)))
        else:
            block_proba = np.zeros((0, len(BLOCK_LABELS)))
        text_scores = self.page_text_scores(features, page_words(
            features.page_text, [block.norm for block in page.blocks], features.block_texts, block_words))
        return block_proba, text_scores, to_matrix([self.page_row(features, block_proba, text_scores)],
                                                   self.page_feature_names)

    def predict(self, page: Page) -> PagePrediction:
        features = self.featurizer.featurize(page)
        block_proba, text_scores, x = self.page_inputs(features)
        # the label and clean heads in one pass, and the style heads with them on pages with little Chinese
        if features.page_row.get("style_cjk_word_share", 1.0) < STYLE_HEAD_MAX_CJK_SHARE:
            style = list(self.style_heads.items())
            proba = self._head_bank().predict([x] + [to_matrix([features.page_row], names) for _, (names, _) in style])
        else:
            style, proba = [], self._head_bank().predict([x], count=len(LABELS) + 1)
        label_proba = dict(zip(LABELS, proba))
        for (label, _), p_style in zip(style, proba[len(LABELS) + 1:]):
            label_proba[label] = max(label_proba[label], p_style)
        clean = proba[len(LABELS)]
        return PagePrediction(features=features, block_proba=block_proba, label_proba=label_proba,
                              clean_proba=clean, page_text_scores=text_scores)
