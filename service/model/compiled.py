"""Fast, dependency-light predictors compiled from fitted scikit-learn models.

scikit-learn's gradient boosting walks its trees one by one in Python for
every call, which costs milliseconds per page; a page needs a handful of
calls. :class:`CompiledForest` flattens all trees of a fitted
``HistGradientBoostingClassifier`` into arrays and walks them together with
NumPy, giving the same probabilities (the decision rule is the same:
``x <= threshold`` goes left, NaN follows ``missing_go_to_left``).
:class:`LinearScorer` does the same for a linear model's ``predict_proba``,
and :class:`CalibratedHead` adds an isotonic calibration map.

The compiled forms read private attributes of scikit-learn (``_predictors``,
``_baseline_prediction``); the manifest pins the scikit-learn version and
the registry refuses a mismatch. ``tests/test_compiled.py`` checks equality.
"""

from __future__ import annotations

import numpy as np


STEPS_BETWEEN_CHECKS = 6  # tree levels walked between two checks for finished paths (measured best)
_ALL_LEAVES = np.uint64(2**64 - 1)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _masked_leaves(x: np.ndarray, masked: tuple[np.ndarray, ...]) -> np.ndarray:
    """:meth:`CompiledForest.leaves` by leaf bitmasks (QuickScorer), for the arrays of
    :meth:`CompiledForest._masked_arrays`: every split node is compared at once; a split that sends
    the row right rules out the leaves of its left subtree, and the row's leaf is the leftmost leaf
    no split ruled out (a leaf left of it shares an ancestor with it that sent the row right; no
    split on its own path rules it out). The decision rule is the walk's."""
    feature, threshold, nan_right, mask, tree_starts, leaf_base, leaf_nodes = masked
    values = x[:, feature]
    go_right = values > threshold
    if np.isnan(values).any():
        go_right |= np.isnan(values) & nan_right
    remaining = np.bitwise_and.reduceat(np.where(go_right, mask, _ALL_LEAVES), tree_starts, axis=1)
    lowest = remaining & (~remaining + np.uint64(1))  # the lowest set bit: 2**k for the k-th leaf
    _, exponent = np.frexp(lowest.astype(np.float64))  # exact: 2**k = 0.5 * 2**(k + 1)
    return leaf_nodes[leaf_base + (exponent - 1)]


class CompiledForest:
    """All trees of a fitted HistGradientBoostingClassifier as flat arrays."""

    def __init__(self, hgb):
        predictors = hgb._predictors  # [iteration][tree per class]
        self.n_classes = len(hgb.classes_)
        self.classes_ = np.asarray(hgb.classes_)
        per_iter = len(predictors[0])
        feature, threshold, left, right, leaf, value, missing_left, roots, tree_class = ([] for _ in range(9))
        offset = 0
        depth = 0
        for iteration in predictors:
            for k, predictor in enumerate(iteration):
                nodes = predictor.nodes
                if np.any(nodes["is_categorical"]):
                    raise ValueError("categorical splits are not supported")
                n = len(nodes)
                feature.append(nodes["feature_idx"].astype(np.int32))
                threshold.append(nodes["num_threshold"].astype(np.float64))
                left.append(nodes["left"].astype(np.int64) + offset)
                right.append(nodes["right"].astype(np.int64) + offset)
                leaf.append(nodes["is_leaf"].astype(bool))
                value.append(nodes["value"].astype(np.float64))
                missing_left.append(nodes["missing_go_to_left"].astype(bool))
                roots.append(offset)
                tree_class.append(k)
                depth = max(depth, int(nodes["depth"].max()) + 1)
                offset += n
        self.feature = np.concatenate(feature)
        self.threshold = np.concatenate(threshold)
        self.left = np.concatenate(left)
        self.right = np.concatenate(right)
        self.leaf = np.concatenate(leaf)
        self.value = np.concatenate(value)
        self.missing_left = np.concatenate(missing_left)
        self.roots = np.asarray(roots, dtype=np.int64)
        self.tree_class = np.asarray(tree_class, dtype=np.int64)
        self.per_iter = per_iter
        self.max_depth = depth
        self.baseline = np.asarray(hgb._baseline_prediction, dtype=np.float64).reshape(-1)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_walk", None)  # derived arrays, rebuilt on first use
        state.pop("_masked", None)
        return state

    def _walk_arrays(self) -> tuple[np.ndarray, ...]:
        """The nodes renumbered for the walk, made once per process (not pickled).

        Nodes are renumbered breadth-first so that the two children of a node
        are adjacent (right = left + 1): a step is then ``child[node] + go_right``
        instead of two gathers and a select. Every leaf points to itself with
        threshold +inf (nothing goes right), so a walk can take several steps
        without checking which paths have already ended. Returns ``(feature,
        threshold, child, nan_right, roots, original)`` where ``original`` maps
        a renumbered node back to its index in the flat arrays.
        """
        walk = self.__dict__.get("_walk")
        if walk is None:
            left, right, leaf = self.left.tolist(), self.right.tolist(), self.leaf.tolist()
            original: list[int] = []
            for root in self.roots.tolist():
                queue = [root]
                original.append(root)
                for old in queue:  # breadth-first; the queue grows while it is read
                    if not leaf[old]:
                        queue += (left[old], right[old])
                        original += (left[old], right[old])
            original_arr = np.asarray(original, dtype=np.intp)
            new_of_old = np.empty_like(original_arr)
            new_of_old[original_arr] = np.arange(len(original_arr))
            is_leaf = self.leaf[original_arr]
            feature = np.where(is_leaf, 0, self.feature[original_arr]).astype(np.intp)
            threshold = np.where(is_leaf, np.inf, self.threshold[original_arr])
            child = np.where(is_leaf, np.arange(len(original_arr)), new_of_old[self.left[original_arr]])
            nan_right = ~self.missing_left[original_arr] & ~is_leaf
            walk = self.__dict__["_walk"] = (feature, threshold, child.astype(np.intp), nan_right,
                                            new_of_old[self.roots], is_leaf, original_arr)
        return walk

    def _masked_arrays(self) -> tuple[np.ndarray, ...] | None:
        """Every split node with a bitmask over its tree's leaves, made once per process (not pickled).

        A tree's leaves are numbered left to right (at most 64 per tree, else
        ``None``: the walk is used instead). A split node's mask clears the
        leaves of its left subtree. Returns ``(feature, threshold, nan_right,
        mask, tree_starts, leaf_base, leaf_nodes)``: the split nodes grouped by
        tree (a tree that is a single leaf gets one split that clears nothing),
        where each tree's leaves begin in ``leaf_nodes``, and the leaves'
        indices in the flat arrays.
        """
        masked = self.__dict__.get("_masked", False)
        if masked is not False:
            return masked
        left, right, leaf = self.left.tolist(), self.right.tolist(), self.leaf.tolist()
        splits: list[int] = []
        masks: list[int] = []
        tree_starts: list[int] = []
        leaf_base: list[int] = []
        leaf_nodes: list[int] = []

        def visit(node: int, base: int) -> None:
            if leaf[node]:
                leaf_nodes.append(node)
                return
            first = len(leaf_nodes)
            visit(left[node], base)
            n_left = len(leaf_nodes) - first
            splits.append(node)
            masks.append(~(((1 << n_left) - 1) << (first - base)) & (2**64 - 1))
            visit(right[node], base)

        fits = True
        for root in self.roots.tolist():
            tree_starts.append(len(splits))
            leaf_base.append(len(leaf_nodes))
            visit(root, len(leaf_nodes))
            fits = fits and len(leaf_nodes) - leaf_base[-1] <= 64
            if len(splits) == tree_starts[-1]:  # a single leaf: a split that goes left and clears nothing
                splits.append(-1)
                masks.append(2**64 - 1)
        if not fits:
            self.__dict__["_masked"] = None
            return None
        node = np.asarray(splits, dtype=np.intp)
        real = node >= 0
        feature = np.where(real, self.feature[node], 0).astype(np.intp)
        threshold = np.where(real, self.threshold[node], np.inf)
        nan_right = real & ~self.missing_left[node]
        masked = self.__dict__["_masked"] = (feature, threshold, nan_right, np.asarray(masks, dtype=np.uint64),
                                             np.asarray(tree_starts, dtype=np.intp),
                                             np.asarray(leaf_base, dtype=np.intp),
                                             np.asarray(leaf_nodes, dtype=np.intp))
        return masked

    def leaves(self, x: np.ndarray) -> np.ndarray:
        """The leaf every row reaches in every tree, shape (n_rows, n_trees).

        All (row, tree) paths advance together, ``STEPS_BETWEEN_CHECKS``
        levels at a time; paths that reached a leaf are then set aside, so
        shallow trees stop costing anything while the deep ones finish.
        The decision rule is scikit-learn's: ``x <= threshold`` goes left, NaN
        follows ``missing_go_to_left``.
        """
        x = np.ascontiguousarray(x, dtype=np.float64)
        # one row (the page heads): the leaf bitmasks, about 1.8x faster; for more rows the walk is
        # faster (measured: 2 rows cost the bitmasks 3.5x what 1 row does, the walk 1.1x)
        masked = self._masked_arrays() if x.shape[0] == 1 else None
        if masked is not None:
            return _masked_leaves(x, masked)
        feature, threshold, child, nan_right, roots, is_leaf, original = self._walk_arrays()
        n, n_trees = x.shape[0], len(self.roots)
        flat = x.ravel()
        has_nan = bool(np.isnan(flat).any())
        result = np.tile(roots, n)
        active = np.arange(n * n_trees)
        node = result.copy()
        row_start = (active // n_trees) * x.shape[1]
        while active.size:
            for _ in range(STEPS_BETWEEN_CHECKS):
                values = flat[row_start + feature[node]]
                go_right = values > threshold[node]
                if has_nan:
                    go_right |= np.isnan(values) & nan_right[node]
                node = child[node] + go_right
            done = is_leaf[node]
            result[active[done]] = node[done]
            keep = ~done
            active, node, row_start = active[keep], node[keep], row_start[keep]
        return original[result].reshape(n, n_trees)

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Raw scores, shape (n_rows, n_trees_per_iteration)."""
        return self.raw_of_leaves(self.leaves(np.asarray(x, dtype=np.float64)))

    def raw_of_leaves(self, leaves: np.ndarray) -> np.ndarray:
        """Raw scores, shape (n_rows, n_trees_per_iteration), of the leaves the rows reach (:meth:`leaves`)."""
        n = leaves.shape[0]
        leaf_values = self.value[leaves]
        out = np.empty((n, self.per_iter))
        for k in range(self.per_iter):
            out[:, k] = leaf_values[:, self.tree_class == k].sum(axis=1) + self.baseline[k]
        return out

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return self.proba_of_raw(self.raw(x))

    def proba_of_raw(self, raw: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (n_rows, n_classes), of raw scores (:meth:`raw`)."""
        if self.per_iter == 1:
            p = _sigmoid(raw[:, 0])
            return np.column_stack([1.0 - p, p])
        raw = raw - raw.max(axis=1, keepdims=True)
        e = np.exp(raw)
        return e / e.sum(axis=1, keepdims=True)


class LinearScorer:
    """``predict_proba`` of a fitted linear classifier (logistic loss) from its coefficients."""

    def __init__(self, model):
        self.coef = np.asarray(model.coef_, dtype=np.float32)
        self.intercept = np.asarray(model.intercept_, dtype=np.float64)
        self.classes_ = np.asarray(model.classes_)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_coef_t", None)  # derived, rebuilt on first use
        return state

    def _coef_t64(self) -> np.ndarray:
        """``coef.T`` as contiguous float64, made once: ``x @ coef.T`` on a float64 sparse ``x``
        would otherwise copy and up-cast the whole (n_features, n_classes) matrix on every call
        (megabytes per page). The product is the same: float32 -> float64 is exact and scipy
        sums in the same order."""
        coef_t = self.__dict__.get("_coef_t")
        if coef_t is None:
            coef_t = self.__dict__["_coef_t"] = np.ascontiguousarray(self.coef.T, dtype=np.float64)
        return coef_t

    def predict_proba(self, x) -> np.ndarray:
        coef_t = self._coef_t64() if getattr(x, "dtype", None) == np.float64 else self.coef.T
        scores = np.asarray(x @ coef_t, dtype=np.float64) + self.intercept
        if self.coef.shape[0] == 1:
            p = _sigmoid(scores[:, 0])
            return np.column_stack([1.0 - p, p])
        prob = _sigmoid(scores)  # one-vs-rest, normalised as scikit-learn does
        total = prob.sum(axis=1, keepdims=True)
        total[total == 0] = 1.0
        return prob / total


class CalibratedHead:
    """A compiled binary forest and an isotonic map from its score to a calibrated probability."""

    def __init__(self, forest: CompiledForest, x_thresholds: np.ndarray, y_thresholds: np.ndarray):
        self.forest = forest
        self.x_thresholds = np.asarray(x_thresholds, dtype=np.float64)
        self.y_thresholds = np.asarray(y_thresholds, dtype=np.float64)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Calibrated probability of the positive class per row."""
        return self.calibrate(self.forest.predict_proba(x))

    def calibrate(self, proba: np.ndarray) -> np.ndarray:
        """Calibrated probability of the positive class per row, from the forest's class probabilities."""
        return np.interp(proba[:, 1], self.x_thresholds, self.y_thresholds)


class HeadBank:
    """Calibrated heads that score one row each, walked together: one leaf-bitmask pass for all their trees.

    A page is scored by several heads (per label, clean, style) on one row;
    a bitmask pass costs a dozen NumPy calls whatever the number of trees, so
    the heads' split nodes are stacked, each head's reading its own row's
    columns of the rows laid side by side. Each head's probability then comes
    from its own leaves as in :meth:`CalibratedHead.predict`: the same leaves
    (the comparisons are the same, on the same values), the same sums. A head
    whose trees do not fit the bitmasks (more than 64 leaves) is scored on its
    own. The heads are stacked in order, so the first ``count`` of them can be
    scored alone, on the first arrays. ``tests/test_identical.py`` compares the
    probabilities.
    """

    def __init__(self, heads: list[CalibratedHead], row_of_head: list[int], row_widths: list[int]):
        self.heads = heads
        self.row_of_head = row_of_head  # head i reads rows[row_of_head[i]]
        self.row_widths = row_widths  # columns of each row
        self._stacked = None  # built on first use

    def _stack(self) -> tuple[tuple[np.ndarray, ...] | None, list[tuple[int, int, int, int]]]:
        """The bitmask arrays of every head that has them, stacked, and ``(head, first tree, end tree, end split)``
        for each."""
        if self._stacked is None:
            row_start = np.cumsum([0] + self.row_widths[:-1]).tolist()
            parts, spans, n_trees, n_splits, n_leaves = [], [], 0, 0, 0
            for i, head in enumerate(self.heads):
                masked = head.forest._masked_arrays()
                if masked is None:
                    continue
                feature, threshold, nan_right, mask, tree_starts, leaf_base, leaf_nodes = masked
                parts.append((feature + row_start[self.row_of_head[i]], threshold, nan_right, mask,
                              tree_starts + n_splits, leaf_base + n_leaves, leaf_nodes))
                spans.append((i, n_trees, n_trees + len(tree_starts), n_splits + len(feature)))
                n_trees, n_splits, n_leaves = n_trees + len(tree_starts), n_splits + len(feature), \
                    n_leaves + len(leaf_nodes)
            self._stacked = (tuple(np.concatenate(arrays) for arrays in zip(*parts)) if parts else None, spans)
        return self._stacked

    def predict(self, rows: list[np.ndarray], count: int | None = None) -> list[float]:
        """Calibrated positive probability of each of the first ``count`` heads (default: all), head ``i`` scoring
        ``rows[row_of_head[i]]`` (one row each; the rows those heads read suffice)."""
        count = len(self.heads) if count is None else count
        stacked, spans = self._stack()
        spans = [span for span in spans if span[0] < count]
        proba: list[float | None] = [None] * count
        if spans:
            split_end, tree_end = spans[-1][3], spans[-1][2]
            feature, threshold, nan_right, mask, tree_starts, leaf_base, leaf_nodes = stacked
            leaves = _masked_leaves(np.ascontiguousarray(np.hstack(rows), dtype=np.float64),
                                    (feature[:split_end], threshold[:split_end], nan_right[:split_end],
                                     mask[:split_end], tree_starts[:tree_end], leaf_base[:tree_end], leaf_nodes))
            for i, start, end, _ in spans:
                forest = self.heads[i].forest
                proba[i] = float(self.heads[i].calibrate(forest.proba_of_raw(forest.raw_of_leaves(leaves[:, start:end])))[0])
        for i, head in enumerate(self.heads[:count]):
            if proba[i] is None:
                proba[i] = float(head.predict(rows[self.row_of_head[i]])[0])
        return proba
