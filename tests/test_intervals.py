"""Jackknife+: levels n can support, refusal beyond them, and coverage on simulated data."""

from __future__ import annotations

import numpy as np
import pytest

from tarimhm.rf.intervals import guaranteed_coverage, jackknife_plus, max_level


def test_levels_by_hand():
    assert max_level(7) == pytest.approx(0.875)  # 7/8
    assert guaranteed_coverage(0.875) == pytest.approx(0.75)
    assert max_level(19) == pytest.approx(0.95)
    assert guaranteed_coverage(0.8) == pytest.approx(0.6)


def test_refuses_unsupported_level():
    X, y = np.random.default_rng(0).uniform(size=(7, 4)), np.arange(7.0)
    with pytest.raises(
        ValueError,
        match=r"95 % jackknife\+ interval is infinite with n = 7; the largest finite level "
        r"is 87.5 % \(guaranteed coverage 75 %\)",
    ):
        jackknife_plus(X, y, X[:1], {"rf__n_estimators": 5}, 0, 0.95)


def test_coverage_meets_guarantee():
    """Simulated y = 3 x1 + noise, n = 11, nominal 80 % (guarantee 60 %): empirical coverage over
    60 independent data sets x 10 test points must not fall below the guarantee (it is typically
    near the nominal level)."""
    rng = np.random.default_rng(5)
    hits = []
    for rep in range(60):
        X = rng.uniform(size=(21, 4))
        y = 3 * X[:, 0] + rng.normal(0, 0.3, 21)
        lo, hi = jackknife_plus(X[:11], y[:11], X[11:], {"rf__n_estimators": 15, "rf__min_samples_leaf": 1}, rep, 0.8)
        hits.append((y[11:] >= lo) & (y[11:] <= hi))
    cov = np.mean(hits)
    assert cov >= 0.6
    assert cov <= 0.99  # not trivially infinite
