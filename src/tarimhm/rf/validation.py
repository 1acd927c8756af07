"""Honest validation of the inversion: leave-one-site-out, a y-randomisation null, leave-region-out.

LOSO: every site of the medium is predicted by the chosen configuration fitted on all others
(sklearn ``cross_val_predict`` with ``LeaveOneOut``); R² of these predictions is the LOSO R².
Null: the concentrations are permuted among sites (seeded) and the LOSO R² recomputed; the
p-value ``(1 + #{null >= observed}) / (1 + n_perm)`` says whether the RF beats chance.
Leave-region-out: ``LeaveOneGroupOut`` over the sites' regions, where at least two regions exist.
"""

from __future__ import annotations

import numpy as np
from joblib import Parallel, delayed
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import LeaveOneGroupOut, LeaveOneOut, cross_val_predict

from .inversion import make_pipeline

__all__ = ["loso", "permutation_null", "leave_region_out"]


def _hp(best_params: dict) -> dict:
    return {k.removeprefix("rf__"): v for k, v in best_params.items()}


def loso(X, y, best_params: dict, seed: int) -> dict:
    pred = cross_val_predict(make_pipeline(seed, **_hp(best_params)), X, y, cv=LeaveOneOut())
    return {
        "pred": pred,
        "R2": r2_score(y, pred),
        "MAE": mean_absolute_error(y, pred),
        "RMSE": float(np.sqrt(mean_squared_error(y, pred))),
    }


def permutation_null(X, y, best_params: dict, seed: int, n_perm: int, n_jobs: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    perms = [rng.permutation(len(y)) for _ in range(n_perm)]
    null = Parallel(n_jobs=n_jobs)(delayed(lambda p: loso(X, y[p], best_params, seed)["R2"])(p) for p in perms)
    obs = loso(X, y, best_params, seed)["R2"]
    null = np.asarray(null)
    return {"observed_R2": obs, "null_R2": null, "p_value": (1 + np.sum(null >= obs)) / (1 + n_perm)}


def leave_region_out(X, y, groups, best_params: dict, seed: int) -> dict | None:
    groups = np.asarray(groups)
    if len(set(groups)) < 2:
        return None
    pred = cross_val_predict(make_pipeline(seed, **_hp(best_params)), X, y, cv=LeaveOneGroupOut(), groups=groups)
    return {
        "pred": pred,
        "R2": r2_score(y, pred),
        "MAE": mean_absolute_error(y, pred),
        "RMSE": float(np.sqrt(mean_squared_error(y, pred))),
        "n_regions": int(len(set(groups))),
    }
