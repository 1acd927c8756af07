"""Dissimilarity index (DI) and area of applicability (AOA), after Meyer & Pebesma (2021),
Methods Ecol. Evol. 12:1620, doi:10.1111/2041-210X.13650, as implemented in R CAST
(``trainDI`` / ``aoa``). No maintained Python implementation exists, hence this module.

1. Predictors are standardised with the training mean and SD, then multiplied by the model's
   variable importance, negative values set to 0 (as CAST's ``aoa_get_weights``). The importance is
   *out of sample*: :func:`loo_permutation_importance`, scikit-learn's ``permutation_importance``
   (mean-squared-error increase, seeded repeats) of the leave-one-out predictor, which predicts
   training site i with the forest fitted without it (the jackknife+ forests). CAST takes caret's
   ``varImp`` of the model (for a forest trained with permutation importance, as the CAST tutorials
   do, the permutation importance on the out-of-bag samples); with 6-7 sites a tree's out-of-bag set
   is 2-3 sites, so the leave-one-out version is used here. (The in-sample
   permutation importance of Fig. 4 rewards a forest for memorising its training sites.)
2. A model none of whose predictors is informative out of sample (every importance <= 0, e.g. a
   forest of stumps) has **no AOA** (:func:`aoa_weights` says so): with all weights 0 every point
   coincides with every other in weighted predictor space and the DI is 0/0. (CAST would weight by
   zeros; an unweighted DI would measure distance in predictors the model does not use.)
3. d̄ = mean Euclidean distance between all pairs of training points.
4. Training DI of point i = distance to the nearest training point *outside i's CV fold* / d̄
   (with leave-one-out folds: the nearest other point).
5. Threshold = Q75 + 1.5·IQR of the training DI (numpy's default linear quantiles = R's type 7),
   capped at the largest training DI. This is CAST's rule since version 0.9.0 (NEWS: "fix issue #65
   (threshold)"; ``R/trainDI.R``: ``thres <- quantile(TrainDI, 0.75) + 1.5 * IQR(TrainDI)``, then
   ``if (thres > max(TrainDI)) thres <- max(TrainDI)``; unchanged in CAST 1.1.0; verified in CAST's
   source). CAST 0.7.1 introduced the uncapped fence; CAST <= 0.7.0 took the upper boxplot whisker
   (``boxplot.stats(TrainDI)$stats[5]``, the largest training DI not above the fence).
6. DI of a new point = distance to the nearest training point / d̄; AOA = DI <= threshold.
With ~10 training sites the threshold is unstable; :func:`bootstrap_threshold` reports its spread.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist, pdist
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.inspection import permutation_importance

__all__ = [
    "TrainDI",
    "train_di",
    "di",
    "aoa",
    "bootstrap_threshold",
    "loo_permutation_importance",
    "aoa_weights",
    "WEIGHTS_SOURCE",
    "NO_AOA_NOTE",
]

WEIGHTS_SOURCE = (
    "out-of-sample permutation importance: sklearn permutation_importance (neg MSE) of the leave-one-out "
    "predictor (site i predicted by the forest fitted without it), negative values set to 0"
)
NO_AOA_NOTE = "no AOA: no informative predictor (every out-of-sample permutation importance <= 0)"


class _LeaveOneOutPredictor(RegressorMixin, BaseEstimator):
    """Predicts row i of the training matrix with ``models[i]``, the model fitted without training
    point i: the estimator scikit-learn's ``permutation_importance`` scores, which keeps row order and
    replaces one column at a time by a permutation of itself. The predictions of every row that can
    occur (row i with one column taken from any row) are made up front, one batch per model, and
    looked up; any other row is predicted on the spot. Same values as predicting row by row."""

    def __init__(self, models, X):
        self.models = models
        self.X = X

    def fit(self, X=None, y=None):  # the models are fitted already
        return self

    def _table(self) -> list[dict]:
        if getattr(self, "table_", None) is None:
            X = np.asarray(self.X, float)
            n, p = X.shape
            self.table_ = []
            for i, model in enumerate(self.models):
                rows = np.repeat(X[i : i + 1], n * p + 1, axis=0)
                for j in range(p):
                    rows[1 + j * n : 1 + (j + 1) * n, j] = X[:, j]
                pred = model.predict(rows)
                self.table_.append({r.tobytes(): v for r, v in zip(rows, pred)})
        return self.table_

    def predict(self, X):
        X = np.asarray(X, float)
        if len(X) != len(self.models):
            raise ValueError(f"the leave-one-out predictor predicts its {len(self.models)} training rows, got {len(X)}")
        table = self._table()
        out = np.empty(len(X))
        for i, row in enumerate(X):
            v = table[i].get(row.tobytes())
            out[i] = self.models[i].predict(row[None, :])[0] if v is None else v
        return out


def loo_permutation_importance(models, X, y, n_repeats: int, seed: int):
    r"""Out-of-sample permutation importance of each predictor (unit of y, squared):

    .. math:: I_j = \frac{1}{R} \sum_{r=1}^{R} \Big[\frac{1}{n} \sum_i (y_i - \mu_{-i}(x_i^{\pi_r, j}))^2\Big]
                    - \frac{1}{n} \sum_i (y_i - \mu_{-i}(x_i))^2

    with x_i^{pi, j} = x_i with predictor j replaced by that of site pi(i), mu_-i the model fitted
    without site i (``models[i]``, e.g. :func:`tarimhm.rf.intervals.loo_fits`) and R = ``n_repeats``
    seeded permutations (scikit-learn's ``permutation_importance`` on the leave-one-out predictor).
    Returns scikit-learn's Bunch (``importances_mean``, ``importances_std``, ``importances``)."""
    X, y = np.asarray(X, float), np.asarray(y, float)
    if len(models) != len(X):
        raise ValueError(f"one leave-one-out model per training point: {len(models)} models, {len(X)} points")
    return permutation_importance(
        _LeaveOneOutPredictor(list(models), X),
        X,
        y,
        n_repeats=n_repeats,
        random_state=seed,
        scoring="neg_mean_squared_error",
    )


def aoa_weights(importance) -> tuple[np.ndarray, bool, str]:
    """(weights, aoa_defined, note): importances with negative values set to 0; the AOA is defined
    only when at least one weight is positive (else ``NO_AOA_NOTE``)."""
    w = np.clip(np.asarray(importance, float), 0, None)
    defined = bool(np.any(w > 0))
    return w, defined, "" if defined else NO_AOA_NOTE


class TrainDI:
    def __init__(self, mean, sd, weights, train_scaled, d_bar, train_di, threshold):
        self.mean, self.sd, self.weights = mean, sd, weights
        self.train_scaled, self.d_bar, self.train_di, self.threshold = train_scaled, d_bar, train_di, threshold

    def scale(self, X):
        return (np.asarray(X, float) - self.mean) / self.sd * self.weights


def _threshold(tdi: np.ndarray) -> float:
    q25, q75 = np.quantile(tdi, [0.25, 0.75])
    return float(min(q75 + 1.5 * (q75 - q25), tdi.max()))


def train_di(X, weights, folds=None) -> TrainDI:
    """Training DI and threshold. ``folds``: fold id per training point (default: leave-one-out)."""
    X = np.asarray(X, float)
    n = len(X)
    if n < 3:
        raise ValueError("train_di needs at least 3 training points")
    mean, sd = X.mean(axis=0), X.std(axis=0, ddof=1)
    sd = np.where(sd > 0, sd, 1.0)
    w = np.clip(np.asarray(weights, float), 0, None)
    Z = (X - mean) / sd * w
    d_bar = float(pdist(Z).mean())
    if d_bar == 0:
        raise ValueError("all training points coincide in weighted predictor space; DI is undefined")
    D = cdist(Z, Z)
    folds = np.arange(n) if folds is None else np.asarray(folds)
    D[folds[:, None] == folds[None, :]] = np.inf
    tdi = D.min(axis=1) / d_bar
    return TrainDI(mean, sd, w, Z, d_bar, tdi, _threshold(tdi))


def di(model: TrainDI, X) -> np.ndarray:
    """DI of new points."""
    return cdist(model.scale(X), model.train_scaled).min(axis=1) / model.d_bar


def aoa(model: TrainDI, X) -> tuple[np.ndarray, np.ndarray]:
    d = di(model, X)
    return d, d <= model.threshold


def bootstrap_threshold(X, weights, n_boot: int, seed: int) -> np.ndarray:
    """Thresholds from training sets resampled with replacement (duplicates dropped)."""
    rng = np.random.default_rng(seed)
    X = np.asarray(X, float)
    out = []
    for _ in range(n_boot):
        idx = np.unique(rng.integers(0, len(X), len(X)))
        if len(idx) >= 3:
            try:
                out.append(train_di(X[idx], weights).threshold)
            except ValueError:
                continue
    return np.asarray(out)
