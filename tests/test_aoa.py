"""DI / AOA against hand-computed values on a 2-D toy set, and the CAST threshold rule."""

from __future__ import annotations

import numpy as np
import pytest

from tarimhm.rf.aoa import aoa, bootstrap_threshold, di, train_di


def test_train_di_by_hand():
    # training points on a line x = 0, 1, 2, 4 (second feature constant); weights (1, 1)
    # mean 1.75, SD (n-1) = sqrt(((1.75)^2 + 0.75^2 + 0.25^2 + 2.25^2) / 3) = sqrt(8.75/3) = 1.7078251
    X = np.array([[0.0, 5], [1, 5], [2, 5], [4, 5]])
    m = train_di(X, [1.0, 1.0])
    s = np.sqrt(8.75 / 3)
    # pairwise |dx| = 1, 2, 4, 1, 3, 2 -> mean 13/6, scaled by 1/s
    assert m.d_bar == pytest.approx(13 / 6 / s)
    # nearest other point: 1, 1, 1, 2 -> DI = (1, 1, 1, 2) / (13/6) = (6/13, 6/13, 6/13, 12/13)
    np.testing.assert_allclose(m.train_di, [6 / 13, 6 / 13, 6 / 13, 12 / 13])
    # threshold: Q25 = 6/13, Q75 = 6/13 + 0.25 * 6/13 = 7.5/13 (linear), IQR = 1.5/13,
    # fence = 7.5/13 + 2.25/13 = 9.75/13 < max 12/13 -> threshold 9.75/13
    assert m.threshold == pytest.approx(9.75 / 13)
    # new point x = 3: nearest training distance 1 -> DI 6/13 (inside); x = 6: 2 -> 12/13 (outside)
    d, inside = aoa(m, [[3.0, 5], [6.0, 5]])
    np.testing.assert_allclose(d, [6 / 13, 12 / 13])
    assert inside.tolist() == [True, False]


def test_weights_and_folds():
    X = np.array([[0.0, 0], [0, 1], [3, 0], [3, 1]])
    # zero weight on feature 2: points 0/1 and 2/3 coincide -> training DI 0 with LOO folds
    m = train_di(X, [1.0, 0.0])
    np.testing.assert_allclose(m.train_di, 0.0)
    # folds {0,1} and {2,3}: nearest point outside the fold is across the gap -> DI = 3/s / d_bar
    m2 = train_di(X, [1.0, 0.0], folds=[0, 0, 1, 1])
    assert np.all(m2.train_di > 1)
    assert np.allclose(di(m2, [[0.0, 9]]), 0.0)


def test_threshold_capped_at_max():
    # with an outlier the fence Q75 + 1.5 IQR is below the max -> threshold = fence;
    # with evenly spread DI the fence exceeds the max -> threshold = max training DI
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    m = train_di(X, [1.0])
    assert m.threshold == pytest.approx(m.train_di.max())


def test_bootstrap_spread():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 4))
    t = bootstrap_threshold(X, [1, 1, 1, 1], 50, seed=1)
    assert len(t) == 50 and t.std() > 0
    assert np.array_equal(t, bootstrap_threshold(X, [1, 1, 1, 1], 50, seed=1))  # same seed, same result


def test_degenerate_inputs():
    with pytest.raises(ValueError, match="at least 3"):
        train_di(np.zeros((2, 2)), [1, 1])
    with pytest.raises(ValueError, match="coincide"):
        train_di(np.ones((4, 2)), [1, 1])
