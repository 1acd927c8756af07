"""Jackknife+: exact ranks, levels n can support, refusal beyond them, the log scale (positive bounds),
coverage on simulated data, and MAPIE 1.6 as an independent reference."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from tarimhm.raster.compile import exact_level
from tarimhm.rf.intervals import (
    conformity_scores,
    guaranteed_coverage,
    jackknife_plus,
    jackknife_ranks,
    loo_fits,
    max_level,
)
from tarimhm.rf.inversion import make_pipeline

LEVELS = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]


def _fraction_ranks(n: int, level: str) -> tuple[int, int]:
    """Barber et al. (2021): floor(alpha (n + 1)) and ceil((1 - alpha)(n + 1)), alpha = 1 - level, in fractions."""
    alpha = 1 - Fraction(level)
    return math.floor(alpha * (n + 1)), math.ceil((1 - alpha) * (n + 1))


class _Const:
    """A 'model' predicting one constant: the jackknife+ bounds are then order statistics of the constants."""

    def __init__(self, c):
        self.c = c

    def predict(self, X):
        return np.full(len(X), self.c)


@pytest.mark.parametrize("level", LEVELS)
def test_ranks_exact(level):
    """Both places that use the ranks (the shared function, and jackknife_plus through it) against
    fractions for n = 2..40. The float rule 1 - 0.8 = 0.19999999999999996 put k_lo one too low at
    n = 4, 9, 14, ... (80 %) and n = 9, 19, ... (90 %); this test failed there before the fix."""
    for n in range(2, 41):
        want = _fraction_ranks(n, str(level))
        assert jackknife_ranks(n, level) == want, (n, level)
        assert jackknife_ranks(n, str(level)) == want and jackknife_ranks(n, Fraction(str(level))) == want
        k_lo, k_hi = want
        X, y = np.zeros((n, 1)), np.ones(n)
        fits = ([_Const(10.0 + i) for i in range(n)], y)  # LOO predictions = y: residuals 0
        if k_lo < 1 or k_hi > n:
            with pytest.raises(ValueError, match="infinite"):
                jackknife_plus(X, y, X[:1], {}, 0, level, fits=fits)
            continue
        for scale in ("log", "absolute"):
            lo, hi = jackknife_plus(X, y, X[:1], {}, 0, level, fits=fits, scale=scale)
            assert (lo[0], hi[0]) == (10.0 + k_lo - 1, 10.0 + k_hi - 1), (n, level, scale)


def test_exact_level_reads_what_users_write():
    assert exact_level(0.8) == Fraction(4, 5) and exact_level(0.875) == Fraction(7, 8)
    assert exact_level(0.9) == Fraction(9, 10) and exact_level("0.95") == Fraction(19, 20)
    assert exact_level(0.123456) == Fraction(123456, 10**6)
    assert exact_level(0.1234567) == Fraction("0.1234567")  # beyond 10^6: its shortest decimal
    for n in range(1, 300):  # the largest finite level is finite when read back (5/6 = 0.8333333333333334)
        k_lo, k_hi = jackknife_ranks(n, max_level(n))
        assert k_lo == 1 and k_hi == n, n
    for bad in (0, 1, 1.5, float("nan"), "-0.1"):
        with pytest.raises(ValueError, match="level must be"):
            exact_level(bad)


def test_levels_by_hand():
    assert max_level(7) == pytest.approx(0.875)  # 7/8
    assert guaranteed_coverage(0.875) == 0.75
    assert max_level(19) == pytest.approx(0.95)
    assert guaranteed_coverage(0.8) == 0.6  # exact: 1 - 2 x 1/5


def test_refuses_unsupported_level():
    X, y = np.random.default_rng(0).uniform(size=(7, 4)), np.arange(1.0, 8.0)
    with pytest.raises(
        ValueError,
        match=r"95 % jackknife\+ interval is infinite with n = 7; the largest finite level "
        r"is 87.5 % \(guaranteed coverage 75 %\)",
    ):
        jackknife_plus(X, y, X[:1], {"rf__n_estimators": 5}, 0, 0.95)


def test_refuses_nonpositive_concentrations():
    X, y = np.random.default_rng(0).uniform(size=(7, 4)), np.arange(7.0)  # y[0] = 0
    with pytest.raises(ValueError, match=r"positive concentrations y; concentrations y \[0\] is 0"):
        jackknife_plus(X, y, X[:1], {"rf__n_estimators": 5}, 0, 0.8)
    with pytest.raises(ValueError, match="positive LOO predictions"):
        conformity_scores([1.0, 2.0], [1.0, -0.5])
    with pytest.raises(ValueError, match="scale must be one of"):
        conformity_scores([1.0], [1.0], scale="relative")
    np.testing.assert_allclose(conformity_scores([1.0, np.e], [np.e, 1.0]), [1.0, 1.0])  # |ln y - ln mu|


def _skewed(rng, n):
    X = rng.uniform(size=(n, 4))
    return X, np.exp(1.5 * X[:, 0] + rng.normal(0, 0.8, n))


def test_log_scale_bounds_positive_where_absolute_ones_are_negative():
    """Lognormal concentrations: the raw-scale jackknife+ (symmetric absolute residuals) gives negative
    lower bounds; on ln C every bound is positive and the intervals are multiplicative around mu."""
    rng = np.random.default_rng(3)
    bp = {"rf__n_estimators": 20, "rf__min_samples_leaf": 1}
    X, y = _skewed(rng, 30)
    fits = loo_fits(X[:9], y[:9], bp, 0)
    lo_a, hi_a = jackknife_plus(X[:9], y[:9], X[9:], bp, 0, 0.8, fits=fits, scale="absolute")
    lo, hi = jackknife_plus(X[:9], y[:9], X[9:], bp, 0, 0.8, fits=fits)
    assert (lo_a < 0).any()  # the case the log scale is for
    assert (lo > 0).all() and (hi > lo).all() and np.isfinite(hi).all()


def test_coverage_meets_guarantee_log_scale():
    """Simulated lognormal C = exp(1.5 x1 + N(0, 0.8)), n = 9 (a rank boundary at 80 %: k_lo = 2),
    nominal 80 % (guarantee 60 %): empirical coverage over 50 data sets x 10 test points must not fall
    below the guarantee (it is typically near the nominal level); every bound is positive."""
    rng = np.random.default_rng(5)
    hits, lows = [], []
    for rep in range(50):
        X, y = _skewed(rng, 19)
        lo, hi = jackknife_plus(X[:9], y[:9], X[9:], {"rf__n_estimators": 15, "rf__min_samples_leaf": 1}, rep, 0.8)
        hits.append((y[9:] >= lo) & (y[9:] <= hi))
        lows.append(lo)
    cov = np.mean(hits)
    assert cov >= 0.6
    assert cov <= 0.99  # not trivially infinite
    assert (np.asarray(lows) > 0).all()


def test_coverage_meets_guarantee_absolute_scale():
    """The raw-scale jackknife+ (scale="absolute") on y = 3 x1 + noise, n = 11, 80 %: guarantee 60 %."""
    rng = np.random.default_rng(5)
    hits = []
    for rep in range(40):
        X = rng.uniform(size=(21, 4))
        y = 3 * X[:, 0] + rng.normal(0, 0.3, 21)
        lo, hi = jackknife_plus(
            X[:11], y[:11], X[11:], {"rf__n_estimators": 15, "rf__min_samples_leaf": 1}, rep, 0.8, scale="absolute"
        )
        hits.append((y[11:] >= lo) & (y[11:] <= hi))
    cov = np.mean(hits)
    assert 0.6 <= cov <= 0.99


# ---- MAPIE 1.6 as the independent reference --------------------------------------------------------------
# CrossConformalRegressor(method="plus", cv=LeaveOneOut()) is the jackknife+ of Barber et al. MAPIE reads
# alpha = 1 - level through Decimal(str(level)) and takes the upper bound as numpy's quantile
# (method="lower") at ceil((1 - alpha)(n + 1)) / n, the lower one as the same quantile of the negated
# values: the k_hi-th smallest and the (n + 1 - k_hi)-th = floor(alpha (n + 1))-th smallest, as here.
# One convention differs: without allow_infinite_bounds MAPIE refuses n < 1/alpha (e.g. n = 4 at 80 %),
# one sample size more than the finiteness condition n >= 1/alpha - 1 of the ranks.


def _mapie(estimator, X, y, X_new, levels, score="absolute", allow_infinite_bounds=False):
    from mapie.regression import CrossConformalRegressor
    from sklearn.model_selection import LeaveOneOut

    m = CrossConformalRegressor(
        estimator=estimator, confidence_level=levels, conformity_score=score, method="plus", cv=LeaveOneOut()
    )
    m.fit_conformalize(X, y)
    _, iv = m.predict_interval(X_new, allow_infinite_bounds=allow_infinite_bounds)
    return iv  # (n_new, 2, n_levels)


def _log_score():
    """MAPIE conformity score of the log scale: signed score ln y - ln y_pred, y = y_pred exp(score)."""
    from mapie.conformity_scores import BaseRegressionScore

    class LogAbsoluteScore(BaseRegressionScore):
        def __init__(self):
            super().__init__(sym=True, consistency_check=True)

        def get_signed_conformity_scores(self, y, y_pred, **kwargs):
            return np.log(np.asarray(y, float)) - np.log(np.asarray(y_pred, float))

        def get_estimation_distribution(self, y_pred, conformity_scores, **kwargs):
            return np.multiply(y_pred, np.exp(conformity_scores))

    return LogAbsoluteScore()


@pytest.mark.parametrize("n", range(5, 13))
def test_equals_mapie_cross_conformal_plus(n):
    """Same fixed-seed forest pipeline (MAPIE clones it and fits it on the same LOO folds): bounds equal
    bit for bit on the absolute scale and on ln C (MAPIE with a log conformity score), at 80 % and, from
    n = 10, 90 % (n = 9 at 80 % is a rank boundary: k_lo = 2, where the float rule took 1)."""
    pytest.importorskip("mapie")
    rng = np.random.default_rng(100 + n)
    X, y = _skewed(rng, n + 15)
    bp = {"rf__n_estimators": 12, "rf__min_samples_leaf": 1}
    est = make_pipeline(7, n_estimators=12, min_samples_leaf=1)
    fits = loo_fits(X[:n], y[:n], bp, 7)
    levels = [lv for lv in (0.8, 0.9) if n >= 1 / (1 - lv) - 1e-9]  # MAPIE's sample-size check
    for scale, score in (("absolute", "absolute"), ("log", _log_score())):
        iv = _mapie(est, X[:n], y[:n], X[n:], levels, score)
        for j, lv in enumerate(levels):
            lo, hi = jackknife_plus(X[:n], y[:n], X[n:], bp, 7, lv, fits=fits, scale=scale)
            np.testing.assert_array_equal(lo, iv[:, 0, j], err_msg=f"{scale} lower, n={n}, level={lv}")
            np.testing.assert_array_equal(hi, iv[:, 1, j], err_msg=f"{scale} upper, n={n}, level={lv}")


@pytest.mark.parametrize("n,level,ranks", [(4, 0.8, (1, 4)), (9, 0.9, (1, 9))])
def test_mapie_refuses_one_sample_size_more(n, level, ranks):
    """n = 1/alpha - 1: the ranks are finite (the float rule made k_lo 0 and refused); MAPIE refuses
    (n < 1/alpha) unless allow_infinite_bounds=True, and then gives the same bounds."""
    pytest.importorskip("mapie")
    X, y = _skewed(np.random.default_rng(8), n + 10)
    bp = {"rf__n_estimators": 12, "rf__min_samples_leaf": 1}
    est = make_pipeline(7, n_estimators=12, min_samples_leaf=1)
    assert jackknife_ranks(n, level) == ranks
    lo, hi = jackknife_plus(X[:n], y[:n], X[n:], bp, 7, level, scale="absolute")
    with pytest.raises(ValueError, match="too low"):
        _mapie(est, X[:n], y[:n], X[n:], [level])
    iv = _mapie(est, X[:n], y[:n], X[n:], [level], allow_infinite_bounds=True)
    np.testing.assert_array_equal(lo, iv[:, 0, 0])
    np.testing.assert_array_equal(hi, iv[:, 1, 0])


def test_loo_file_says_its_scale(tmp_path):
    """The LOO npz's companion JSON says its residuals are on ln C; a LOO file without it (written
    before the intervals moved to ln C: absolute residuals) is refused with the make target."""
    from tarimhm._errors import MissingOutputError
    from tarimhm.rf.intervals import read_loo_meta, write_loo_meta

    p = tmp_path / "soil_As_loo.npz"
    p.write_bytes(b"")
    with pytest.raises(MissingOutputError, match=r"soil_As_loo.npz: residual_scale: missing .* run `make rf`"):
        read_loo_meta(p)
    write_loo_meta(p, 7)
    meta = read_loo_meta(p)
    assert meta["residual_scale"] == "log" and meta["n_loo"] == 7 and meta["format"] == "tarimhm-loo-2"
    (tmp_path / "soil_As_loo.json").write_text('{"residual_scale": "absolute"}')
    with pytest.raises(MissingOutputError, match="residual_scale: absolute"):
        read_loo_meta(p)
