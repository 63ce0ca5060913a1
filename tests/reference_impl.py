"""The per-page code as it was before the speed-ups, kept to prove they change no output.

Each function here is the original implementation of something that was
made faster. ``tests/test_identical.py`` compares the fast code with these,
function by function and as whole verdicts (with every reference swapped in
at once), on pages of every kind. When a feature's *definition* changes on
purpose, change the reference here in the same commit.
"""

from __future__ import annotations

import numpy as np

from service.analysis import htmlblocks
from service.features import topicality


def forest_leaves(forest, x: np.ndarray) -> np.ndarray:
    """CompiledForest: all trees walked level by level, every path every level."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    idx = np.broadcast_to(forest.roots, (n, len(forest.roots))).copy()
    rows = np.arange(n)[:, None]
    for _ in range(forest.max_depth):
        at_leaf = forest.leaf[idx]
        if at_leaf.all():
            break
        values = x[rows, forest.feature[idx]]
        go_left = (values <= forest.threshold[idx]) | (np.isnan(values) & forest.missing_left[idx])
        idx = np.where(at_leaf, idx, np.where(go_left, forest.left[idx], forest.right[idx]))
    return idx


def linear_predict_proba(scorer, x) -> np.ndarray:
    """LinearScorer: ``x @ coef.T`` on the float32 coefficients, up-cast by scipy on every call."""
    scores = np.asarray(x @ scorer.coef.T, dtype=np.float64) + scorer.intercept
    if scorer.coef.shape[0] == 1:
        p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        return np.column_stack([1.0 - p, p])
    prob = 1.0 / (1.0 + np.exp(-scores))
    total = prob.sum(axis=1, keepdims=True)
    total[total == 0] = 1.0
    return prob / total


def run_text(run) -> str:
    """htmlblocks._Run.text, recomputed on every access (it was a plain property)."""
    raw = "".join(run.parts)
    visible = sum(1 for ch in raw if not ch.isspace() and ch != htmlblocks._LINK_MARK)
    link_wall = run.n_links >= 3 and run.link_chars >= 0.7 * max(1, visible)
    raw = raw.replace(htmlblocks._LINK_MARK, "\n" if link_wall else " ")
    lines = [htmlblocks._WS.sub(" ", line).strip() for line in raw.split("\n")]
    return "\n".join(line for line in lines if line)


def cosine_known_norm(a, b, b_norm2: float) -> float:
    """topicality: the block-to-main-content cosine recomputed ``b``'s norm on every call."""
    from service.features.units import cosine

    return cosine(a, b)


def langdetect_sample(sample: str) -> str:
    """text._langdetect: langdetect itself (seed 0), uncached."""
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0
    try:
        return detect(sample).split("-")[0]
    except LangDetectException:
        return "und"


def block_terms(text: str) -> list[str]:
    """ngrams.block_terms: generator-built, jieba words through ``segment``."""
    from service.analysis.text import segment
    from service.model.ngrams import _CJK_RUN, _LATIN

    terms: list[str] = []
    for run in _CJK_RUN.findall(text):
        terms.extend(run)
        terms.extend(run[i:i + 2] for i in range(len(run) - 1))
    terms.extend("l:" + w for w in _LATIN.findall(text))
    terms.extend("w:" + w for w in segment(text) if len(w) > 1)
    return terms


def page_terms(text: str) -> list[str]:
    """ngrams.page_terms: generator-built, jieba words through ``segment``."""
    from service.analysis.text import segment
    from service.model.ngrams import _CJK_RUN, _LATIN

    terms: list[str] = []
    for run in _CJK_RUN.findall(text):
        terms.extend(run[i:i + 2] for i in range(len(run) - 1))
        terms.extend(run[i:i + 3] for i in range(len(run) - 2))
    words = _LATIN.findall(text)
    terms.extend("l:" + w for w in words)
    terms.extend(f"l2:{a} {b}" for a, b in zip(words, words[1:]))
    terms.extend("w:" + w for w in segment(text) if len(w) > 1)
    return terms


def block_hasher():
    """The block vectorizer as scikit-learn runs it, on the reference analyzer."""
    from sklearn.feature_extraction.text import HashingVectorizer

    from service.model.pipeline import BLOCK_HASH_FEATURES

    return HashingVectorizer(analyzer=block_terms, n_features=BLOCK_HASH_FEATURES, alternate_sign=False, norm="l2")


def page_hasher():
    """The page vectorizer as scikit-learn runs it, on the reference analyzer."""
    from sklearn.feature_extraction.text import HashingVectorizer

    from service.model.pipeline import PAGE_HASH_FEATURES

    return HashingVectorizer(analyzer=page_terms, n_features=PAGE_HASH_FEATURES, alternate_sign=False, norm="l2")


def block_text_scores(model, features) -> np.ndarray:
    """PageSieveModel.block_text_scores through HashingVectorizer.transform."""
    from service.model import BLOCK_LABELS

    if not features.block_texts:
        return np.zeros((0, len(BLOCK_LABELS)))
    return model.block_text_model.predict_proba(block_hasher().transform(features.block_texts))


def page_text_scores(model, features) -> dict[str, float]:
    """PageSieveModel.page_text_scores through HashingVectorizer.transform."""
    x = page_hasher().transform([features.page_text])
    return {label: float(m.predict_proba(x)[0, 1]) for label, m in model.page_text_models.items()}


# (module, attribute, reference) triples that test_identical swaps in to build the "before" verdict.
def swaps() -> list[tuple[object, str, object]]:
    from service.analysis import text
    from service.model import compiled, pipeline

    return [
        (compiled.CompiledForest, "leaves", forest_leaves),
        (compiled.LinearScorer, "predict_proba", linear_predict_proba),
        (htmlblocks._Run, "text", property(run_text)),
        (topicality, "cosine_known_norm", cosine_known_norm),
        (text, "_langdetect", langdetect_sample),
        (pipeline.PageSieveModel, "block_text_scores", block_text_scores),
        (pipeline.PageSieveModel, "page_text_scores", page_text_scores),
    ]
