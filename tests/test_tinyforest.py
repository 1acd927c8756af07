"""Tiny-n bagged CART (tarimhm.rf.tinyforest) against scikit-learn: tree for tree, and the whole protocol, bitwise.

Sample sizes are small so the file runs in well under a minute once numba's cache is warm (the first run
compiles the kernels, ~20-40 s on a loaded 2-core machine).
"""

from __future__ import annotations

import itertools
import warnings

import numba
import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn.ensemble._forest import _generate_sample_indices
from sklearn.metrics import r2_score
from sklearn.model_selection import ParameterGrid

from tarimhm.rf import tinyforest as tf
from tarimhm.rf.inversion import _grid, _tree_preds, dedup_search, fit_model, make_pipeline

TREE_ARRAYS = ("feature", "threshold", "children_left", "children_right", "impurity", "n_node_samples")
SMALL_GRID = {"n_estimators": [5, 10], "max_depth": [None, 2], "min_samples_leaf": [1, 2, 3]}


def _assert_forest_equal(X, y, X_test, n_estimators, leaf, depth, seed):
    """Per-tree predictions and every tree_ array equal to scikit-learn's pipeline, bitwise."""
    pipe = make_pipeline(seed, n_estimators=n_estimators, min_samples_leaf=leaf, max_depth=depth).fit(X, y)
    got = tf.forest_tree_predictions(X, y, X_test, n_estimators, leaf, depth, seed)
    assert np.array_equal(got, _tree_preds(pipe, X_test))
    X32 = pipe.named_steps["scale"].transform(X).astype(np.float32)
    counts, rr = tf.bootstrap_plan(seed, len(y), n_estimators)
    for t, est in enumerate(pipe.named_steps["rf"].estimators_):
        g = tf.grow_tree(X32, y, counts[t], rr[t], leaf, depth)
        for k in TREE_ARRAYS:
            assert np.array_equal(getattr(est.tree_, k), g[k]), k
        assert np.array_equal(est.tree_.weighted_n_node_samples, g["weighted_n_node_samples"])
        assert np.array_equal(est.tree_.value[:, 0, 0], g["value"])
        assert est.tree_.max_depth == g["max_depth"]


def _sklearn_protocol(X, Y, train_sets, test_sets, grid, seed):
    out = np.empty((len(Y), len(train_sets), np.shape(test_sets)[1]))
    best = np.empty((len(Y), len(train_sets)), np.int64)
    for b, y in enumerate(Y):
        for s, (tr, te) in enumerate(zip(train_sets, test_sets)):
            dd = dedup_search(X[tr], y[tr], grid, seed)
            out[b, s] = fit_model(X[tr], y[tr], dd["best_params"], seed).predict(X[te])
            best[b, s] = dd["best_index"]
    return out, best


def _tiny_protocol(X, Y, train_sets, test_sets, grid, seed, **kw):
    return tf.protocol_predict(
        X, Y, train_sets, test_sets, grid["n_estimators"], grid["max_depth"], grid["min_samples_leaf"], seed, **kw
    )


def _loso(n):
    return np.array([np.delete(np.arange(n), i) for i in range(n)]), np.arange(n)[:, None]


def test_bootstrap_plan_is_the_forests():
    n, k, seed = 7, 25, 5
    X, y = np.random.default_rng(0).uniform(size=(n, 4)), np.arange(n, dtype=float)
    rf = make_pipeline(seed, n_estimators=k).fit(X, y).named_steps["rf"]
    counts, rr = tf.bootstrap_plan(seed, n, k)
    assert counts.shape == (k, n) and rr.shape == (k,)
    for t, est in enumerate(rf.estimators_):
        assert np.array_equal(
            counts[t], np.bincount(_generate_sample_indices(est.random_state, n, n, None), minlength=n)
        )
        assert rr[t] == np.random.RandomState(est.random_state).randint(0, tf.RAND_R_MAX)
    # the per-tree draws of _set_random_states are the vectorised draw, and a prefix of a longer plan
    assert np.array_equal(
        [e.random_state for e in rf.estimators_], np.random.RandomState(seed).randint(2**31 - 1, size=k)
    )
    assert np.array_equal(tf.bootstrap_plan(seed, n, 40)[0][:k], counts)


@pytest.mark.parametrize("seed", range(4))
def test_trees_equal_sklearn_continuous(seed):
    """Continuous features and responses (no tied improvements): 3 <= n <= 12, every leaf size and depth."""
    rng = np.random.default_rng(seed)
    for _ in range(12):
        n = int(rng.integers(3, 13))
        X, y = rng.uniform(0, 0.4, (n, 4)), rng.lognormal(0, 1, n)
        X_test = np.vstack([X[:2], rng.uniform(-0.1, 0.5, (4, 4))])
        leaf = int(rng.integers(1, 5))
        depth = [None, 1, 2, 3, 10][int(rng.integers(0, 5))]
        _assert_forest_equal(X, y, X_test, 12, leaf, depth, int(rng.integers(0, 10_000)))


@pytest.mark.parametrize("kind", ["discrete", "duplicated_columns", "duplicated_rows", "constant_column_tied_y"])
def test_trees_equal_sklearn_ties(kind):
    """Ties: equal feature values (skipped positions, constant features), equal proxies (two features giving the
    same partition), equal y. The port follows scikit-learn's feature order (Fisher-Yates on its rand_r) and its
    sample order (introsort + partition), so even tied improvements pick the same feature: still bitwise."""
    rng = np.random.default_rng(
        ["discrete", "duplicated_columns", "duplicated_rows", "constant_column_tied_y"].index(kind)
    )
    for _ in range(12):
        n = int(rng.integers(3, 13))
        X, y = rng.uniform(0, 1, (n, 4)), rng.lognormal(0, 1, n)
        if kind == "discrete":
            X = rng.integers(0, 3, (n, 4)).astype(float)
        elif kind == "duplicated_columns":
            X[:, 1], X[:, 3] = X[:, 0], 1 - X[:, 2]
            y = rng.integers(0, 3, n).astype(float)
        elif kind == "duplicated_rows":
            X[n // 2 :] = X[: n - n // 2]
            y = np.round(y, 1)
        else:
            X[:, 2] = 0.5
            y[:3] = y[0]
        X_test = np.vstack([X[:3], rng.uniform(-0.2, 1.2, (3, 4))])
        leaf, depth = int(rng.integers(1, 4)), [None, 1, 2][int(rng.integers(0, 3))]
        _assert_forest_equal(X, y, X_test, 12, leaf, depth, int(rng.integers(0, 10_000)))


def test_trees_equal_sklearn_large_n():
    """n > 15 takes the introsort branch of simultaneous_sort (3-way partition, with many ties)."""
    rng = np.random.default_rng(9)
    for i, n in enumerate([16, 40, 150]):
        X = rng.integers(0, 6, (n, 4)).astype(float) if i % 2 == 0 else rng.uniform(size=(n, 4))
        _assert_forest_equal(X, rng.normal(size=n), rng.uniform(size=(5, 4)), 4, 1 + i, None, i)


def test_constant_y_stumps_are_regrown():
    """y constant at 123.456: the root impurity is rounding noise (> EPSILON), the best split's improvement is
    noise too, and a root left unsplit because it came out negative is no stump for a larger leaf. The protocol
    regrows such trees (as the naive protocol does); here it still equals dedup_search, whose forest-level
    shortcut needs every tree of a forest to be a stump."""
    rng = np.random.default_rng(0)
    n, seed = 6, 11
    X, y = rng.uniform(size=(n, 4)), np.full(n, 123.456)
    X32 = tf._scaled32(X[1:])[0]
    counts, rr = tf.bootstrap_plan(seed, n - 1, 10)
    grown = [
        (tf.grow_tree(X32, y[1:], counts[t], rr[t], 1), tf.grow_tree(X32, y[1:], counts[t], rr[t], 2))
        for t in range(10)
    ]
    assert any(len(a["feature"]) == 1 and len(b["feature"]) > 1 for a, b in grown)  # the case this test is about
    grid = {"n_estimators": [5, 10], "max_depth": [None], "min_samples_leaf": [1, 2, 3]}
    tr, te = _loso(n)
    got = _tiny_protocol(X, y[None], tr, te, grid, seed)
    assert np.array_equal(got, _sklearn_protocol(X, y[None], tr, te, grid, seed)[0])


@pytest.mark.parametrize("n,seed", [(7, 3), (8, 42)])
def test_protocol_equals_sklearn_loso(n, seed):
    rng = np.random.default_rng(seed)
    X, Y = rng.uniform(0, 0.4, (n, 4)), rng.gamma(2.0, 5.0, (2, n))
    tr, te = _loso(n)
    got, best = _tiny_protocol(X, Y, tr, te, SMALL_GRID, seed, return_best=True)
    ref, ref_best = _sklearn_protocol(X, Y, tr, te, SMALL_GRID, seed)
    assert np.array_equal(got, ref)
    assert np.array_equal(best, ref_best)


def test_protocol_equals_sklearn_7_3_unsorted_grid():
    """A 7/3 split (three of them), grid lists given out of order and with duplicates: ParameterGrid order."""
    rng = np.random.default_rng(5)
    n, seed = 10, 42
    X, Y = rng.uniform(0, 0.4, (n, 4)), rng.lognormal(1, 1, (2, n))
    perms = [rng.permutation(n) for _ in range(3)]
    tr, te = np.array([np.sort(p[:7]) for p in perms]), np.array([p[7:] for p in perms])
    grid = {"n_estimators": [10, 5], "max_depth": [2, None, 3], "min_samples_leaf": [3, 1, 2, 1]}
    got, best = _tiny_protocol(X, Y, tr, te, grid, seed, return_best=True)
    ref, ref_best = _sklearn_protocol(X, Y, tr, te, grid, seed)
    assert len(list(ParameterGrid(_grid(grid)))) == 24
    assert np.array_equal(got, ref)
    assert np.array_equal(best, ref_best)


def _holdout(n, n_test):
    tests = np.array(list(itertools.combinations(range(n), n_test)))
    return np.array([[i for i in range(n) if i not in set(t)] for t in tests]), tests


@pytest.mark.parametrize("splits", ["loso", "all_7_3", "unsorted_rows"])
def test_shared_forests_equal_per_split(splits):
    """Forests shared across splits (one per response and distinct leave-one-out training subset) give the bytes
    of the per-split kernel (every fold of every split grown), which the tests above hold against scikit-learn:
    on the LOSO splits of 8 sites (28 distinct subsets for 56 folds), on all C(10, 3) = 120 7/3 splits (210 for
    840), with a grid where max_depth binds, and on training rows not in ascending order (the subsets are keyed as
    ordered tuples, so a reordered subset is a different forest, as it is for scikit-learn)."""
    rng = np.random.default_rng(["loso", "all_7_3", "unsorted_rows"].index(splits))
    grid = {"n_estimators": [3, 8, 5], "max_depth": [None, 1, 2], "min_samples_leaf": [1, 2, 3]}
    if splits == "loso":
        n = 8
        tr, te = _loso(n)
    else:
        n = 10
        tr, te = _holdout(n, 3)
        if splits == "unsorted_rows":
            tr = np.array([rng.permutation(r) if i % 3 else r for i, r in enumerate(tr[:40])])
            tr[1] = tr[2][[1, 0, 2, 3, 4, 5, 6]]  # two splits on the same sites in different orders
            te = te[:40]
    X = rng.uniform(0, 0.4, (n, 4))
    X[:, 3] = np.round(X[:, 3], 1)  # ties
    Y = rng.gamma(2.0, 5.0, (3, n))
    Y[2, :4] = Y[2, 0]
    got, best = _tiny_protocol(X, Y, tr, te, grid, 11, return_best=True)
    ref, ref_best = _tiny_protocol(X, Y, tr, te, grid, 11, return_best=True, share=False)
    assert got.tobytes() == ref.tobytes()
    assert np.array_equal(best, ref_best)
    if splits == "all_7_3":  # and a few of these splits against scikit-learn itself
        pick = [0, 57, 119]
        sk, sk_best = _sklearn_protocol(X, Y[:1], tr[pick], te[pick], grid, 11)
        assert np.array_equal(got[:1, pick], sk) and np.array_equal(best[:1, pick], sk_best)
    # responses processed in several blocks of the cache: the same bytes
    cache = tf._CACHE_BYTES
    try:
        tf._CACHE_BYTES = 1
        assert _tiny_protocol(X, Y, tr, te, grid, 11).tobytes() == got.tobytes()
    finally:
        tf._CACHE_BYTES = cache


def test_null_distribution_of_loso_r2():
    """y-randomisation null of the LOSO R² (nested protocol on every LOSO split): 12 permutations of n = 6 sites.

    The two nulls are equal (asserted); the two-sample KS test is the documented check for a variant whose trees
    could differ on ties; here it is trivially p = 1."""
    rng = np.random.default_rng(1)
    n, seed = 6, 7
    grid = {"n_estimators": [5, 10], "max_depth": [None], "min_samples_leaf": [1, 2]}
    X, y = rng.uniform(0, 0.4, (n, 4)), rng.gamma(2.0, 5.0, n)
    Y = np.array([y[rng.permutation(n)] for _ in range(12)])
    tr, te = _loso(n)
    null_tiny = tf.r2_batch(Y, _tiny_protocol(X, Y, tr, te, grid, seed)[:, :, 0])
    ref = _sklearn_protocol(X, Y, tr, te, grid, seed)[0][:, :, 0]
    null_sk = np.array([r2_score(Y[b], ref[b]) for b in range(len(Y))])
    assert np.array_equal(null_tiny, null_sk)
    assert ks_2samp(null_tiny, null_sk).pvalue > 0.05


def test_protocol_deterministic_and_thread_independent():
    rng = np.random.default_rng(3)
    n, seed = 7, 1
    X = rng.uniform(size=(n, 4))
    Y = np.array([rng.permutation(rng.lognormal(0, 1, n)) for _ in range(6)])
    tr, te = _loso(n)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _tiny_protocol(X, Y, tr, te, SMALL_GRID, seed)
        again = _tiny_protocol(X, Y, tr, te, SMALL_GRID, seed)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = _tiny_protocol(X, Y, tr, te, SMALL_GRID, seed)
    finally:
        numba.set_num_threads(threads)
    assert one.tobytes() == again.tobytes() == two.tobytes()
    tr, te = _holdout(n, 3)
    try:
        numba.set_num_threads(1)
        one = _tiny_protocol(X, Y[:2], tr, te, SMALL_GRID, seed)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = _tiny_protocol(X, Y[:2], tr, te, SMALL_GRID, seed)
    finally:
        numba.set_num_threads(threads)
    assert one.tobytes() == two.tobytes()
    a = tf.forest_tree_predictions(X, Y[0], X, 20, 1, None, seed)
    assert a.tobytes() == tf.forest_tree_predictions(X, Y[0], X, 20, 1, None, seed).tobytes()


def test_r2_batch_equals_r2_score():
    rng = np.random.default_rng(4)
    for n in (2, 3, 7, 9, 10, 17, 200):
        yt, yp = rng.lognormal(0, 2, (5, n)), rng.lognormal(0, 2, (5, n))
        assert np.array_equal(tf.r2_batch(yt, yp), [r2_score(a, b) for a, b in zip(yt, yp)])
    c = np.full((2, 4), 0.1212)
    assert np.array_equal(tf.r2_batch(c, c + [[0.0], [1.0]]), [r2_score(c[0], c[0]), r2_score(c[1], c[1] + 1)])
    assert np.array_equal(tf.r2_batch(c, c + [[0.0], [1.0]]), [1.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(r2_score([1.0], [2.0])) and np.isnan(tf.r2_batch([[1.0]], [[2.0]])[0])


def test_pairwise_sum_is_numpys():
    rng = np.random.default_rng(6)
    for n in list(range(1, 40)) + [127, 128, 129, 255, 256, 300, 1000, 5000]:
        a = rng.standard_normal(n) * 10.0 ** rng.uniform(-8, 8, n)
        assert tf._pairwise_sum(a, 0, n) == np.sum(a)
        assert tf._pairwise_sum(a, 0, n) / n == np.average(np.stack([a, a]), axis=1)[0]


def test_input_checks():
    X = np.zeros((4, 4))
    with pytest.raises(ValueError):
        tf.protocol_predict(X, np.zeros((1, 4)), [[0]], [[1]], [5], [None], [1], 0)  # LOO needs 2 rows
    with pytest.raises(ValueError):
        tf.protocol_predict(X, np.zeros((1, 4)), [[0, 1]], [[2]], [5], [0], [1], 0)  # max_depth 0
    with pytest.raises(ValueError):
        tf.forest_tree_predictions(np.full((3, 4), np.nan), np.zeros(3), X, 5)
