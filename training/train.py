"""``python -m training train``: fit the two-level model on the composed training split.

Stacking without leakage: the page models are trained on block predictions
and page n-gram scores that were produced out of fold (GroupKFold by site),
exactly as the service will see them on unseen pages. The final block and
n-gram models are then refit on all training pages.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import GroupKFold

from service.features.featurizer import Featurizer, to_matrix
from service.features.style import STYLE_HEAD_FEATURES
from service.model import BLOCK_LABELS, LABELS
from service.model.compiled import CalibratedHead, CompiledForest, LinearScorer
from service.model.pipeline import (
    STYLE_HEAD_MAX_CJK_SHARE,
    PageSieveModel,
    block_aggregates,
    make_block_hasher,
    make_page_hasher,
)
from training.featurize import Row

N_FOLDS = 3
SEED = 7  # the random state of every model; `python -m training train --model-seed` sets another


class _Blocks:
    """Block-level arrays of a set of rows."""

    def __init__(self, rows: list[Row], names: list[str]):
        self.page_index = np.array([i for i, r in enumerate(rows) for _ in r.block_rows], dtype=np.int64)
        self.dense = to_matrix([b for r in rows for b in r.block_rows], names)
        self.texts = [t for r in rows for t in r.block_texts]
        self.y = np.array([lab for r in rows for lab in r.block_labels], dtype=np.int64)
        self.groups = np.array([r.site for r in rows for _ in r.block_rows])


def _text_model(seed: int = SEED) -> SGDClassifier:
    return SGDClassifier(loss="log_loss", alpha=2e-6, max_iter=15, tol=None, class_weight="balanced",
                         random_state=seed)


def _block_model(seed: int = SEED) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(max_iter=250, learning_rate=0.08, max_leaf_nodes=48,
                                          l2_regularization=1.0, class_weight="balanced", random_state=seed)


def _page_model(monotonic_cst: list[int] | None = None, seed: int = SEED) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_leaf_nodes=24,
                                          min_samples_leaf=30, l2_regularization=2.0, random_state=seed,
                                          monotonic_cst=monotonic_cst)


def evidence_constraints(names: list[str], target: str | None) -> list[int]:
    """Monotonic constraints for a page head: more evidence of its own label can only raise its probability.

    For the head of ``target`` (a page label), the aggregates of its block label's probabilities (its
    maximum, character share, blocks over one half, first and last three) and its page n-gram score may
    only raise the output; for the clean head (``target`` None), every block aggregate of injected spam and
    link farm and every page n-gram score may only lower it. A block the block model is surer of cannot
    make a page less likely spam: what the page model learns on composed pages (where spam blocks score
    near 1) must still hold on real ones, where a real substitution scores 0.85.
    """
    own = {"injected_spam": ("agg_injected_spam_", "ngram_injected_spam"),
           "link_farm": ("agg_link_farm_", "ngram_link_farm"),
           "fabricated_listicle": ("ngram_fabricated_listicle",)}
    if target is not None:
        return [1 if name.startswith(own[target]) else 0 for name in names]
    bad = own["injected_spam"] + own["link_farm"] + own["fabricated_listicle"]
    return [-1 if name.startswith(bad) else 0 for name in names]


def _sample_weight(y: np.ndarray) -> np.ndarray:
    """Inverse square-root class frequency: rare block labels count more, without swamping content."""
    counts = np.bincount(y, minlength=len(BLOCK_LABELS)).astype(float)
    w = 1.0 / np.sqrt(np.maximum(counts, 1))
    return (w / w[y].mean())[y]


def _full_proba(model, x, n_classes: int) -> np.ndarray:
    """predict_proba with a column for every class, even ones missing from a fold."""
    proba = model.predict_proba(x)
    out = np.zeros((proba.shape[0], n_classes))
    out[:, model.classes_] = proba
    return out


def fit_model(rows: list[Row], featurizer: Featurizer, version: str, log=print,
              design_out: Path | None = None, seed: int = SEED) -> PageSieveModel:
    """Fit every level on ``rows``; with ``design_out``, also save the page heads' design there.

    ``seed`` is every model's random state (the n-gram models' shuffling, the forests' early-stopping
    split). On the same composed set, another seed moves the real-page figures about as far as the
    changes tried in ``docs/experiments``; a change is judged over several seeds.

    The design (:func:`save_page_design`) is the out-of-fold page matrix the heads are fitted on, so a
    change to the heads alone can be studied without featurizing the training pages again.
    """
    block_names = sorted({k for r in rows for b in r.block_rows for k in b})
    blocks = _Blocks(rows, block_names)
    block_hasher, page_hasher = make_block_hasher(), make_page_hasher()
    log(f"blocks: {len(blocks.y)} ({np.bincount(blocks.y, minlength=4).tolist()}), pages: {len(rows)}")
    xb_text = block_hasher.transform(blocks.texts)
    xp_text = page_hasher.transform([r.page_text for r in rows])
    page_groups = np.array([r.site for r in rows])
    page_y = {label: np.array([label in r.labels for r in rows], dtype=np.int64) for label in LABELS}
    folds = list(GroupKFold(n_splits=N_FOLDS).split(np.zeros(len(rows)), groups=page_groups))

    # Out-of-fold block text scores, block probabilities and page n-gram scores.
    oof_text = np.zeros((len(blocks.y), len(BLOCK_LABELS)))
    oof_block = np.zeros((len(blocks.y), len(BLOCK_LABELS)))
    oof_page_text = {label: np.zeros(len(rows)) for label in LABELS}
    for k, (train_pages, held_pages) in enumerate(folds):
        tr = np.isin(blocks.page_index, train_pages)
        ho = ~tr
        text_model = _text_model(seed).fit(xb_text[tr], blocks.y[tr])
        oof_text[ho] = _full_proba(text_model, xb_text[ho], len(BLOCK_LABELS))
        for label in LABELS:
            m = _text_model(seed).fit(xp_text[train_pages], page_y[label][train_pages])
            oof_page_text[label][held_pages] = m.predict_proba(xp_text[held_pages])[:, 1]
        log(f"fold {k + 1}/{N_FOLDS}: n-gram models done")
    # block model: trained on out-of-fold text scores, predicting the held-out fold
    for k, (train_pages, _held_pages) in enumerate(folds):
        tr = np.isin(blocks.page_index, train_pages)
        ho = ~tr
        xb = np.hstack([blocks.dense, oof_text.astype(np.float32)])
        model = _block_model(seed).fit(xb[tr], blocks.y[tr], sample_weight=_sample_weight(blocks.y[tr]))
        oof_block[ho] = _full_proba(model, xb[ho], len(BLOCK_LABELS))
        log(f"fold {k + 1}/{N_FOLDS}: block model done")

    # Page rows from out-of-fold predictions.
    page_rows = []
    for i, r in enumerate(rows):
        sel = blocks.page_index == i
        row = dict(r.page_row)
        row.update(block_aggregates(oof_block[sel], r.block_lengths))
        row.update({f"ngram_{label}": float(oof_page_text[label][i]) for label in LABELS})
        page_rows.append(row)
    page_names = sorted({k for row in page_rows for k in row})
    xp = to_matrix(page_rows, page_names)
    if design_out is not None:
        save_page_design(design_out, xp, page_names, page_y, page_groups, folds)
    page_models = {label: _calibrated_head(xp, page_y[label], folds, evidence_constraints(page_names, label), seed)
                   for label in LABELS}
    log("page models done")
    clean_model = _calibrated_head(xp, np.array([not r.labels for r in rows], dtype=np.int64), folds,
                                   evidence_constraints(page_names, None), seed)
    style_heads = {"fabricated_listicle": _style_head(rows, "fabricated_listicle", seed)}
    log("style head done")

    # Final block and n-gram models on all training pages.
    block_text_model = _text_model(seed).fit(xb_text, blocks.y)
    block_model = _block_model(seed).fit(np.hstack([blocks.dense, oof_text.astype(np.float32)]), blocks.y,
                                     sample_weight=_sample_weight(blocks.y))
    page_text_models = {label: _text_model(seed).fit(xp_text, page_y[label]) for label in LABELS}
    log("final models done")
    return PageSieveModel(featurizer=featurizer, block_feature_names=block_names, page_feature_names=page_names,
                          block_text_model=LinearScorer(block_text_model), block_model=CompiledForest(block_model),
                          page_text_models={k: LinearScorer(m) for k, m in page_text_models.items()},
                          page_models=page_models, clean_model=clean_model, style_heads=style_heads,
                          version=version, info={"model_seed": seed})


def save_page_design(path: Path, xp: np.ndarray, names: list[str], page_y: dict[str, np.ndarray],
                     groups: np.ndarray, folds) -> None:
    """The page heads' training design as one ``.npz``: matrix, column names, labels, sites and folds."""
    fold_of = np.zeros(len(groups), dtype=np.int64)
    for k, (_train, held) in enumerate(folds):
        fold_of[held] = k
    np.savez_compressed(path, x=xp, names=np.array(names), groups=groups, fold=fold_of,
                        **{f"y_{label}": y for label, y in page_y.items()})


def load_page_design(path: Path) -> dict:
    """What :func:`save_page_design` wrote, with the folds rebuilt as (train, held) index pairs."""
    with np.load(path, allow_pickle=False) as z:
        design = {k: z[k] for k in z.files}
    fold = design.pop("fold")
    design["names"] = design["names"].tolist()
    design["folds"] = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(int(fold.max()) + 1)]
    design["y"] = {label: design.pop(f"y_{label}") for label in LABELS}
    return design


def _style_head(rows: list[Row], label: str, seed: int = SEED) -> tuple[list[str], CalibratedHead]:
    """A head on the language-independent style features alone, fitted on the Chinese pages.

    The machine-written corpora are Chinese; per-100-word rates let what
    they teach carry over to English pages, where the service applies it.
    """
    names = list(STYLE_HEAD_FEATURES)
    chinese = [r for r in rows if r.page_row.get("style_cjk_word_share", 0.0) >= STYLE_HEAD_MAX_CJK_SHARE]
    x = to_matrix([r.page_row for r in chinese], names)
    y = np.array([label in r.labels for r in chinese], dtype=np.int64)
    folds = list(GroupKFold(n_splits=N_FOLDS).split(x, groups=np.array([r.site for r in chinese])))
    return names, _calibrated_head(x, y, folds, seed=seed)


def _calibrated_head(x: np.ndarray, y: np.ndarray, folds, monotonic_cst: list[int] | None = None,
                     seed: int = SEED) -> CalibratedHead:
    """Gradient boosting on all rows (under ``monotonic_cst``, see :func:`evidence_constraints`), calibrated by
    centered isotonic regression (:func:`centered_isotonic`) on its out-of-fold scores."""
    oof = np.zeros(len(y))
    for train_idx, held_idx in folds:
        fold_model = _page_model(monotonic_cst, seed).fit(x[train_idx], y[train_idx])
        oof[held_idx] = fold_model.predict_proba(x[held_idx])[:, 1]
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(oof, y)
    xs, ys = centered_isotonic(iso.X_thresholds_, iso.y_thresholds_)
    return CalibratedHead(CompiledForest(_page_model(monotonic_cst, seed).fit(x, y)), xs, ys)


def centered_isotonic(x_thresholds: np.ndarray, y_thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centered isotonic regression (Oron and Flournoy, 2017) from a fitted isotonic step function.

    Isotonic regression maps a whole range of forest scores to one value: on
    real pages a clean page and a dozen spam pages then tie at 0.98, and no
    threshold can part them although the forest ranked them apart. Here each
    plateau is replaced by one point at its centre, and the map interpolates
    linearly between centres (the first and last plateau keep their outer
    ends): the same calibrated values at the plateau centres, strictly
    increasing in between, so the forest's order survives calibration.
    ``x_thresholds``/``y_thresholds`` are scikit-learn's ``X_thresholds_`` and
    ``y_thresholds_`` (each plateau given by its two ends).
    """
    xs = np.asarray(x_thresholds, dtype=np.float64)
    ys = np.asarray(y_thresholds, dtype=np.float64)
    if len(xs) < 2:
        return xs, ys
    starts = np.flatnonzero(np.r_[True, np.diff(ys) != 0])
    ends = np.r_[starts[1:], len(ys)] - 1
    centres = (xs[starts] + xs[ends]) / 2.0
    out_x = np.r_[xs[0], centres, xs[-1]]
    out_y = np.r_[ys[0], ys[starts], ys[-1]]
    keep = np.r_[True, np.diff(out_x) > 0]  # an end that is its plateau's centre (a one-point plateau) once
    return out_x[keep], out_y[keep]
