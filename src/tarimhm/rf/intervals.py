r"""Jackknife+ prediction intervals on ln C, back-transformed (Barber, Candès, Ramdas & Tibshirani
2021, "Predictive inference with the jackknife+", Ann. Stat. 49:486-507, doi:10.1214/20-AOS1965).

For n training points and leave-one-out models mu_{-i}, the jackknife+ interval of a target t at x is

.. math:: [\,q_{lo}\{\hat t_{-i}(x) - R_i\},\ q_{hi}\{\hat t_{-i}(x) + R_i\}\,], \qquad
          R_i = |t_i - \hat t_{-i}(x_i)|,

with q_lo the k_lo-th and q_hi the k_hi-th smallest of the n values, k_lo = floor(alpha (n+1)),
k_hi = ceil((1-alpha)(n+1)) (:func:`tarimhm.raster.compile.jackknife_ranks`, exact rational
arithmetic). It guarantees coverage >= 1 - 2 alpha for any algorithm that treats the training points
symmetrically and any distribution (exchangeable data); when k_lo < 1 or k_hi > n the interval is
infinite: with n sites the largest level with a finite interval is n/(n+1) (7 sites: 87.5 %,
guarantee 75 %; a 95 % interval needs n >= 19).

**Scale.** Concentrations are positive, and symmetric residuals on the raw scale give negative lower
bounds. Here the target is t = ln C and the algorithm is "fit the forest on C, return ln of its
prediction" (a forest's prediction is a mean of positive training values, hence positive):
R_i = |ln y_i - ln mu_{-i}(x_i)| and the bounds are exp(q_lo{ln mu_{-i}(x) - R_i}),
exp(q_hi{ln mu_{-i}(x) + R_i}), computed as order statistics of mu_{-i}(x) e^{-R_i} and
mu_{-i}(x) e^{R_i} (:func:`tarimhm.raster.compile.jackknife_factors`, shared with the map engine, which
therefore gives the same bounds bit for bit). This is still a jackknife+ (of ln C), so the guarantee
holds for ln C and, exp being increasing, for C; the bounds are positive and the intervals
asymmetric (multiplicative). ``scale="absolute"`` gives the raw-scale jackknife+ (t = C, Barber et
al.'s absolute residuals), kept for comparison. Zero or negative concentrations or predictions are refused.

Checked against MAPIE 1.6 (``CrossConformalRegressor(method="plus", cv=LeaveOneOut())`` with the same
seeded forest; absolute scores, and a log score for ln C) in the tests: the bounds agree bit for bit
where MAPIE gives any; MAPIE refuses
one sample size more (n < 1/alpha, e.g. n = 4 at 80 %) unless ``allow_infinite_bounds=True``.

Written here (about thirty lines) because it reuses the leave-one-site-out fits the validation
already makes; MAPIE would refit them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .._errors import MissingOutputError
from ..provenance import atomic_write_text
from ..raster.compile import RESIDUAL_SCALE, exact_level, jackknife_factors, jackknife_ranks
from .inversion import make_pipeline

__all__ = [
    "SCALES",
    "max_level",
    "guaranteed_coverage",
    "jackknife_ranks",
    "conformity_scores",
    "jackknife_plus",
    "loo_fits",
    "LOO_FORMAT",
    "write_loo_meta",
    "read_loo_meta",
]

SCALES = ("log", "absolute")
LOO_FORMAT = "tarimhm-loo-2"


def max_level(n: int) -> float:
    """Largest nominal level 1 - alpha with a finite jackknife+ interval for n points: n/(n+1)
    (read back exactly by :func:`jackknife_ranks`, so ``jackknife_ranks(n, max_level(n))`` is finite)."""
    return n / (n + 1)


def guaranteed_coverage(level: float) -> float:
    """Coverage jackknife+ guarantees at nominal level 1 - alpha: 1 - 2 alpha (exact arithmetic)."""
    return float(max(0, 1 - 2 * (1 - exact_level(level))))


def _check_scale(scale: str) -> None:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")


def _positive(values, what: str) -> np.ndarray:
    v = np.asarray(values, float)
    bad = ~(v > 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"jackknife+ on ln C needs positive {what}; {what} [{i}] is {v.flat[i]:g} "
            f"({int(bad.sum())} of {v.size} not > 0)"
        )
    return v


def conformity_scores(y, loo_pred, scale: str = "log") -> np.ndarray:
    r"""Leave-one-out residuals R_i: :math:`|\ln y_i - \ln \mu_{-i}(x_i)|` (``scale="log"``) or
    :math:`|y_i - \mu_{-i}(x_i)|` (``"absolute"``). ValueError for y or predictions <= 0 on the log scale."""
    _check_scale(scale)
    y, p = np.asarray(y, float), np.asarray(loo_pred, float)
    if scale == "absolute":
        return np.abs(y - p)
    return np.abs(np.log(_positive(y, "concentrations y")) - np.log(_positive(p, "LOO predictions")))


def loo_fits(X, y, best_params: dict, seed: int) -> tuple[list, np.ndarray]:
    """The n leave-one-out pipelines mu_-i and their predictions mu_-i(x_i) at the left-out points
    (residuals of either scale follow with :func:`conformity_scores`)."""
    X, y = np.asarray(X, float), np.asarray(y, float)
    hp = {k.removeprefix("rf__"): v for k, v in best_params.items()}
    models, pred = [], np.empty(len(y))
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        models.append(make_pipeline(seed, **hp).fit(X[keep], y[keep]))
        pred[i] = models[-1].predict(X[i : i + 1])[0]
    return models, pred


def jackknife_plus(X, y, X_new, best_params: dict, seed: int, level: float, fits=None, scale: str = "log"):
    """(lower, upper) at nominal ``level``; raises ValueError if n cannot support the level, or, on the
    log scale, if a concentration or a prediction is not positive.
    ``fits``: the (models, LOO predictions) of :func:`loo_fits`, to reuse."""
    _check_scale(scale)
    X, y, X_new = np.asarray(X, float), np.asarray(y, float), np.asarray(X_new, float)
    n = len(y)
    k_lo, k_hi = jackknife_ranks(n, level)
    if k_hi > n or k_lo < 1:
        ml = max_level(n)
        raise ValueError(
            f"a {100 * float(exact_level(level)):.0f} % jackknife+ interval is infinite with n = {n}; the largest finite "
            f"level is {100 * ml:.1f} % (guaranteed coverage {100 * guaranteed_coverage(ml):.0f} %)"
        )
    if scale == "log":
        _positive(y, "concentrations y")
    models, loo_pred = fits if fits is not None else loo_fits(X, y, best_params, seed)
    resid = conformity_scores(y, loo_pred, scale)
    lo_vals, hi_vals = np.empty((n, len(X_new))), np.empty((n, len(X_new)))
    lo_fac, hi_fac = jackknife_factors(resid) if scale == "log" else (None, None)
    for i, model in enumerate(models):
        mu = model.predict(X_new)
        if scale == "log":
            mu = _positive(mu, f"predictions of LOO model {i}")
            lo_vals[i], hi_vals[i] = mu * lo_fac[i], mu * hi_fac[i]
        else:
            lo_vals[i], hi_vals[i] = mu - resid[i], mu + resid[i]
    return np.sort(lo_vals, axis=0)[k_lo - 1], np.sort(hi_vals, axis=0)[k_hi - 1]


def _loo_meta_path(loo_path: Path | str) -> Path:
    return Path(loo_path).with_suffix(".json")


def write_loo_meta(loo_path: Path | str, n: int, note: str = "") -> Path:
    """``<medium>_<metal>_loo.json`` beside the LOO npz of :func:`tarimhm.rf.export.save_loo`: what its
    ``loo_resid`` mean (log residuals since format 2). The map engine refuses a LOO file without it."""
    body = {
        "format": LOO_FORMAT,
        "residual_scale": RESIDUAL_SCALE,
        "loo_resid": "R_i = |ln y_i - ln mu_-i(x_i)|; NaN where a concentration is not positive",
        "interval": "jackknife+ on ln C, back-transformed (Barber, Candes, Ramdas & Tibshirani 2021)",
        "n_loo": int(n),
        "note": note,
    }
    return atomic_write_text(_loo_meta_path(loo_path), json.dumps(body, indent=2, sort_keys=True) + "\n")


def read_loo_meta(loo_path: Path | str) -> dict:
    """The metadata of a LOO npz; a clear error (naming ``make rf``) for a file of the old absolute scale."""
    meta_path = _loo_meta_path(loo_path)
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if meta.get("residual_scale") != RESIDUAL_SCALE:
        raise MissingOutputError(
            f"{loo_path}: residual_scale: {meta.get('residual_scale', 'missing')} (no {meta_path.name} saying "
            f"{RESIDUAL_SCALE!r}: written before the jackknife+ moved to ln C, its residuals are |y - mu|); "
            "run `make rf` to rewrite it"
        )
    return meta
