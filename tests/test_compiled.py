"""Compiled predictors give scikit-learn's probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import SGDClassifier

from service.model.compiled import CompiledForest, LinearScorer


@pytest.mark.parametrize("n_classes", [2, 4])
def test_compiled_forest_matches_sklearn(n_classes):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 12))
    x[rng.random(x.shape) < 0.05] = np.nan
    y = (np.nan_to_num(x[:, 0]) + np.nan_to_num(x[:, 1]) * 2 > 0).astype(int)
    if n_classes == 4:
        y = y + 2 * (np.nan_to_num(x[:, 2]) > 0.5)
    model = HistGradientBoostingClassifier(max_iter=40, random_state=0).fit(x, y)
    test = rng.normal(size=(200, 12))
    test[rng.random(test.shape) < 0.05] = np.nan
    np.testing.assert_allclose(CompiledForest(model).predict_proba(test), model.predict_proba(test), atol=1e-9)


@pytest.mark.parametrize("params", [{"max_leaf_nodes": 100, "min_samples_leaf": 2}, {"min_samples_leaf": 400}],
                         ids=["over-64-leaves", "single-leaf-trees"])
def test_compiled_forest_matches_sklearn_one_row_at_a_time(params):
    """One row goes through the leaf bitmasks: trees of one leaf, and trees too large for them (the walk)."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(600, 6))
    y = (x[:, 0] + x[:, 1] + rng.normal(size=600) > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=10, random_state=0, **params).fit(x, y)
    compiled = CompiledForest(model)
    for row in rng.normal(size=(20, 6)):
        np.testing.assert_allclose(compiled.predict_proba(row[None, :]), model.predict_proba(row[None, :]), atol=1e-9)
    assert (compiled._masked_arrays() is None) == ("max_leaf_nodes" in params)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_linear_scorer_matches_sklearn(n_classes):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 20))
    y = rng.integers(0, n_classes, size=400)
    model = SGDClassifier(loss="log_loss", random_state=0, max_iter=20, tol=None).fit(x, y)
    np.testing.assert_allclose(LinearScorer(model).predict_proba(x), model.predict_proba(x), atol=1e-5)
