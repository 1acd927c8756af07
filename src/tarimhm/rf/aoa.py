"""Dissimilarity index (DI) and area of applicability (AOA), after Meyer & Pebesma (2021),
Methods Ecol. Evol. 12:1620, doi:10.1111/2041-210X.13650, as implemented in R CAST
(``trainDI`` / ``aoa``). No maintained Python implementation exists, hence this module.

1. Predictors are standardised with the training mean and SD, then multiplied by the model's
   variable importance (here: permutation importance, negative values set to 0).
2. d̄ = mean Euclidean distance between all pairs of training points.
3. Training DI of point i = distance to the nearest training point *outside i's CV fold* / d̄
   (with leave-one-out folds: the nearest other point).
4. Threshold = Q75 + 1.5·IQR of the training DI (numpy's default linear quantiles), capped at the
   largest training DI. (CAST takes the upper boxplot whisker, the largest training DI not above
   Q75 + 1.5·IQR; the two coincide unless an outlier exceeds the fence.)
5. DI of a new point = distance to the nearest training point / d̄; AOA = DI <= threshold.
With ~10 training sites the threshold is unstable; :func:`bootstrap_threshold` reports its spread.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist, pdist

__all__ = ["TrainDI", "train_di", "di", "aoa", "bootstrap_threshold"]


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
