"""Tiny-n bagged CART in numba: scikit-learn's regression trees, grown tree for tree, without per-tree Python.

What is ported, from scikit-learn 1.9.1 (``sklearn/`` in the venv), for exactly the settings the package uses
(``RandomForestRegressor(bootstrap=True, criterion="squared_error", max_features=1.0, min_samples_split=2,
min_weight_fraction_leaf=0, min_impurity_decrease=0, max_leaf_nodes=None)``, dense finite X, one output):

* ``tree/_tree.pyx`` ``DepthFirstTreeBuilder.build``: the stack (right child pushed first, so the left subtree is
  grown first and nodes are numbered in pre-order), the leaf tests ``depth >= max_depth``,
  ``n_node_samples < min_samples_split`` (``max(2, 2 * min_samples_leaf)``, ``tree/_classes.py``),
  ``n_node_samples < 2 * min_samples_leaf``, ``impurity <= EPSILON`` (``EPSILON = np.finfo(float).eps``),
  ``split.pos >= end`` and ``split.improvement + EPSILON < min_impurity_decrease``; the children's impurity
  handed down from the parent's split; the root impurity from ``node_impurity``;
* ``tree/_splitter.pyx`` ``Splitter.init`` / ``node_split_best``: only rows with nonzero weight enter ``samples``
  (so ``min_samples_leaf`` counts distinct rows and the bootstrap counts are the weights); the Fisher-Yates draw of
  the features with ``rand_int`` (``tree/_utils.pyx``) and ``our_rand_r`` (``utils/_random.pxd``, xorshift,
  ``DEFAULT_SEED = 1``) seeded by ``rand_r_state = random_state.randint(0, RAND_R_MAX)``; the
  constant-feature bookkeeping (``n_known_constants`` / ``n_found_constants`` / ``n_drawn_constants``, the
  ``features`` / ``constant_features`` arrays that persist from node to node); the strict ``>`` on the proxy
  improvement; the threshold ``Xf[p - 1] / 2.0 + Xf[p] / 2.0`` in float64 of float32 values (1.9.1 has no
  "threshold == Xf[p]" correction any more: half-sums of two float32 values cannot overflow);
  ``partition_samples_final``; the final ``reset`` / ``update(best.pos)`` / ``children_impurity`` /
  ``impurity_improvement``;
* ``tree/_partitioner.pyx`` ``DensePartitioner``: ``sort_samples_and_feature_values``, ``next_p`` and the
  constant test, all in float32 with ``FEATURE_THRESHOLD = float32(1e-7)`` as in C;
* ``utils/_sorting.pyx`` ``simultaneous_sort(use_three_way_partition=True)``: introsort (median of 3, 3-way
  partition, heapsort fallback, insertion sort below 16); the order of tied samples decides the order of the
  floating-point sums, so it is ported and not replaced by a stable argsort;
* ``tree/_criterion.pyx`` ``RegressionCriterion`` / ``MSE``: ``init`` (sums in sample order), ``reset``,
  ``reverse_reset``, ``update`` (from the nearer end, as C does), ``proxy_impurity_improvement``,
  ``children_impurity``, ``node_value`` (weighted mean), the operation order of every sum;
* ``tree/_tree.pyx`` ``Tree._apply_dense``: ``float32(x) <= threshold`` in float64;
* ``ensemble/_forest.py``: tree seeds via ``ensemble/_base.py`` ``_set_random_states`` (one
  ``randint(iinfo(int32).max)`` per tree from ``RandomState(seed)``), ``_generate_sample_indices`` and
  ``np.bincount`` for the counts (these are called, not copied: :func:`bootstrap_plan`), and
  ``ForestRegressor.predict`` (tree predictions added in tree order to zeros, divided by the number of trees);
* ``preprocessing/_data.py`` ``MinMaxScaler``: called itself (``X * scale_ + min_``) before the cast to float32.

Why by hand: no library grows scikit-learn-identical trees without scikit-learn's per-tree Python overhead
(about 1 ms per tree even for 9 rows, i.e. days for the ~1e8 trees of a permutation null); the trees here take
0.2-4 microseconds (``benchmarks/bench_tinyforest.py``). Everything is deterministic; :func:`protocol_predict` is
parallel over (response, split) pairs with ``prange``, each pair computed and written by one thread, so its result
does not depend on the thread count.

Not covered (the package does not use them): missing values, sparse X, ``max_features < 1``, several outputs,
``min_weight_fraction_leaf`` / ``min_impurity_decrease`` > 0, ``max_samples``, monotonic constraints, other
criteria or splitters. The port follows scikit-learn 1.9.1 (:data:`SKLEARN_PORTED`); ``tests/test_tinyforest.py``
compares every tree array with scikit-learn's and fails if a later version grows different trees.

:func:`protocol_predict` runs the package's whole protocol (``tarimhm.rf.inversion``: MinMax scaling,
leave-one-out grid search scored by MSE, refit of the best configuration, prediction) for a batch of response
vectors and train/test splits. It uses the tricks of ``dedup_search`` tree by tree: one run of
``max(n_estimators)`` trees gives every ``n_estimators`` (prefix sums in tree order); a tree whose unrestricted
depth is below ``max_depth`` is the depth-limited tree; a tree that is a single leaf for one ``min_samples_leaf``
because the root had too few rows, no admissible split or (near) zero impurity is the same leaf for every larger
one (a root left unsplit only because its best split had a negative improvement is regrown, which
``dedup_search``'s forest-level stump shortcut does not do). All three are exact, so the result is the naive
protocol's (GridSearchCV, every configuration fitted).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba import njit, prange
from sklearn.ensemble._base import _set_random_states
from sklearn.ensemble._forest import _generate_sample_indices, _get_n_samples_bootstrap
from sklearn.preprocessing import MinMaxScaler
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils import check_random_state

__all__ = ["bootstrap_plan", "grow_tree", "forest_tree_predictions", "protocol_predict", "r2_batch"]

SKLEARN_PORTED = "1.9.1"
RAND_R_MAX = 2147483647  # sklearn/tree/_utils.pxd
MAX_DEPTH_NONE = int(np.iinfo(np.int32).max)  # tree/_classes.py: max_depth=None
_EPSILON = float(np.finfo(np.float64).eps)  # tree/_tree.pyx EPSILON
_TREE_LEAF = -1
_TREE_UNDEFINED = -2


# ---------------------------------------------------------------------------------------------------------------
# Random numbers (utils/_random.pxd our_rand_r, tree/_utils.pyx rand_int)


@njit(cache=True, nogil=True, inline="always")
def _rand_int(low, high, rstate):
    """``low + our_rand_r(state) % (high - low)``; the uint32 state is held in an int64 slot."""
    s = rstate[0]
    if s == 0:
        s = 1  # DEFAULT_SEED
    s ^= (s << 13) & 0xFFFFFFFF
    s ^= s >> 17
    s ^= (s << 5) & 0xFFFFFFFF
    rstate[0] = s
    return low + (s % 2147483648) % (high - low)


# ---------------------------------------------------------------------------------------------------------------
# utils/_sorting.pyx: simultaneous_sort(values, indices, n, use_three_way_partition=True) on values[lo:lo + n]


@njit(cache=True, nogil=True, inline="always")
def _swap(v, idx, i, j):
    t = v[i]
    v[i] = v[j]
    v[j] = t
    k = idx[i]
    idx[i] = idx[j]
    idx[j] = k


@njit(cache=True, nogil=True)
def _insertion_sort(v, idx, lo, n):
    for i in range(lo + 1, lo + n):
        tv = v[i]
        ti = idx[i]
        j = i
        while j > lo and v[j - 1] > tv:
            v[j] = v[j - 1]
            idx[j] = idx[j - 1]
            j -= 1
        v[j] = tv
        idx[j] = ti


@njit(cache=True, nogil=True)
def _median3(v, lo, n):
    a = v[lo]
    b = v[lo + n // 2]
    c = v[lo + n - 1]
    if a < b:
        if b < c:
            return b
        elif a < c:
            return c
        else:
            return a
    elif b < c:
        if a < c:
            return a
        else:
            return c
    else:
        return b


@njit(cache=True, nogil=True)
def _sift_down(v, idx, lo, start, end):
    root = start
    while True:
        child = root * 2 + 1
        maxind = root
        if child < end and v[lo + maxind] < v[lo + child]:
            maxind = child
        if child + 1 < end and v[lo + maxind] < v[lo + child + 1]:
            maxind = child + 1
        if maxind == root:
            break
        _swap(v, idx, lo + root, lo + maxind)
        root = maxind


@njit(cache=True, nogil=True)
def _heapsort(v, idx, lo, n):
    start = (n - 2) // 2
    end = n
    while True:
        _sift_down(v, idx, lo, start, end)
        if start == 0:
            break
        start -= 1
    end = n - 1
    while end > 0:
        _swap(v, idx, lo, lo + end)
        _sift_down(v, idx, lo, 0, end)
        end -= 1


@njit(cache=True, nogil=True)
def _sort3way(v, idx, lo, n, stack):
    """introsort_3way; the recursion on the left part becomes a stack (the parts are disjoint)."""
    if n <= 15:  # the common case here: insertion sort only
        _insertion_sort(v, idx, lo, n)
        return
    stack[0, 0] = lo
    stack[0, 1] = n
    stack[0, 2] = 2 * int(math.log2(n))
    top = 1
    while top > 0:
        top -= 1
        off = stack[top, 0]
        m = stack[top, 1]
        maxd = stack[top, 2]
        done = False
        while m > 15:
            if maxd <= 0:
                _heapsort(v, idx, off, m)
                done = True
                break
            maxd -= 1
            pivot = _median3(v, off, m)
            i = 0
            left = 0
            r = m
            while i < r:
                if v[off + i] < pivot:
                    _swap(v, idx, off + i, off + left)
                    i += 1
                    left += 1
                elif v[off + i] > pivot:
                    r -= 1
                    _swap(v, idx, off + i, off + r)
                else:
                    i += 1
            stack[top, 0] = off
            stack[top, 1] = left
            stack[top, 2] = maxd
            top += 1
            off += r
            m -= r
        if not done:
            _insertion_sort(v, idx, off, m)


# ---------------------------------------------------------------------------------------------------------------
# The tree


@njit(cache=True, nogil=True, inline="always")
def _update(y, w, samples, start, end, pos, new_pos, sum_left, wl, sum_total, wn):
    """RegressionCriterion.update: sum_left / weighted_n_left at new_pos, from the nearer end."""
    if (new_pos - pos) <= (end - new_pos):
        for q in range(pos, new_pos):
            i = samples[q]
            sum_left += w[i] * y[i]
            wl += w[i]
    else:  # reverse_reset, then remove samples[new_pos:end] from the left
        sum_left = sum_total
        wl = wn
        for q in range(end - 1, new_pos - 1, -1):
            i = samples[q]
            sum_left -= w[i] * y[i]
            wl -= w[i]
    return sum_left, wl


@njit(cache=True, nogil=True)
def _node_split(X, y, w, samples, fv, features, const_feats, sort_stack, rstate, start, end, n_known, impurity,
                sum_total, sq_sum_total, wn, w_all, min_samples_leaf):  # fmt: skip
    """node_split_best (dense, no missing values, max_features = n_features, min_weight_leaf = 0)."""
    n_features = X.shape[1]
    max_features = n_features
    ft = np.float32(1e-7)  # FEATURE_THRESHOLD (float32, compared in float32)
    f_i = n_features
    n_visited = 0
    n_found = 0
    n_drawn = 0
    n_total = n_known
    best_pos = end
    best_feat = 0
    best_thr = 0.0
    best_proxy = -np.inf
    while f_i > n_total and (n_visited < max_features or n_visited <= n_found + n_drawn):
        n_visited += 1
        f_j = _rand_int(n_drawn, f_i - n_found, rstate)
        if f_j < n_known:
            t = features[n_drawn]
            features[n_drawn] = features[f_j]
            features[f_j] = t
            n_drawn += 1
            continue
        f_j += n_found
        cf = features[f_j]
        for p in range(start, end):
            fv[p] = X[samples[p], cf]
        _sort3way(fv, samples, start, end - start, sort_stack)
        if fv[end - 1] <= fv[start] + ft:  # constant feature
            t = features[f_j]
            features[f_j] = features[n_total]
            features[n_total] = t
            n_found += 1
            n_total += 1
            continue
        f_i -= 1
        t = features[f_i]
        features[f_i] = features[f_j]
        features[f_j] = t
        # criterion.reset()
        cpos = start
        sum_left = 0.0
        wl = 0.0
        p = start
        while p < end:
            # partitioner.next_p
            p += 1
            while p < end and fv[p] <= fv[p - 1] + ft:
                p += 1
            if p == end:
                continue
            if p - start < min_samples_leaf or end - p < min_samples_leaf:
                continue
            sum_left, wl = _update(y, w, samples, start, end, cpos, p, sum_left, wl, sum_total, wn)
            cpos = p
            wr = wn - wl
            sum_right = sum_total - sum_left
            proxy = sum_left * sum_left / wl + sum_right * sum_right / wr
            if proxy > best_proxy:
                best_proxy = proxy
                best_pos = p
                best_feat = cf
                best_thr = np.float64(fv[p - 1]) / 2.0 + np.float64(fv[p]) / 2.0
    imp_l = np.inf
    imp_r = np.inf
    improvement = -np.inf
    if best_pos < end:
        # partition_samples_final
        ps = start
        pe = end
        while ps < pe:
            if np.float64(X[samples[ps], best_feat]) <= best_thr:
                ps += 1
            else:
                pe -= 1
                t = samples[ps]
                samples[ps] = samples[pe]
                samples[pe] = t
        sum_left, wl = _update(y, w, samples, start, end, start, best_pos, 0.0, 0.0, sum_total, wn)
        wr = wn - wl
        sum_right = sum_total - sum_left
        # MSE.children_impurity
        sq_left = 0.0
        for q in range(start, best_pos):
            i = samples[q]
            sq_left += w[i] * y[i] * y[i]
        sq_right = sq_sum_total - sq_left
        ml = sum_left / wl
        mr = sum_right / wr
        imp_l = sq_left / wl - ml * ml
        imp_r = sq_right / wr - mr * mr
        improvement = (wn / w_all) * (impurity - (wr / wn * imp_r) - (wl / wn * imp_l))
    # the constant-feature invariant for siblings and children
    for f in range(n_known):
        features[f] = const_feats[f]
    for f in range(n_known, n_known + n_found):
        const_feats[f] = features[f]
    return best_pos, best_feat, best_thr, imp_l, imp_r, improvement, n_total


@njit(cache=True, nogil=True)
def _grow(X, y, w, rr_seed, min_samples_leaf, max_depth, ws_i, ws_f32, sort_stack, stk_i, stk_f,
          node_i, node_f):  # fmt: skip
    """DepthFirstTreeBuilder.build. Returns (node_count, max_depth_seen, root_leaf_monotone).

    Workspaces: ws_i, four int64 arrays: samples (n,), features and constant features (n_features,), the rand_r
    state (1,);
    ws_f32 float32 (n,): feature values; sort_stack int64 (n + 1, 3); stk_i int64 (2n + 2, 6) / stk_f float64
    (2n + 2,): the builder stack. Output: node_i int64 (2n, 4): feature, left, right, n_node_samples;
    node_f float64 (2n, 4): threshold, value, impurity, weighted_n_node_samples (sklearn's leaf convention:
    feature = threshold = -2, children -1).

    root_leaf_monotone is False only when the root is a leaf because its best split had a negative improvement
    (the one leaf reason that need not hold for a larger min_samples_leaf).
    """
    n = X.shape[0]
    n_features = X.shape[1]
    samples, features, const_feats, rstate = ws_i  # separate arrays: no views made per tree
    eps = _EPSILON
    min_samples_split = max(2, 2 * min_samples_leaf)
    # Splitter.init
    n_s = 0
    w_all = 0.0
    for i in range(n):
        if w[i] != 0.0:
            samples[n_s] = i
            n_s += 1
        w_all += w[i]
    for f in range(n_features):
        features[f] = f
    rstate[0] = rr_seed
    stk_i[0, 0] = 0
    stk_i[0, 1] = n_s
    stk_i[0, 2] = 0
    stk_i[0, 3] = -1
    stk_i[0, 4] = 0
    stk_i[0, 5] = 0
    stk_f[0] = np.inf
    top = 1
    node_count = 0
    max_depth_seen = -1
    first = True
    root_mono = True
    while top > 0:
        top -= 1
        start = stk_i[top, 0]
        end = stk_i[top, 1]
        depth = stk_i[top, 2]
        parent = stk_i[top, 3]
        is_left = stk_i[top, 4]
        n_const = stk_i[top, 5]
        impurity = stk_f[top]
        n_node = end - start
        # node_reset -> RegressionCriterion.init
        sum_total = 0.0
        sq_sum_total = 0.0
        wn = 0.0
        for p in range(start, end):
            i = samples[p]
            wy = w[i] * y[i]
            sum_total += wy
            sq_sum_total += wy * y[i]
            wn += w[i]
        is_leaf = depth >= max_depth or n_node < min_samples_split or n_node < 2 * min_samples_leaf
        if first:
            mean = sum_total / wn
            impurity = sq_sum_total / wn - mean * mean
            first = False
        is_leaf = is_leaf or impurity <= eps
        pos = end
        feat = 0
        thr = 0.0
        imp_l = np.inf
        imp_r = np.inf
        if not is_leaf:
            pos, feat, thr, imp_l, imp_r, improvement, n_const = _node_split(
                X, y, w, samples, ws_f32, features, const_feats, sort_stack, rstate, start, end, n_const, impurity,
                sum_total, sq_sum_total, wn, w_all, min_samples_leaf,
            )  # fmt: skip
            if pos >= end:
                is_leaf = True
            elif improvement + eps < 0.0:
                is_leaf = True
                if node_count == 0:
                    root_mono = False
        node_id = node_count
        node_count += 1
        if parent >= 0:
            if is_left:
                node_i[parent, 1] = node_id
            else:
                node_i[parent, 2] = node_id
        node_i[node_id, 1] = _TREE_LEAF
        node_i[node_id, 2] = _TREE_LEAF
        node_i[node_id, 3] = n_node
        node_f[node_id, 1] = sum_total / wn
        node_f[node_id, 2] = impurity
        node_f[node_id, 3] = wn
        if is_leaf:
            node_i[node_id, 0] = _TREE_UNDEFINED
            node_f[node_id, 0] = _TREE_UNDEFINED
        else:
            node_i[node_id, 0] = feat
            node_f[node_id, 0] = thr
            # right child first: the left one is popped (and numbered) next
            stk_i[top, 0] = pos
            stk_i[top, 1] = end
            stk_i[top, 2] = depth + 1
            stk_i[top, 3] = node_id
            stk_i[top, 4] = 0
            stk_i[top, 5] = n_const
            stk_f[top] = imp_r
            top += 1
            stk_i[top, 0] = start
            stk_i[top, 1] = pos
            stk_i[top, 2] = depth + 1
            stk_i[top, 3] = node_id
            stk_i[top, 4] = 1
            stk_i[top, 5] = n_const
            stk_f[top] = imp_l
            top += 1
        if depth > max_depth_seen:
            max_depth_seen = depth
    return node_count, max_depth_seen, root_mono


@njit(cache=True, nogil=True, inline="always")
def _predict(xq, node_i, node_f):
    """Tree._apply_dense for one float32 row: go left iff float64(x) <= threshold."""
    node = 0
    while node_i[node, 1] != _TREE_LEAF:
        if np.float64(xq[node_i[node, 0]]) <= node_f[node, 0]:
            node = node_i[node, 1]
        else:
            node = node_i[node, 2]
    return node_f[node, 1]


@njit(cache=True, nogil=True)
def _workspaces(n, n_features):
    ws_i = (np.zeros(n, np.int64), np.zeros(n_features, np.int64), np.zeros(n_features, np.int64),
            np.zeros(1, np.int64))  # fmt: skip
    ws_f32 = np.zeros(max(n, 1), np.float32)
    sort_stack = np.zeros((n + 1, 3), np.int64)
    stk_i = np.zeros((2 * n + 2, 6), np.int64)
    stk_f = np.zeros(2 * n + 2, np.float64)
    node_i = np.zeros((2 * n + 1, 4), np.int64)
    node_f = np.zeros((2 * n + 1, 4), np.float64)
    return ws_i, ws_f32, sort_stack, stk_i, stk_f, node_i, node_f


@njit(cache=True, nogil=True)
def _grow_one(X32, y, w, rr_seed, min_samples_leaf, max_depth):
    ws_i, ws_f32, sort_stack, stk_i, stk_f, node_i, node_f = _workspaces(X32.shape[0], X32.shape[1])
    count, depth, _ = _grow(X32, y, w, rr_seed, min_samples_leaf, max_depth, ws_i, ws_f32, sort_stack, stk_i,
                            stk_f, node_i, node_f)  # fmt: skip
    return node_i[:count].copy(), node_f[:count].copy(), depth


@njit(cache=True, nogil=True)
def _forest_kernel(X32, y, Xq32, counts, rr_seeds, min_samples_leaf, max_depth):
    n_trees = counts.shape[0]
    out = np.empty((n_trees, Xq32.shape[0]), np.float64)
    ws_i, ws_f32, sort_stack, stk_i, stk_f, node_i, node_f = _workspaces(X32.shape[0], X32.shape[1])
    for t in range(n_trees):
        _grow(X32, y, counts[t], rr_seeds[t], min_samples_leaf, max_depth, ws_i, ws_f32, sort_stack, stk_i,
              stk_f, node_i, node_f)  # fmt: skip
        for q in range(Xq32.shape[0]):
            out[t, q] = _predict(Xq32[q], node_i, node_f)
    return out


# ---------------------------------------------------------------------------------------------------------------
# numpy's pairwise summation (umath loops_utils.h: <8 sequential from 0, blocks of 8 up to 128, halves beyond)


@njit(cache=True, nogil=True)
def _pairwise_block(a, lo, n):
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0 = a[lo]
    r1 = a[lo + 1]
    r2 = a[lo + 2]
    r3 = a[lo + 3]
    r4 = a[lo + 4]
    r5 = a[lo + 5]
    r6 = a[lo + 6]
    r7 = a[lo + 7]
    i = 8
    while i < n - (n % 8):
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True, nogil=True)
def _pairwise_sum(a, lo, n):
    """numpy's sum of a[lo:lo + n]; the halving recursion beyond 128 runs on an explicit stack (numba's cache
    does not handle self-recursive functions)."""
    if n <= 128:
        return _pairwise_block(a, lo, n)
    frames = np.empty((64, 3), np.int64)  # lo, n, state
    vals = np.empty(64, np.float64)
    nv = 0
    frames[0, 0] = lo
    frames[0, 1] = n
    frames[0, 2] = 0
    top = 1
    while top > 0:
        fl = frames[top - 1, 0]
        fn = frames[top - 1, 1]
        if fn <= 128:
            top -= 1
            vals[nv] = _pairwise_block(a, fl, fn)
            nv += 1
            continue
        n2 = fn // 2
        n2 -= n2 % 8
        state = frames[top - 1, 2]
        frames[top - 1, 2] = state + 1
        if state == 0:
            frames[top, 0] = fl
            frames[top, 1] = n2
            frames[top, 2] = 0
            top += 1
        elif state == 1:
            frames[top, 0] = fl + n2
            frames[top, 1] = fn - n2
            frames[top, 2] = 0
            top += 1
        else:
            top -= 1
            nv -= 1
            vals[nv - 1] = vals[nv - 1] + vals[nv]
    return vals[0]


@njit(cache=True, nogil=True)
def _r2_kernel(yt, yp):
    b_n, n = yt.shape
    out = np.empty(b_n, np.float64)
    d = np.empty(n, np.float64)
    for b in range(b_n):
        if n < 2:
            out[b] = np.nan
            continue
        for i in range(n):
            e = yt[b, i] - yp[b, i]
            d[i] = e * e
        num = _pairwise_sum(d, 0, n)
        for i in range(n):
            d[i] = yt[b, i]
        mean = _pairwise_sum(d, 0, n) / n
        for i in range(n):
            e = yt[b, i] - mean
            d[i] = e * e
        den = _pairwise_sum(d, 0, n)
        if num == 0.0:
            out[b] = 1.0
        elif den == 0.0:
            out[b] = 0.0
        else:
            out[b] = 1.0 - num / den
    return out


# ---------------------------------------------------------------------------------------------------------------
# The protocol


@njit(cache=True, nogil=True)
def _protocol_one(b, s, Xf32, xq32, fold_rows, Xr32, Xt32, tr_rows, Y, cnt_m, rr_m, cnt_n, rr_n, depth_u,
                  leaf_u, nest_grid, cand_d, cand_l, cand_e, out):  # fmt: skip
    n_tr = tr_rows.shape[1]
    m = fold_rows.shape[2]
    n_te = Xt32.shape[1]
    n_features = Xf32.shape[3]
    n_trees = cnt_m.shape[0]
    n_lu = leaf_u.shape[0]
    n_du = depth_u.shape[0]
    n_e = nest_grid.shape[0]
    n_c = cand_d.shape[0]
    ws_i, ws_f32, sort_stack, stk_i, stk_f, node_i, node_f = _workspaces(n_tr, n_features)
    yf = np.empty(m, np.float64)
    yr = np.empty(n_tr, np.float64)
    stump = np.zeros(n_trees, np.bool_)
    stump_val = np.zeros(n_trees, np.float64)
    acc = np.zeros(n_du, np.float64)
    yhat = np.zeros((n_lu, n_du, n_e), np.float64)
    scores = np.zeros((n_c, n_tr), np.float64)
    for j in range(n_tr):  # LeaveOneOut folds of the training rows, in order
        Xj = Xf32[s, j]
        xq = xq32[s, j]
        for r in range(m):
            yf[r] = Y[b, fold_rows[s, j, r]]
        yq = Y[b, tr_rows[s, j]]  # the held-out row
        stump[:] = False
        for lu in range(n_lu):  # ascending min_samples_leaf
            leaf = leaf_u[lu]
            acc[:] = 0.0
            for t in range(n_trees):
                if stump[t]:
                    p = stump_val[t]
                    dep = 0
                else:
                    _, dep, mono = _grow(Xj, yf, cnt_m[t], rr_m[t], leaf, MAX_DEPTH_NONE, ws_i, ws_f32, sort_stack,
                                         stk_i, stk_f, node_i, node_f)  # fmt: skip
                    p = _predict(xq, node_i, node_f)
                    if dep == 0 and mono:
                        stump[t] = True
                        stump_val[t] = p
                for du in range(n_du):
                    d = depth_u[du]
                    if d < 0 or dep < d:  # the limit does not bind: the same tree
                        acc[du] += p
                    else:
                        _grow(Xj, yf, cnt_m[t], rr_m[t], leaf, d, ws_i, ws_f32, sort_stack, stk_i, stk_f, node_i,
                              node_f)  # fmt: skip
                        acc[du] += _predict(xq, node_i, node_f)
                for e in range(n_e):
                    if nest_grid[e] == t + 1:
                        for du in range(n_du):
                            yhat[lu, du, e] = acc[du] / (t + 1)
        for c in range(n_c):  # neg_mean_squared_error of the held-out row
            r = yq - yhat[cand_l[c], cand_d[c], cand_e[c]]
            scores[c, j] = -(r * r)
    # mean_test_score (np.average over folds), best = first of the highest (rankdata "min" + argmin)
    best = 0
    best_score = _pairwise_sum(scores[0], 0, n_tr) / n_tr
    for c in range(1, n_c):
        v = _pairwise_sum(scores[c], 0, n_tr) / n_tr
        if v > best_score:
            best_score = v
            best = c
    leaf = leaf_u[cand_l[best]]
    d = depth_u[cand_d[best]]
    if d < 0:
        d = MAX_DEPTH_NONE
    k = nest_grid[cand_e[best]]
    for r in range(n_tr):
        yr[r] = Y[b, tr_rows[s, r]]
    for q in range(n_te):
        out[b, s, q] = 0.0
    for t in range(k):
        _grow(Xr32[s], yr, cnt_n[t], rr_n[t], leaf, d, ws_i, ws_f32, sort_stack, stk_i, stk_f, node_i, node_f)
        for q in range(n_te):
            out[b, s, q] += _predict(Xt32[s, q], node_i, node_f)
    for q in range(n_te):
        out[b, s, q] /= k
    return best


@njit(cache=True, parallel=True)
def _protocol_kernel(Xf32, xq32, fold_rows, Xr32, Xt32, tr_rows, Y, cnt_m, rr_m, cnt_n, rr_n, depth_u,
                     leaf_u, nest_grid, cand_d, cand_l, cand_e):  # fmt: skip
    n_b = Y.shape[0]
    n_s = tr_rows.shape[0]
    out = np.empty((n_b, n_s, Xt32.shape[1]), np.float64)
    best = np.empty((n_b, n_s), np.int64)
    for u in prange(n_b * n_s):
        b = u // n_s
        s = u - b * n_s
        best[b, s] = _protocol_one(b, s, Xf32, xq32, fold_rows, Xr32, Xt32, tr_rows, Y, cnt_m, rr_m, cnt_n,
                                   rr_n, depth_u, leaf_u, nest_grid, cand_d, cand_l, cand_e, out)  # fmt: skip
    return out, best


# Forests shared across splits. For a fixed response b the forest of one (min_samples_leaf, max_depth) grown on the
# training rows U (in their order) is a function of U alone: the scaler is fitted on X[U], the bootstrap plan depends
# only on len(U), and the trees on X[U], Y[b, U]. The leave-one-out folds of many splits train on the same U (the
# 6-subsets of the 7/3 splits of 10 sites: 210 distinct of 840 folds), so each distinct U is grown once, with
# exactly the shortcuts of _protocol_one, and its prefix-mean predictions at every held-out row that some fold of U
# asks for are kept; the folds then only look them up.


@njit(cache=True, nogil=True)
def _subset_forest(bi, u, XU32, XQ32, nq, u_rows, Y, b0, cnt_m, rr_m, depth_u, leaf_u, nest_grid, cache):
    """The folds on subset u for response b0 + bi: cache[bi, u, lu, du, e, q] = the forest's prediction at query
    row q of u, as _protocol_one's yhat[lu, du, e] (the same trees, sums and shortcuts, tree for tree)."""
    m = u_rows.shape[1]
    n_features = XU32.shape[2]
    n_trees = cnt_m.shape[0]
    n_lu = leaf_u.shape[0]
    n_du = depth_u.shape[0]
    n_e = nest_grid.shape[0]
    n_q = nq[u]
    ws_i, ws_f32, sort_stack, stk_i, stk_f, node_i, node_f = _workspaces(m, n_features)
    yf = np.empty(m, np.float64)
    for r in range(m):
        yf[r] = Y[b0 + bi, u_rows[u, r]]
    Xj = XU32[u]
    Xq = XQ32[u]
    stump = np.zeros(n_trees, np.bool_)
    stump_val = np.zeros(n_trees, np.float64)
    acc = np.zeros((n_du, n_q), np.float64)
    pq = np.empty(n_q, np.float64)
    for lu in range(n_lu):  # ascending min_samples_leaf
        leaf = leaf_u[lu]
        acc[:, :] = 0.0
        for t in range(n_trees):
            if stump[t]:
                for q in range(n_q):
                    pq[q] = stump_val[t]
                dep = 0
            else:
                _, dep, mono = _grow(Xj, yf, cnt_m[t], rr_m[t], leaf, MAX_DEPTH_NONE, ws_i, ws_f32, sort_stack,
                                     stk_i, stk_f, node_i, node_f)  # fmt: skip
                for q in range(n_q):
                    pq[q] = _predict(Xq[q], node_i, node_f)
                if dep == 0 and mono:
                    stump[t] = True
                    stump_val[t] = node_f[0, 1]  # a single leaf: every row's prediction
            for du in range(n_du):
                d = depth_u[du]
                if d < 0 or dep < d:  # the limit does not bind: the same tree
                    for q in range(n_q):
                        acc[du, q] += pq[q]
                else:
                    _grow(Xj, yf, cnt_m[t], rr_m[t], leaf, d, ws_i, ws_f32, sort_stack, stk_i, stk_f, node_i,
                          node_f)  # fmt: skip
                    for q in range(n_q):
                        acc[du, q] += _predict(Xq[q], node_i, node_f)
            for e in range(n_e):
                if nest_grid[e] == t + 1:
                    for du in range(n_du):
                        for q in range(n_q):
                            cache[bi, u, lu, du, e, q] = acc[du, q] / (t + 1)


@njit(cache=True, nogil=True)
def _split_from_cache(bi, s, b0, cache, fold_u, fold_q, Xr32, Xt32, tr_rows, Y, cnt_n, rr_n, depth_u, leaf_u,
                      nest_grid, cand_d, cand_l, cand_e, out):  # fmt: skip
    """_protocol_one for (b0 + bi, s) with the fold predictions looked up in the cache: scores, best, refit."""
    b = b0 + bi
    n_tr = tr_rows.shape[1]
    n_te = Xt32.shape[1]
    n_c = cand_d.shape[0]
    scores = np.zeros((n_c, n_tr), np.float64)
    for j in range(n_tr):
        u = fold_u[s, j]
        q = fold_q[s, j]
        yq = Y[b, tr_rows[s, j]]
        for c in range(n_c):
            r = yq - cache[bi, u, cand_l[c], cand_d[c], cand_e[c], q]
            scores[c, j] = -(r * r)
    best = 0
    best_score = _pairwise_sum(scores[0], 0, n_tr) / n_tr
    for c in range(1, n_c):
        v = _pairwise_sum(scores[c], 0, n_tr) / n_tr
        if v > best_score:
            best_score = v
            best = c
    leaf = leaf_u[cand_l[best]]
    d = depth_u[cand_d[best]]
    if d < 0:
        d = MAX_DEPTH_NONE
    k = nest_grid[cand_e[best]]
    ws_i, ws_f32, sort_stack, stk_i, stk_f, node_i, node_f = _workspaces(n_tr, Xr32.shape[2])
    yr = np.empty(n_tr, np.float64)
    for r in range(n_tr):
        yr[r] = Y[b, tr_rows[s, r]]
    for q in range(n_te):
        out[b, s, q] = 0.0
    for t in range(k):
        _grow(Xr32[s], yr, cnt_n[t], rr_n[t], leaf, d, ws_i, ws_f32, sort_stack, stk_i, stk_f, node_i, node_f)
        for q in range(n_te):
            out[b, s, q] += _predict(Xt32[s, q], node_i, node_f)
    for q in range(n_te):
        out[b, s, q] /= k
    return best


@njit(cache=True, parallel=True)
def _shared_kernel(XU32, XQ32, nq, u_rows, fold_u, fold_q, Xr32, Xt32, tr_rows, Y, b0, n_b, cnt_m, rr_m, cnt_n,
                   rr_n, depth_u, leaf_u, nest_grid, cand_d, cand_l, cand_e, out, best):  # fmt: skip
    """Responses b0 .. b0 + n_b - 1: every distinct subset's forests (prange over (b, subset)), then every split
    (prange over (b, split)); each unit is computed and written by one thread."""
    n_u = u_rows.shape[0]
    n_s = tr_rows.shape[0]
    cache = np.empty((n_b, n_u, leaf_u.shape[0], depth_u.shape[0], nest_grid.shape[0], XQ32.shape[1]), np.float64)
    for w in prange(n_b * n_u):
        bi = w // n_u
        u = w - bi * n_u
        _subset_forest(bi, u, XU32, XQ32, nq, u_rows, Y, b0, cnt_m, rr_m, depth_u, leaf_u, nest_grid, cache)
    for w in prange(n_b * n_s):
        bi = w // n_s
        s = w - bi * n_s
        best[b0 + bi, s] = _split_from_cache(bi, s, b0, cache, fold_u, fold_q, Xr32, Xt32, tr_rows, Y, cnt_n, rr_n,
                                             depth_u, leaf_u, nest_grid, cand_d, cand_l, cand_e, out)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Python API


@lru_cache(maxsize=64)
def _plan(seed: int, n_samples: int, n_estimators: int):
    rs = check_random_state(seed)
    est = DecisionTreeRegressor()
    n_boot = _get_n_samples_bootstrap(n_samples, None, None)
    counts = np.empty((n_estimators, n_samples), np.int64)
    rr = np.empty(n_estimators, np.int64)
    for t in range(n_estimators):
        _set_random_states(est, rs)  # what BaseEnsemble._make_estimator does for tree t
        tree_seed = est.random_state
        idx = _generate_sample_indices(tree_seed, n_samples, n_boot, None)
        counts[t] = np.bincount(idx, minlength=n_samples)
        rr[t] = check_random_state(tree_seed).randint(0, RAND_R_MAX)  # Splitter.init, on the tree's fresh RandomState
    weights = counts.astype(np.float64)  # _check_sample_weight(dtype=float64) in DecisionTreeRegressor._fit
    rr_kernel = rr.copy()  # writeable copies for numba (one specialisation of the kernels), never handed out
    for a in (counts, rr):
        a.flags.writeable = False
    return counts, rr, weights, rr_kernel


def bootstrap_plan(seed: int, n_samples: int, n_estimators: int) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap counts and splitter seeds of the trees of ``RandomForestRegressor(random_state=seed)``.

    Returns ``counts`` (n_estimators, n_samples) int64, the ``sample_weight`` tree t is fitted with
    (``np.bincount(_generate_sample_indices(...))``), and ``rand_r_seeds`` (n_estimators,) int64 (values below
    2**31 - 1), the tree's ``rand_r_state`` (``RandomState(tree_seed).randint(0, RAND_R_MAX)``). Both depend only
    on (seed, n_samples, n_estimators), and tree t is the same for every n_estimators > t (a forest of k trees is
    the first k trees of a larger one). Made by scikit-learn's own functions; cached, read-only arrays.
    """
    if n_samples < 1 or n_estimators < 1:
        raise ValueError("n_samples and n_estimators must be >= 1")
    counts, rr, _, _ = _plan(int(seed), int(n_samples), int(n_estimators))
    return counts, rr


def _weights_plan(seed: int, n_samples: int, n_estimators: int):
    bootstrap_plan(seed, n_samples, n_estimators)  # checks
    _, _, weights, rr = _plan(int(seed), int(n_samples), int(n_estimators))
    return weights, rr


def _scaled32(X_fit, *X_other):
    sc = MinMaxScaler().fit(X_fit)
    return tuple(np.ascontiguousarray(sc.transform(a), dtype=np.float32) for a in (X_fit, *X_other))


def _depth(max_depth) -> int:
    return MAX_DEPTH_NONE if max_depth is None or max_depth == -1 else int(max_depth)


def _check_xy(X, y):
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    if X.ndim != 2 or not np.all(np.isfinite(X)) or not np.all(np.isfinite(y)):
        raise ValueError("X must be a finite 2-D array (rows x features) and y finite")
    return X, y


def grow_tree(X32, y, sample_weight, rand_r_seed: int, min_samples_leaf: int = 1, max_depth=None) -> dict:
    """One tree on float32 features (already scaled), as ``DecisionTreeRegressor._fit`` grows it.

    Returns scikit-learn's ``tree_`` arrays in its node order: ``feature``, ``threshold``, ``children_left``,
    ``children_right``, ``value`` (node means), ``impurity``, ``n_node_samples`` (distinct rows),
    ``weighted_n_node_samples`` and ``max_depth``. For tests and inspection; the forests below never leave numba.
    """
    X32 = np.ascontiguousarray(X32, dtype=np.float32)
    y = np.ascontiguousarray(y, dtype=np.float64)
    w = np.ascontiguousarray(sample_weight, dtype=np.float64)
    ni, nf, depth = _grow_one(X32, y, w, int(rand_r_seed), int(min_samples_leaf), _depth(max_depth))
    return {
        "feature": ni[:, 0],
        "threshold": nf[:, 0],
        "children_left": ni[:, 1],
        "children_right": ni[:, 2],
        "value": nf[:, 1],
        "impurity": nf[:, 2],
        "n_node_samples": ni[:, 3],
        "weighted_n_node_samples": nf[:, 3],
        "max_depth": int(depth),
    }


def forest_tree_predictions(
    X_train, y_train, X_test, n_estimators: int, min_samples_leaf: int = 1, max_depth=None, seed: int = 0
) -> np.ndarray:
    """Per-tree predictions (n_estimators, n_test) of ``make_pipeline(seed, ...)`` fitted on (X_train, y_train).

    Equal to ``[t.predict(scaled X_test) for t in pipe.named_steps["rf"].estimators_]``; their mean over axis 0
    in tree order (``np.cumsum(..., axis=0)[-1] / n_estimators``) is ``pipe.predict(X_test)``.
    ``max_depth`` None (or -1) means unlimited.
    """
    X_train, y_train = _check_xy(X_train, y_train)
    X_test = np.ascontiguousarray(X_test, dtype=np.float64).reshape(-1, X_train.shape[1])
    if len(y_train) != len(X_train):
        raise ValueError("X_train and y_train differ in length")
    weights, rr = _weights_plan(seed, len(y_train), n_estimators)
    X32, Xq32 = _scaled32(X_train, X_test)
    return _forest_kernel(X32, y_train, Xq32, weights, rr, int(min_samples_leaf), _depth(max_depth))


def _grid_arrays(n_estimators_grid, max_depth_grid, min_samples_leaf_grid):
    nest = np.array([int(k) for k in n_estimators_grid], np.int64)
    depths = np.array([-1 if d is None else int(d) for d in max_depth_grid], np.int64)
    leaves = np.array([int(v) for v in min_samples_leaf_grid], np.int64)
    if not (len(nest) and len(depths) and len(leaves)):
        raise ValueError("empty grid")
    if np.any(nest < 1) or np.any(leaves < 1) or np.any((depths < 1) & (depths != -1)):
        raise ValueError("n_estimators, min_samples_leaf and max_depth must be >= 1 (max_depth may be None)")
    depth_u = np.unique(depths)
    leaf_u = np.unique(leaves)  # ascending: the stump shortcut goes from small to large leaves
    # ParameterGrid order: keys sorted (rf__max_depth, rf__min_samples_leaf, rf__n_estimators), last fastest
    cd, cl, ce = (a.ravel() for a in np.meshgrid(np.arange(len(depths)), np.arange(len(leaves)), np.arange(len(nest)),
                                                 indexing="ij"))  # fmt: skip
    cand_d = np.searchsorted(depth_u, depths[cd]).astype(np.int64)
    cand_l = np.searchsorted(leaf_u, leaves[cl]).astype(np.int64)
    return nest, depth_u, leaf_u, cand_d, cand_l, ce.astype(np.int64), depths, leaves


def _refit_arrays(X, tr, te):
    n_s, p = tr.shape[0], X.shape[1]
    Xr32 = np.empty((n_s, tr.shape[1], p), np.float32)
    Xt32 = np.empty((n_s, te.shape[1], p), np.float32)
    for s in range(n_s):
        Xr32[s], Xt32[s] = _scaled32(X[tr[s]], X[te[s]].reshape(-1, p))
    return Xr32, Xt32


_CACHE_BYTES = 1 << 27  # the fold-prediction cache of one kernel call (responses are processed in blocks)


def _shared_layout(X, tr, te):
    """The distinct leave-one-out training subsets of all splits (ordered row tuples: a fold keeps its split's row
    order, so equal tuples are equal forests whether or not the rows are sorted), the held-out rows each is asked
    about, and their scaled arrays. Memoised on the bytes of (X, train, test): run_batched calls the protocol once
    per block of responses with the same splits."""
    key = (X.shape, X.tobytes(), tr.shape, tr.tobytes(), te.shape, te.tobytes())
    hit = _LAYOUTS.get(key)
    if hit is not None:
        return hit
    n_s, n_tr = tr.shape
    m = n_tr - 1
    p = X.shape[1]
    index: dict = {}
    subsets: list = []
    queries: list = []
    fold_u = np.empty((n_s, n_tr), np.int64)
    fold_q = np.empty((n_s, n_tr), np.int64)
    for s in range(n_s):
        row = tr[s].tolist()
        for j in range(n_tr):
            sub = tuple(row[:j] + row[j + 1 :])
            u = index.get(sub)
            if u is None:
                u = index[sub] = len(subsets)
                subsets.append(sub)
                queries.append({})
            fold_u[s, j] = u
            fold_q[s, j] = queries[u].setdefault(row[j], len(queries[u]))
    n_u = len(subsets)
    max_q = max(len(qd) for qd in queries)
    u_rows = np.array(subsets, np.int64).reshape(n_u, m)
    nq = np.array([len(qd) for qd in queries], np.int64)
    XU32 = np.empty((n_u, m, p), np.float32)
    XQ32 = np.zeros((n_u, max_q, p), np.float32)
    for u in range(n_u):
        XU32[u], XQ32[u, : nq[u]] = _scaled32(X[u_rows[u]], X[list(queries[u])])
    Xr32, Xt32 = _refit_arrays(X, tr, te)
    out = (XU32, XQ32, nq, u_rows, fold_u, fold_q, Xr32, Xt32)
    if len(_LAYOUTS) >= 8:
        _LAYOUTS.pop(next(iter(_LAYOUTS)))
    _LAYOUTS[key] = out
    return out


_LAYOUTS: dict = {}


def _protocol_shared(X, Y, tr, te, cnt_m, rr_m, cnt_n, rr_n, nest, depth_u, leaf_u, cand_d, cand_l, cand_e):
    """The shared kernel over blocks of responses (the fold-prediction cache of a block stays below _CACHE_BYTES)."""
    n_s = tr.shape[0]
    XU32, XQ32, nq, u_rows, fold_u, fold_q, Xr32, Xt32 = _shared_layout(X, tr, te)
    n_u, max_q = XQ32.shape[:2]
    n_b = Y.shape[0]
    out = np.empty((n_b, n_s, te.shape[1]), np.float64)
    best = np.empty((n_b, n_s), np.int64)
    per_b = 8 * n_u * len(leaf_u) * len(depth_u) * len(nest) * max_q
    block = max(1, min(n_b, _CACHE_BYTES // per_b))
    for b0 in range(0, n_b, block):
        _shared_kernel(XU32, XQ32, nq, u_rows, fold_u, fold_q, Xr32, Xt32, tr, Y, b0, min(block, n_b - b0), cnt_m,
                       rr_m, cnt_n, rr_n, depth_u, leaf_u, nest, cand_d, cand_l, cand_e, out, best)  # fmt: skip
    return out, best


def protocol_predict(
    X,
    Y,
    train_sets,
    test_sets,
    n_estimators_grid,
    max_depth_grid,
    min_samples_leaf_grid,
    seed: int,
    return_best: bool = False,
    share: bool = True,
):
    """The package's full protocol for every response vector and split: predictions (B, S, n_test).

    For response b (row of ``Y``, (B, n)) and split s (rows ``train_sets[s]`` / ``test_sets[s]`` of ``X``, (n, p)):
    MinMax scaling on the training rows, leave-one-out grid search over the grid (ParameterGrid order, score =
    mean over folds of minus the squared error of the held-out row, ties to the first configuration), refit of the
    best configuration on all training rows, prediction of the test rows. Equal, bit for bit, to
    ``fit_model(Xtr, ytr, dedup_search(Xtr, ytr, grid, seed)["best_params"], seed).predict(Xte)`` of
    :mod:`tarimhm.rf.inversion`. ``max_depth_grid`` may hold None. With ``return_best`` also the index of the
    chosen configuration in ``ParameterGrid`` order, (B, S) int64.

    With ``share`` (the default), the forests of the leave-one-out folds are grown once per response and distinct
    training subset (rows in the order given) and shared by every split whose fold trains on it (see
    :func:`_subset_forest`); ``share=False`` grows every fold of every split (the per-split kernel, kept as the
    reference). Both give the same bytes.
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.ascontiguousarray(np.atleast_2d(np.asarray(Y, dtype=np.float64)))
    tr = np.ascontiguousarray(np.atleast_2d(np.asarray(train_sets, dtype=np.int64)))
    te = np.asarray(test_sets, dtype=np.int64)
    te = np.ascontiguousarray(te.reshape(tr.shape[0], -1))
    X, _ = _check_xy(X, Y)
    n = X.shape[0]
    if Y.shape[1] != n:
        raise ValueError(f"Y has {Y.shape[1]} columns, X {n} rows")
    if tr.shape[1] < 2:
        raise ValueError("leave-one-out needs at least 2 training rows")
    if tr.size and (tr.min() < 0 or tr.max() >= n) or te.size and (te.min() < 0 or te.max() >= n):
        raise ValueError("train/test indices out of range")
    nest, depth_u, leaf_u, cand_d, cand_l, cand_e, _, _ = _grid_arrays(
        n_estimators_grid, max_depth_grid, min_samples_leaf_grid
    )
    n_s, n_tr = tr.shape
    m = n_tr - 1
    n_trees = int(nest.max())
    cnt_m, rr_m = _weights_plan(seed, m, n_trees)
    cnt_n, rr_n = _weights_plan(seed, n_tr, n_trees)
    if share:
        out, best = _protocol_shared(X, Y, tr, te, cnt_m, rr_m, cnt_n, rr_n, nest, depth_u, leaf_u, cand_d, cand_l,
                                     cand_e)  # fmt: skip
        return (out, best) if return_best else out
    p = X.shape[1]
    Xf32 = np.empty((n_s, n_tr, m, p), np.float32)
    xq32 = np.empty((n_s, n_tr, p), np.float32)
    fold_rows = np.empty((n_s, n_tr, m), np.int64)
    Xr32, Xt32 = _refit_arrays(X, tr, te)
    for s in range(n_s):
        Xtr = X[tr[s]]
        for j in range(n_tr):
            keep = np.delete(np.arange(n_tr), j)
            a, q = _scaled32(Xtr[keep], Xtr[j : j + 1])
            Xf32[s, j], xq32[s, j] = a, q[0]
            fold_rows[s, j] = tr[s, keep]
    out, best = _protocol_kernel(
        Xf32, xq32, fold_rows, Xr32, Xt32, tr, Y, cnt_m, rr_m, cnt_n, rr_n, depth_u, leaf_u, nest,
        cand_d, cand_l, cand_e,
    )  # fmt: skip
    return (out, best) if return_best else out


def r2_batch(y_true, y_pred) -> np.ndarray:
    """``sklearn.metrics.r2_score(y_true[b], y_pred[b])`` for every row b of (B, n) arrays, bit for bit.

    Sums are numpy's pairwise sums, as r2_score's. Like r2_score (``force_finite=True``): 1.0 when the
    predictions are perfect (also for constant ``y_true``), 0.0 for constant ``y_true`` otherwise, NaN for n < 2
    (without r2_score's warning).
    """
    yt = np.ascontiguousarray(np.atleast_2d(np.asarray(y_true, dtype=np.float64)))
    yp = np.ascontiguousarray(np.atleast_2d(np.asarray(y_pred, dtype=np.float64)))
    if yt.shape != yp.shape:
        raise ValueError(f"shapes differ: {yt.shape} vs {yp.shape}")
    return _r2_kernel(yt, yp)
