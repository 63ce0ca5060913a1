"""Page-level and character-level metrics (pure functions over arrays)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score


def prf(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    tp = int(np.sum(y_true & y_pred))
    fp = int(np.sum(~y_true & y_pred))
    fn = int(np.sum(y_true & ~y_pred))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": int(y_true.sum())}


def pr_auc(y_true: np.ndarray, scores: np.ndarray) -> float | None:
    if y_true.sum() == 0 or y_true.sum() == len(y_true):
        return None
    return round(float(average_precision_score(y_true, scores)), 4)


def char_prf(gold: list[list[tuple[int, int]]], pred: list[list[tuple[int, int]]]) -> dict[str, float]:
    """Precision/recall over characters: gold and predicted spans per page."""
    tp = fp = fn = 0
    for g_spans, p_spans in zip(gold, pred):
        page_tp, page_fp, page_fn = char_counts(g_spans, p_spans)
        tp, fp, fn = tp + page_tp, fp + page_fp, fn + page_fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {"char_precision": round(precision, 4), "char_recall": round(recall, 4), "gold_chars": tp + fn}


def char_counts(gold: list[tuple[int, int]], pred: list[tuple[int, int]]) -> tuple[int, int, int]:
    """(true positive, false positive, false negative) characters of one page's predicted spans."""
    g, p = _cover(gold), _cover(pred)
    return len(g & p), len(p - g), len(g - p)


def _cover(spans: list[tuple[int, int]]) -> set[int]:
    out: set[int] = set()
    for s, e in spans:
        out.update(range(s, e))
    return out


def best_threshold(y_true: np.ndarray, scores: np.ndarray, clean_mask: np.ndarray | None = None,
                   max_clean_fpr: float | None = None) -> tuple[float, float]:
    """The threshold with the best F1 (optionally under a clean false-positive-rate cap)."""
    best = (0.5, -1.0)
    for t in np.round(np.arange(0.05, 0.96, 0.01), 2):
        pred = scores >= t
        if max_clean_fpr is not None and clean_mask is not None and clean_mask.sum():
            if (pred & clean_mask).sum() / clean_mask.sum() > max_clean_fpr:
                continue
        f = prf(y_true, pred)["f1"]
        if f > best[1]:
            best = (float(t), f)
    return best
