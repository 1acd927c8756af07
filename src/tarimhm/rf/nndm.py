"""Nearest-neighbour distance matching (NNDM) leave-one-out cross-validation.

After Milà, Mateu, Pebesma & Meyer (2022), "Nearest neighbour distance matching Leave-One-Out
Cross-Validation for map validation", Methods Ecol. Evol. 13:1304–1316, doi:10.1111/2041-210X.13851,
ported from ``nndm()`` in the R package CAST (``R/nndm.R`` of github.com/HannaMeyer/CAST, version
1.1.0, commit 139849ddbb48287ac21ffd651312eca88f8f1a88; the file last changed in c0024fb, and the
algorithm block is unchanged since NNDM entered CAST in 4a0ab73, CAST 0.7.0). There is no maintained
Python implementation, hence this module.

Notation (CAST's): ``n`` training points, ``m`` prediction points.

* ``Gij`` — for every prediction point, the distance to its nearest training point; its ECDF is
  Ĝ_ij(r), the distribution the model meets when it maps.
* ``Gj`` — for every training point, the distance to its nearest *other* training point, i.e. the
  test-to-train nearest-neighbour distance of ordinary LOO CV; ECDF Ĝ_j(r).
* ``Gjstar`` — the same distance under the NNDM folds (nearest training point *kept* in fold j);
  ECDF Ĝ*_j(r).

The algorithm (CAST's loop, step by step; fold ``j`` starts with every training point but ``j``):

1. ``Gjstar = Gj``; ``r`` = the smallest value of ``Gjstar``, ``j`` = the first point attaining it,
   ``K`` = every training point still kept in fold ``j`` at distance exactly ``r`` from ``j``.
2. While ``r <= phi``:

   a. if ``(#{Gjstar <= r} - 1) / n >= #{Gij <= r} / m`` (removing j's neighbour would still leave
      Ĝ*_j(r) at or above Ĝ_ij(r)) *and* ``#kept(j) / n > min_train``: exclude ``K`` from fold ``j``,
      update ``Gjstar[j]`` and take the smallest ``Gjstar >= r`` as the new ``r`` (the same ``r`` may
      recur: distances are the same for the same pair);
   b. else, if no ``Gjstar`` exceeds ``r``: stop;
   c. else: move on to the smallest ``Gjstar > r``.

   Each time, ``j`` is the first (lowest-index) point with ``Gjstar == r``.
3. Fold ``j`` predicts point ``j`` from the points still kept in row ``j``.

Points whose nearest kept neighbour lies beyond ``phi`` are never touched: distances beyond the
range of autocorrelation count as equal. Where details could be read two ways, CAST is followed:

* the match test uses Ĝ*_j *after* the candidate removal (the ``- 1``), not before;
* ``min_train`` is checked *before* a removal, as ``#kept(j) / n > min_train`` with ``n`` counting
  the held-out point itself. A fold therefore keeps at least ``min(n - 1, floor(min_train * n))``
  training points (not ``ceil``): with ``n = 5`` and ``min_train = 0.5`` a fold can end with 2 points. Ties (several
  points at exactly distance ``r`` from ``j``) are removed together and may take a fold one step lower;
* only the *first* point at a radius ``r`` is tried (step 2's ``j``). If ``min_train`` stops it, the
  loop moves past ``r``, and any later point whose nearest kept neighbour is also at exactly ``r`` is
  skipped with it — typically ``j``'s mutual nearest neighbour, whose nearest kept point is ``j``
  itself. That partner is cut less than ``min_train`` would allow (with prediction points far beyond
  phi: 1–4 of 20 folds, or 7 of 40, one of them keeping 31 instead of 20 points; R's CAST agrees). The match test alone
  never does this, since it does not depend on ``j``. This looks like an accident of CAST's loop
  rather than the paper's intent, but it is what CAST returns, so it is kept;
* ``phi="max"`` means the largest of all training–training distances and prediction–training NN
  distances, plus 1e-9 (CAST's default).

The paper's Algorithm 1 text was not available to check these details against; the port follows
CAST's code, which reproduces the Gjstar values printed in CAST's ``tests/testthat/test-nndm.R``
(see ``tests/test_nndm.py``).

CAST computes the whole ``Gjstar`` vector again after every exclusion; only row ``j`` changes, so this
port recomputes that row alone (same result, O(n) instead of O(n²) per step). CAST in feature space
standardises both point sets with the training mean and SD first; here the caller decides the space
(:func:`standardise_features` does CAST's scaling). For lon/lat input see :func:`nndm_lonlat`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.spatial.distance import cdist, pdist, squareform
from scipy.stats import wasserstein_distance

__all__ = [
    "NNDMResult",
    "DistanceMatch",
    "nndm",
    "fold_masks",
    "distance_match",
    "standardise_features",
    "geodesic_distances",
    "lonlat_to_aeqd",
    "nndm_lonlat",
    "TARIM_CENTRE",
]

Metric = str | Callable[[np.ndarray, np.ndarray], np.ndarray]

#: Centre (lon, lat) of the Tarim River Basin study area (~75–95 °E, 35–43 °N), for :func:`lonlat_to_aeqd`.
TARIM_CENTRE = (85.0, 39.0)


@dataclass(frozen=True)
class NNDMResult:
    """NNDM LOO folds, as CAST's ``nndm`` object (indices 0-based).

    ``indx_train[j]``: training points used to predict point ``j``; ``indx_test[j]``: ``[j]``;
    ``indx_exclude[j]``: training points left out of fold ``j`` besides ``j`` itself.
    ``Gij`` (m,), ``Gj`` (n,), ``Gjstar`` (n,): nearest-neighbour distances (see the module docstring).
    ``phi``: the range used (resolved when ``"max"`` was asked); ``min_train``: as given.
    """

    indx_train: list[np.ndarray]
    indx_test: list[np.ndarray]
    indx_exclude: list[np.ndarray]
    Gij: np.ndarray
    Gj: np.ndarray
    Gjstar: np.ndarray
    phi: float
    min_train: float

    @property
    def n_train(self) -> int:
        return len(self.indx_train)

    @property
    def n_excluded(self) -> np.ndarray:
        """Points excluded per fold (besides the held-out one); all zero = ordinary LOO."""
        return np.array([e.size for e in self.indx_exclude], dtype=int)


def _as_points(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] == 0:
        raise ValueError(f"{name} must be an (n, d) array of points with n >= 1, got shape {np.shape(x)}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite coordinates; drop those points first")
    return a


def _distances(train: np.ndarray, pred: np.ndarray, metric: Metric) -> tuple[np.ndarray, np.ndarray]:
    """(n, n) training distance matrix (exactly symmetric, zero diagonal) and (m, n) prediction→training."""
    if callable(metric):
        tdist = np.asarray(metric(train, train), dtype=float)
        pdist_ = np.asarray(metric(pred, train), dtype=float)
        n, m = train.shape[0], pred.shape[0]
        if tdist.shape != (n, n) or pdist_.shape != (m, n):
            raise ValueError(f"metric(A, B) must return a (len(A), len(B)) matrix; got {tdist.shape}, {pdist_.shape}")
        upper = np.triu(tdist, 1)
        tdist = upper + upper.T  # CAST relies on d(j, k) == d(k, j) to find the pair again
    else:
        tdist = squareform(pdist(train, metric=metric))
        pdist_ = cdist(pred, train, metric=metric)
    if np.any(tdist < 0) or np.any(pdist_ < 0) or not (np.all(np.isfinite(tdist)) and np.all(np.isfinite(pdist_))):
        raise ValueError("distances must be finite and non-negative")
    return tdist, pdist_


def nndm(
    train_points,
    prediction_points,
    phi: float | Literal["max"],
    min_train: float = 0.5,
    metric: Metric = "euclidean",
) -> NNDMResult:
    """NNDM LOO CV folds for ``train_points`` that mimic predicting at ``prediction_points``.

    Parameters
    ----------
    train_points, prediction_points
        (n, d) and (m, d) arrays in one distance space: projected coordinates in metres, or
        standardised predictors (feature space) — the caller decides.
    phi
        Range of spatial autocorrelation, in the units of the distances; distances beyond it are
        treated as equal and never matched. ``"max"`` (CAST's default): the largest training–training
        distance or prediction–training NN distance, plus 1e-9, i.e. match everything.
    min_train
        In [0, 1]: a point is excluded from fold j only while fold j still holds more than
        ``min_train * n`` training points, ``n`` counting the held-out point (so at least
        ``min(n - 1, floor(min_train * n))`` remain, barring ties; with 0 a fold can end empty).
    metric
        A :func:`scipy.spatial.distance.cdist` metric name, or a callable ``f(A, B)`` returning the
        (len(A), len(B)) distance matrix (e.g. :func:`geodesic_distances` for lon/lat).

    Returns
    -------
    NNDMResult
        Deterministic: ties are broken by point order, as in CAST.
    """
    train = _as_points(train_points, "train_points")
    pred = _as_points(prediction_points, "prediction_points")
    if train.shape[0] < 2:
        raise ValueError("NNDM needs at least 2 training points")
    if not callable(metric) and train.shape[1] != pred.shape[1]:
        raise ValueError(f"train_points have {train.shape[1]} columns, prediction_points {pred.shape[1]}")
    if isinstance(phi, str):
        if phi != "max":
            raise ValueError("phi must be a non-negative number or 'max'")
    elif not (np.isscalar(phi) and float(phi) >= 0):  # CAST: phi < 0 is an error
        raise ValueError("phi must be a non-negative number or 'max'")
    if not (np.isscalar(min_train) and 0.0 <= float(min_train) <= 1.0):
        raise ValueError("min_train must be a number between 0 and 1")
    min_train = float(min_train)

    tdist, ptdist = _distances(train, pred, metric)
    return _nndm_from_distances(tdist, ptdist.min(axis=1), phi, min_train)


def _nndm_from_distances(tdist: np.ndarray, Gij: np.ndarray, phi, min_train: float) -> NNDMResult:
    """CAST's loop on a training distance matrix and the prediction NN distances."""
    n = tdist.shape[0]
    m = Gij.size
    offdiag = ~np.eye(n, dtype=bool)
    if phi == "max":
        phi = float(max(Gij.max(), tdist[offdiag].max())) + 1e-9
    phi = float(phi)

    keep = offdiag.copy()  # CAST: the non-NA entries of tdist
    work = np.where(keep, tdist, np.inf)  # masked entries never win a row minimum
    Gj = work.min(axis=1)
    Gjstar = Gj.copy()
    gij_sorted = np.sort(Gij)

    rmin = Gjstar.min()
    jmin = int(np.argmin(Gjstar))  # first minimum, as which.min()
    while rmin <= phi:
        kmin = np.flatnonzero(keep[jmin] & (tdist[jmin] == rmin))
        lhs = (np.count_nonzero(Gjstar <= rmin) - 1) / n
        rhs = np.searchsorted(gij_sorted, rmin, side="right") / m  # #{Gij <= rmin} / m
        if lhs >= rhs and np.count_nonzero(keep[jmin]) / n > min_train:
            keep[jmin, kmin] = False
            work[jmin, kmin] = np.inf
            Gjstar[jmin] = work[jmin].min()  # inf once a row is empty (R: min() of nothing)
            rmin = Gjstar[Gjstar >= rmin].min()
        elif not np.any(Gjstar > rmin):
            break
        else:
            rmin = Gjstar[Gjstar > rmin].min()
        jmin = int(np.flatnonzero(Gjstar == rmin)[0])

    idx = np.arange(n)
    return NNDMResult(
        indx_train=[np.flatnonzero(keep[j]) for j in range(n)],
        indx_test=[np.array([j]) for j in range(n)],
        indx_exclude=[np.flatnonzero(~keep[j] & (idx != j)) for j in range(n)],
        Gij=Gij.copy(),
        Gj=Gj,
        Gjstar=Gjstar,
        phi=phi,
        min_train=min_train,
    )


def fold_masks(result: NNDMResult) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(train_idx, test_idx), ...]``, one per training point; pass as scikit-learn's ``cv=``."""
    return [(tr.copy(), te.copy()) for tr, te in zip(result.indx_train, result.indx_test)]


@dataclass(frozen=True)
class DistanceMatch:
    """Wasserstein-1 distance of Ĝ*_j (NNDM) and Ĝ_j (LOO) to Ĝ_ij, on distances censored at ``phi``."""

    w1_nndm: float
    w1_loo: float
    phi: float

    @property
    def nndm_better(self) -> bool:
        """NNDM matched the prediction distances strictly better than ordinary LOO."""
        return self.w1_nndm < self.w1_loo


def distance_match(result: NNDMResult, phi: float | None = None) -> DistanceMatch:
    """How well NNDM (``Gjstar``) and LOO (``Gj``) match the prediction distances (``Gij``).

    Distances are censored at ``phi`` (default: ``result.phi``), i.e. ``min(d, phi)``: beyond the
    range of autocorrelation they count as equal, as in NNDM itself. W1 of the censored samples is
    then the area between the two ECDFs over [0, phi], ∫₀^φ |F(r) − Ĝ_ij(r)| dr, in distance units.
    (Dropping the distances beyond phi instead would compare conditional distributions and ignore how
    much of each lies beyond phi.)
    """
    phi = float(result.phi if phi is None else phi)
    if not phi >= 0:
        raise ValueError("phi must be non-negative")
    gij = np.minimum(result.Gij, phi)
    return DistanceMatch(
        w1_nndm=float(wasserstein_distance(np.minimum(result.Gjstar, phi), gij)),
        w1_loo=float(wasserstein_distance(np.minimum(result.Gj, phi), gij)),
        phi=phi,
    )


def standardise_features(train, prediction) -> tuple[np.ndarray, np.ndarray]:
    """CAST's feature-space scaling: centre and scale both sets by the training mean and SD (ddof=1)."""
    tr = _as_points(train, "train")
    pr = _as_points(prediction, "prediction")
    mu = tr.mean(axis=0)
    sd = tr.std(axis=0, ddof=1)
    if np.any(~np.isfinite(sd)) or np.any(sd == 0):
        raise ValueError("a predictor is constant (or n < 2) in the training points; drop it before scaling")
    return (tr - mu) / sd, (pr - mu) / sd


# --- lon/lat (EPSG:4326) -------------------------------------------------------------------------
#
# NNDM only needs distances, so lon/lat points need no projection: geodesic distances on the WGS84
# ellipsoid (pyproj.Geod, Karney's algorithm) are exact, are what CAST itself does for a geographic CRS
# (great-circle distances via s2), and leave no projection to choose. The basin spans ~20° of longitude
# (UTM zones 43–46): for 400 random points over 75–95 °E, 35–43 °N, planar distances in UTM 44N
# (EPSG:32644) or 45N (EPSG:32645) are off the geodesic ones by up to 1.9 % or 1.3 % (short pairs
# included: it is the scale factor far from the central meridian), in an azimuthal equidistant
# projection about (85 °E, 39 °N) (:func:`lonlat_to_aeqd`) by up to 0.33 %. That is fine when planar
# coordinates are needed, but :func:`nndm_lonlat` uses the geodesic distances (4·10⁶ pairs take ~3.5 s).


def _lonlat(a, name: str) -> tuple[np.ndarray, np.ndarray]:
    a = _as_points(a, name)
    if a.shape[1] != 2:
        raise ValueError(f"{name} must be (n, 2) columns lon, lat in degrees (EPSG:4326)")
    lon, lat = a[:, 0], a[:, 1]
    if np.any(np.abs(lat) > 90) or np.any(np.abs(lon) > 360):
        raise ValueError(f"{name}: latitudes must lie in [-90, 90]; columns are lon, lat (not lat, lon)")
    return lon, lat


def geodesic_distances(a_lonlat, b_lonlat, ellps: str = "WGS84", chunk: int = 1_000_000) -> np.ndarray:
    """(len(a), len(b)) geodesic distances in metres between lon/lat points (degrees, EPSG:4326).

    Usable as ``metric=`` of :func:`nndm`.
    """
    from pyproj import Geod

    geod = Geod(ellps=ellps)
    lon_a, lat_a = _lonlat(a_lonlat, "a_lonlat")
    lon_b, lat_b = _lonlat(b_lonlat, "b_lonlat")
    out = np.empty((lon_a.size, lon_b.size))
    rows = max(1, chunk // max(1, lon_b.size))
    for s in range(0, lon_a.size, rows):
        e = min(s + rows, lon_a.size)
        la1, lb1 = np.repeat(lon_a[s:e], lon_b.size), np.repeat(lat_a[s:e], lon_b.size)
        la2, lb2 = np.tile(lon_b, e - s), np.tile(lat_b, e - s)
        _, _, d = geod.inv(la1, lb1, la2, lb2)
        out[s:e] = np.asarray(d).reshape(e - s, lon_b.size)
    return out


def lonlat_to_aeqd(lonlat, centre: tuple[float, float] = TARIM_CENTRE) -> np.ndarray:
    """(n, 2) lon/lat degrees (EPSG:4326) → (n, 2) metres in an azimuthal equidistant projection.

    ``centre`` (lon, lat) defaults to the Tarim basin's centre; project every point set with the same
    centre. Distances from the centre are exact; see the note above for the rest.
    """
    from pyproj import CRS, Transformer

    lon, lat = _lonlat(lonlat, "lonlat")
    aeqd = CRS.from_proj4(f"+proj=aeqd +lon_0={centre[0]} +lat_0={centre[1]} +datum=WGS84 +units=m +no_defs")
    x, y = Transformer.from_crs("EPSG:4326", aeqd, always_xy=True).transform(lon, lat)
    return np.column_stack([x, y])


def nndm_lonlat(
    train_lonlat,
    prediction_lonlat,
    phi_m: float | Literal["max"] = "max",
    min_train: float = 0.5,
) -> NNDMResult:
    """:func:`nndm` on lon/lat points (degrees, EPSG:4326) with WGS84 geodesic distances; ``phi_m`` in metres."""
    return nndm(train_lonlat, prediction_lonlat, phi=phi_m, min_train=min_train, metric=geodesic_distances)
