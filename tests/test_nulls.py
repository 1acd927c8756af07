"""Validation statistics of stage 061: known answers, references (scikit-learn), and tests that the
methods can fail (uniform p under simulated nulls, family-wise error, power, coverage, optimism)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import LeaveOneOut, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tarimhm.rf import nulls


def test_perm_p_by_hand():
    null = np.array([0.1, 0.5, 0.5, 0.9])
    assert nulls.perm_p(null, 0.5) == 4 / 5  # 1 + #{0.5, 0.5, 0.9}
    assert nulls.perm_p(null, 0.95) == 1 / 5  # the smallest attainable, 1 / (1 + B)
    assert nulls.perm_p(np.array([0.1, np.nan]), 0.5) == 1 / 2  # an undefined null value is left out
    assert np.isnan(nulls.perm_p(null, np.nan))


def test_r2_rows_equals_sklearn():
    rng = np.random.default_rng(1)
    y, p = rng.gamma(2, 3, (50, 7)), rng.gamma(2, 3, (50, 7))
    assert np.allclose(nulls.r2_rows(y, p), [r2_score(a, b) for a, b in zip(y, p)], rtol=0, atol=1e-12)
    # below the variance floor: undefined, not a number
    assert np.isnan(nulls.r2_rows(np.array([0.1212, 0.1212, 0.1212]), np.array([0.1, 0.2, 0.3])))


def test_mean_baseline_equals_loo_dummy():
    """R² = 1 - n²/(n-1)² for the leave-one-out training mean, whatever y (n = 10: 1 - 100/81)."""
    for n in (9, 10):
        y = np.random.default_rng(n).lognormal(0, 1, n)
        pred = cross_val_predict(DummyRegressor(), np.zeros((n, 1)), y, cv=LeaveOneOut())
        assert nulls.mean_baseline_r2(y) == pytest.approx(r2_score(y, pred), abs=1e-12)
    assert nulls.mean_baseline_r2(np.ones(10)) == pytest.approx(-19 / 81)


def test_ridge_loso_is_nested():
    """The ridge penalty is chosen inside every training set (equals a manual LOO loop)."""
    rng = np.random.default_rng(3)
    X, y = rng.uniform(size=(9, 4)), rng.normal(size=9)
    manual = [
        make_pipeline(StandardScaler(), RidgeCV(alphas=nulls.RIDGE_ALPHAS))
        .fit(np.delete(X, i, 0), np.delete(y, i))
        .predict(X[i : i + 1])[0]
        for i in range(9)
    ]
    assert np.allclose(nulls.ridge_loso(X, y), manual, rtol=0, atol=1e-12)


def test_splits_exact_counts():
    tr, te = nulls.holdout_splits(10, 3)
    assert tr.shape == (120, 7) and te.shape == (120, 3)
    assert nulls.holdout_splits(9, 3)[1].shape == (84, 3)
    for a, b in zip(tr, te):
        assert sorted([*a, *b]) == list(range(10))
    assert len({tuple(t) for t in te}) == 120
    lt, le = nulls.loso_splits(5)
    assert le[:, 0].tolist() == [0, 1, 2, 3, 4] and all(i not in row for i, row in zip(range(5), lt))


def test_null_responses_draw_members_in_turn():
    members = np.array([[1.0, 2, 3], [10, 20, 30]])
    perms = np.array([[2, 1, 0], [0, 2, 1], [1, 0, 2]])
    assert nulls.null_responses(members, perms).tolist() == [[3, 2, 1], [10, 30, 20], [2, 1, 3]]


def test_minp_adjust_by_hand():
    """Observed (0.35, 0.05), B = 4 null rows. Column 0 is (0.35 | 0.1, 0.2, 0.3, 0.4): p = #{>=}/5 =
    (2, 5, 4, 3, 1)/5; column 1 (0.05 | 0.4, 0.3, 0.2, 0.1): (5, 1, 2, 3, 4)/5. Row minima
    q = (2, 1, 2, 3, 1)/5. Observed p (2/5, 5/5): adj = #{q <= 2/5}/5 = 4/5 and #{q <= 1}/5 = 1."""
    null = np.array([[0.1, 0.4], [0.2, 0.3], [0.3, 0.2], [0.4, 0.1]])
    assert nulls.minp_adjust([0.35, 0.05], null).tolist() == [4 / 5, 1.0]
    # a NaN test is left out: q = column 0's p (2, 5, 4, 3, 1)/5 -> #{q <= 2/5} = 2
    adj = nulls.minp_adjust([0.35, np.nan], null)
    assert adj[0] == 2 / 5 and np.isnan(adj[1])
    # the adjusted p is never below the unadjusted one, and equals it with one test
    assert nulls.minp_adjust([0.35], null[:, :1])[0] == nulls.perm_p(null[:, 0], 0.35)


def test_r2_pearson_rows_equals_scipy():
    rng = np.random.default_rng(4)
    y, p = rng.normal(size=(20, 3)), rng.normal(size=(20, 3))
    assert np.allclose(nulls.r2_pearson_rows(y, p), [stats.pearsonr(a, b).statistic ** 2 for a, b in zip(y, p)])
    assert np.isnan(nulls.r2_pearson_rows(np.ones(3), np.arange(3.0)))


def test_defined_max_skips_undefined_splits():
    """Three near-equal values (soil Cd: 0.1211, 0.1209, 0.1211) make one split's R² undefined in every
    permutation; the best split is the best *defined* one, so such data can still reject."""
    r2 = np.array([[0.2, np.nan, 0.9], [np.nan, np.nan, np.nan], [-0.5, np.nan, 0.1]])
    out = nulls.defined_max(r2)
    assert out[0] == 0.9 and np.isnan(out[1]) and out[2] == 0.1
    y = np.array([0.1211, 0.1209, 0.1211, 0.3, 0.5, 0.2, 0.9, 0.4, 0.25, 0.6])
    tr, te = nulls.holdout_splits(10, 3)
    r2 = nulls.r2_rows(y[te], np.full((120, 3), 0.4))
    assert np.isnan(r2).sum() == 1  # the split (0, 1, 2) only
    assert np.isfinite(nulls.defined_max(r2))


def test_null_a_permutes_the_used_table_only():
    """(a) compares the used table's LOSO R² with permutations of that table: a member far from it in
    the ensemble must not change p (a); (b) and (c) draw from the members."""
    rng = np.random.default_rng(5)
    X, y = rng.uniform(size=(8, 4)), rng.lognormal(size=8)
    perms = nulls.permutations(8, 9, 1)
    t2 = (np.arange(5), np.arange(5, 8))
    common = (perms, perms[:3], t2, 0.9, _linear_protocol, y, 50, 0.9, 0)
    a = nulls.validate_model(X, y, np.stack([y, y]), *common)
    b = nulls.validate_model(X, y, np.stack([y, 100 * y[::-1]]), *common)
    assert np.array_equal(a["null_a"], b["null_a"]) and a["p_a"] == b["p_a"]
    assert not np.array_equal(a["null_b"], b["null_b"], equal_nan=True)


def _linear_protocol(X, Y, train, test):
    """A cheap deterministic protocol (least squares on the first band) to test the null machinery."""
    out = np.empty((len(Y), len(train), test.shape[1]))
    for b, y in enumerate(Y):
        for s, (tr, te) in enumerate(zip(train, test)):
            A = np.column_stack([np.ones(len(tr)), X[tr, 0]])
            coef = np.linalg.lstsq(A, y[tr], rcond=None)[0]
            out[b, s] = coef[0] + coef[1] * X[te, 0]
    return out


def _nested_p(X, y, B, seed, protocol=_linear_protocol):
    tr, te = nulls.loso_splits(len(y))
    obs = float(nulls.r2_rows(y, protocol(X, y[None], tr, te)[0, :, 0]))
    Y = nulls.null_responses(y[None], nulls.permutations(len(y), B, seed))
    null = nulls.r2_rows(Y, protocol(X, Y, tr, te)[:, :, 0])
    return nulls.perm_p(null, obs), null, obs


def test_pvalues_uniform_under_simulated_null():
    """No signal: 300 data sets, B = 19 -> p on {1/20, ..., 1}, each value with probability 1/20 (exact
    for exchangeable data). Chi-square over the 20 values; it fails if the +1 (or the B + 1) were wrong."""
    rng = np.random.default_rng(11)
    ps = [_nested_p(rng.uniform(size=(8, 4)), rng.lognormal(size=8), 19, k)[0] for k in range(300)]
    counts = np.bincount(np.rint(np.array(ps) * 20).astype(int) - 1, minlength=20)
    assert stats.chisquare(counts).pvalue > 0.001
    assert abs(np.mean(np.array(ps) <= 0.05) - 0.05) < 0.04


def test_power_under_planted_signal():
    """y = 2 x1 + noise with population R² 0.8, n = 10, B = 19: the nested null rejects most of the time
    (power measured 0.9-1.0 here with the linear protocol)."""
    rng = np.random.default_rng(12)
    hits = []
    for k in range(60):
        X = rng.uniform(size=(10, 4))
        y = 2 * X[:, 0] + rng.normal(0, np.sqrt(4 / 12 * 0.25), 10)  # var(2 x1) = 1/3; R² = 0.8
        hits.append(_nested_p(X, y, 19, k)[0] <= 0.05)
    assert np.mean(hits) >= 0.8


def test_minp_controls_familywise_error():
    """10 null tests sharing permutations of 8 sites: P(any adjusted p <= 0.05) <= 0.05 + MC error,
    while unadjusted testing rejects far more often."""
    rng = np.random.default_rng(13)
    any_adj, any_raw = [], []
    B = 39
    for k in range(150):
        # the stage's design: two media with different sites, five tests each, permuted independently
        obs, null, p_obs = [], [], []
        for n, seed in ((8, 2 * k), (7, 2 * k + 1)):
            X = rng.uniform(size=(n, 4))
            perms = nulls.permutations(n, B, seed)
            tr, te = nulls.loso_splits(n)
            for y in rng.lognormal(size=(5, n)):
                obs.append(float(nulls.r2_rows(y, _linear_protocol(X, y[None], tr, te)[0, :, 0])))
                Y = nulls.null_responses(y[None], perms)
                null.append(nulls.r2_rows(Y, _linear_protocol(X, Y, tr, te)[:, :, 0]))
                p_obs.append(nulls.perm_p(null[-1], obs[-1]))
        adj = nulls.minp_adjust(obs, np.column_stack(null))
        assert np.all(adj >= np.array(p_obs) - 1e-12)  # never below the unadjusted p
        assert np.all(adj <= np.minimum(1, 10 * np.array(p_obs)) + 1e-12)  # never above Bonferroni
        any_adj.append(np.min(adj) <= 0.05)
        any_raw.append(np.min(p_obs) <= 0.05)
    assert np.mean(any_adj) <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / 150)
    assert np.mean(any_raw) > 0.2
    # not trivially 1: with B = 999 a test beyond every null value is rejected after adjustment (at B = 39
    # and 10 tests it cannot be: a null row that is the largest of any column has q = 1/40)
    adj = nulls.minp_adjust([10.0] + [0.0] * 9, rng.normal(size=(999, 10)))
    assert adj[0] <= 10 / 1000 and adj[1] > 0.2


def test_split_selection_inflates_chance():
    """The paper's question in miniature: with no signal, the best of all 7/3 splits reaches a high
    hold-out R² far more often than one pre-specified split (the reason for null (c))."""
    rng = np.random.default_rng(14)
    tr, te = nulls.holdout_splits(10, 3)
    one, best = [], []
    for _ in range(60):
        X, y = rng.uniform(size=(10, 4)), rng.lognormal(size=10)
        r2 = nulls.r2_rows(y[te], _linear_protocol(X, y[None], tr, te)[0])
        one.append(r2[0])
        best.append(nulls.defined_max(r2))
    # measured: 0.23 for the best of 120 splits, 0.0 for the first split (linear protocol, 60 data sets)
    assert np.mean(np.array(best) >= 0.741) > 0.15 > 0.05 >= np.mean(np.array(one) >= 0.741)


def test_bootstrap_r2_coverage_on_synthetic_truth():
    """Fixed predictions f(x) of y = f(x) + e: the population R² is 1 - var(e)/var(y) (here 0.5).
    90 % pairs-bootstrap intervals at n = 200 cover it in 0.84-0.96 of 200 data sets."""
    rng = np.random.default_rng(15)
    cover = []
    for k in range(200):
        f = rng.normal(size=200)
        y = f + rng.normal(size=200)  # var(y) = 2, E(y - f)² = 1 -> R² = 1 - 1/2
        lo, hi = nulls.bootstrap_r2(y, {"f": f}, 500, k, 0.9)["f"]
        cover.append(lo <= 0.5 <= hi)
    assert 0.84 <= np.mean(cover) <= 0.96


def test_run_batched_same_bytes_any_chunk():
    rng = np.random.default_rng(16)
    X, Y = rng.uniform(size=(7, 4)), rng.normal(size=(10, 7))
    tr, te = nulls.loso_splits(7)
    a = nulls.run_batched(_linear_protocol, X, Y, tr, te, chunk=3)
    b = nulls.run_batched(_linear_protocol, X, Y, tr, te, chunk=64)
    assert a.tobytes() == _linear_protocol(X, Y, tr, te).tobytes() == b.tobytes()


TINY_GRID = {"n_estimators": [5, 10], "max_depth": [10], "min_samples_leaf": [1, 2]}


def test_forest_protocol_pvalues_uniform_under_null():
    """The real protocol (tinyforest, a tiny grid): nested LOSO p-values under no signal, 200 data sets,
    B = 19: uniform on {1/20, ..., 1} (chi-square) and KS against the continuous uniform."""
    proto = nulls.fast_protocol(TINY_GRID, 0)
    rng = np.random.default_rng(21)
    ps = np.array([_nested_p(rng.uniform(size=(8, 4)), rng.lognormal(size=8), 19, k, proto)[0] for k in range(200)])
    counts = np.bincount(np.rint(ps * 20).astype(int) - 1, minlength=20)
    assert stats.chisquare(counts).pvalue > 0.001
    # randomised p (uniform within its step) is exactly U(0, 1) under the null
    u = ps - rng.uniform(0, 1 / 20, len(ps))
    assert stats.kstest(u, "uniform").pvalue > 0.001


def test_forest_protocol_power_under_planted_signal():
    """y = 2 x1 + noise, population R² 0.8, n = 10, B = 19: the nested-LOSO permutation test of the RF
    protocol rejects at 0.05 in most data sets: measured 0.70 (28 of 40; the README reports it), median
    nested LOSO R² 0.41."""
    proto = nulls.fast_protocol(TINY_GRID, 0)
    rng = np.random.default_rng(22)
    hits, r2 = [], []
    for k in range(40):
        X = rng.uniform(size=(10, 4))
        y = 5 + 2 * X[:, 0] + rng.normal(0, np.sqrt(1 / 12), 10)
        p, _, obs = _nested_p(X, y, 19, k, proto)
        hits.append(p <= 0.05)
        r2.append(obs)
    assert np.mean(hits) >= 0.6
    assert 0.2 < np.median(r2) < 0.9  # below the population 0.8: 9 training sites, a forest of 5-10 trees


def test_nonnested_loso_is_optimistic_nested_is_not():
    """No signal, n = 10. Non-nested: the configuration is tuned by LOO on all 10 sites and LOSO then
    reuses it (the stage-061 'non-nested' reading); nested: the protocol inside every fold. Over 40
    data sets the non-nested R² is higher (paired), and the nested R² sits where the null puts it
    (its permutation p-values are not small). Measured: mean R² -0.40 non-nested, -0.62 nested;
    P(nested p <= 0.05) = 0.025."""
    from tarimhm.rf.inversion import dedup_search
    from tarimhm.rf.validation import loso

    proto = nulls.fast_protocol(TINY_GRID, 0)
    rng = np.random.default_rng(23)
    diff, ps = [], []
    for k in range(40):
        X, y = rng.uniform(size=(10, 4)), rng.lognormal(size=10)
        best = dedup_search(X, y, TINY_GRID, 0)["best_params"]
        non = loso(X, y, best, 0)["R2"]
        p, _, nested = _nested_p(X, y, 19, k, proto)
        diff.append(non - nested)
        ps.append(p)
    assert stats.ttest_1samp(diff, 0, alternative="greater").pvalue < 0.01
    assert np.mean(np.array(ps) <= 0.05) <= 0.15


def test_run_batched_on_dask_same_bytes():
    """With a dask.distributed scheduler the chunks run on workers and are joined in order: same bytes."""
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(24)
    X, Y = rng.uniform(size=(7, 4)), rng.normal(size=(10, 7))
    tr, te = nulls.loso_splits(7)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        a = nulls.run_batched(_linear_protocol, X, Y, tr, te, chunk=3, scheduler=c.scheduler_address)
    assert a.tobytes() == _linear_protocol(X, Y, tr, te).tobytes()
