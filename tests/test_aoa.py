"""DI / AOA against hand-computed values on a 2-D toy set, the CAST threshold rule, the out-of-sample
(leave-one-out permutation) importance of the weights, and models without an AOA."""

from __future__ import annotations

import numpy as np
import pytest

from tarimhm.rf.aoa import (
    NO_AOA_NOTE,
    aoa,
    aoa_weights,
    bootstrap_threshold,
    di,
    loo_permutation_importance,
    train_di,
)
from tarimhm.rf.intervals import loo_fits


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


class _Shift:
    """LOO 'model' mu(x) = x_0 + b (ignores every other predictor)."""

    def __init__(self, b=0.0):
        self.b = b

    def predict(self, X):
        return np.asarray(X, float)[:, 0] + self.b


def test_loo_importance_by_hand():
    """3 sites, x_0 = y = (1, 2, 4), x_1 constant; every LOO model predicts x_0. A permutation pi of x_0
    gives errors x_pi(i) - x_i: identity 0; swaps (1,2) -> (1,1,0), MSE 2/3; (1,4) -> (3,0,3), 6;
    (2,4) -> (0,2,2), 8/3; both 3-cycles -> |errors| (1,2,3), 14/3. Baseline MSE 0, so each repeat's
    importance is one of {0, 2/3, 8/3, 6, 14/3} and their mean over uniform permutations is
    (0 + 2/3 + 6 + 8/3 + 2 x 14/3) / 6 = 28/9. Permuting the constant x_1 changes nothing: exactly 0."""
    X = np.array([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    y = X[:, 0].copy()
    r = loo_permutation_importance([_Shift(), _Shift(), _Shift()], X, y, n_repeats=600, seed=3)
    allowed = np.array([0, 2 / 3, 8 / 3, 6, 14 / 3])
    assert np.all(np.min(np.abs(r.importances[0][:, None] - allowed[None, :]), axis=1) < 1e-12)
    assert set(np.round(r.importances[0], 9)) == set(np.round(allowed, 9))  # every kind of permutation occurs
    assert abs(r.importances_mean[0] - 28 / 9) < 0.4  # 600 repeats: standard error ~0.09
    np.testing.assert_array_equal(r.importances[1], 0.0)
    w, defined, note = aoa_weights(r.importances_mean)
    assert defined and note == "" and w[1] == 0 and w[0] == r.importances_mean[0]


def test_loo_predictor_is_out_of_sample():
    """Row i is predicted by models[i] (here mu_-i = x_0 + b_i), looked up or computed on the spot."""
    from tarimhm.rf.aoa import _LeaveOneOutPredictor

    X = np.array([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    p = _LeaveOneOutPredictor([_Shift(0.5), _Shift(0.0), _Shift(-1.0)], X)
    np.testing.assert_array_equal(p.predict(X), [1.5, 2.0, 3.0])
    Xp = X.copy()
    Xp[:, 0] = [4.0, 1.0, 2.0]  # a permuted column: in the table
    np.testing.assert_array_equal(p.predict(Xp), [4.5, 1.0, 1.0])
    Xq = X + 0.25  # rows that are not: predicted on the spot
    np.testing.assert_array_equal(p.predict(Xq), [1.75, 2.25, 3.25])
    with pytest.raises(ValueError, match="predicts its 3 training rows"):
        p.predict(X[:2])


def test_stump_forests_have_no_aoa():
    """min_samples_leaf too large to split: every LOO forest is a constant, no permutation changes a
    prediction, every out-of-sample importance is 0 -> no AOA (not an unweighted DI)."""
    rng = np.random.default_rng(4)
    X, y = rng.uniform(size=(7, 4)), rng.lognormal(size=7)
    models, _ = loo_fits(X, y, {"rf__n_estimators": 10, "rf__min_samples_leaf": 4}, 0)
    r = loo_permutation_importance(models, X, y, n_repeats=5, seed=0)
    np.testing.assert_array_equal(r.importances_mean, 0.0)
    w, defined, note = aoa_weights(r.importances_mean)
    assert not defined and note == NO_AOA_NOTE and not w.any()
    with pytest.raises(ValueError, match="coincide"):  # the DI itself is 0/0
        train_di(X, w)


def test_informative_predictor_gets_weight():
    """y = 10 x_0: out of sample only x_0 matters (in-sample importance also rewards memorising noise)."""
    rng = np.random.default_rng(6)
    X = rng.uniform(size=(9, 4))
    y = 1 + 10 * X[:, 0]
    models, _ = loo_fits(X, y, {"rf__n_estimators": 30, "rf__min_samples_leaf": 1}, 0)
    r = loo_permutation_importance(models, X, y, n_repeats=10, seed=0)
    w, defined, _ = aoa_weights(r.importances_mean)
    assert defined and np.argmax(w) == 0 and w[0] > 5 * max(w[1:].max(), 1e-12)
