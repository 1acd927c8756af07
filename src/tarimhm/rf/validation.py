"""Accuracy of the inversion and its simple validations: non-nested leave-one-site-out, leave-region-out.

Non-nested LOSO: every site of the medium is predicted by the configuration tuned on the Table 2
training sites, fitted on all others (sklearn ``cross_val_predict`` with ``LeaveOneOut``); 6-7 of the
held-out sites helped choose that configuration, so it is optimistic. The nested LOSO and the
full-protocol permutation nulls are in :mod:`tarimhm.rf.nulls`.
Leave-region-out: ``LeaveOneGroupOut`` over the sites' regions, where at least two regions exist.

R² is undefined (NaN, with the reason) when the observed values barely vary: :func:`accuracy`.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import LeaveOneGroupOut, LeaveOneOut, cross_val_predict

from .inversion import make_pipeline

__all__ = ["R2_VARIANCE_FLOOR", "accuracy", "r2_undefined", "loso", "leave_region_out"]

R2_VARIANCE_FLOOR = 1e-6
"""Floor of the sample variance of the observed values, relative to their squared mean (dimensionless).

R² = 1 - SS_res / SS_tot divides by the spread of the observed values; when they (nearly) coincide
it is a ratio of rounding noise (three soil Cd values all 0.1212 mg/kg gave R² = -2.7e11). A
variance below 1e-6 x mean² is a coefficient of variation below 0.1 %: the relative rounding step
of a value printed to four significant digits (0.1212 +- 0.00005 is +- 0.04 %) and far below the
few-% repeatability of ICP-MS / AAS heavy-metal determinations, so such values do not differ in
any digit a measurement has. Below the floor R² is undefined, not a number to compare.
"""


def r2_undefined(y, unit: str = "", floor: float = R2_VARIANCE_FLOOR) -> str:
    r"""Why R² of predictions of ``y`` is undefined ("" when it is defined).

    .. math:: s^2(y) \le \text{floor} \cdot \bar y^2 \quad\Rightarrow\quad R^2 \text{ undefined}

    ``s²`` is the sample variance (ddof = 1); fewer than two values have none.
    """
    y = np.asarray(y, float)
    if len(y) < 2:
        return f"undefined: {len(y)} validation value(s), no variance"
    var = float(np.var(y, ddof=1))
    lim = floor * float(np.mean(y)) ** 2
    if var > lim:
        return ""
    u = f" ({unit})²" if unit else ""
    return f"undefined: variance of the validation values {var:.2g}{u} below the floor {lim:.2g}{u} ({floor:g} x mean²)"


def accuracy(y, pred, unit: str = "", floor: float = R2_VARIANCE_FLOOR) -> dict:
    """MAE, RMSE (unit of ``y``) and R² of ``pred`` against ``y``; R² NaN with ``R2_note`` when undefined.

    ``sd_observed`` (sample sd of ``y``) says how negative a defined R² can get:
    1 - R² = n / (n - 1) x (RMSE / sd)², so an RMSE 100 times the spread of three values is R² = -14999.
    """
    y, pred = np.asarray(y, float), np.asarray(pred, float)
    note = r2_undefined(y, unit, floor)
    return {
        "MAE": float(mean_absolute_error(y, pred)),
        "RMSE": float(np.sqrt(mean_squared_error(y, pred))),
        "R2": float("nan") if note else float(r2_score(y, pred)),
        "R2_note": note,
        "sd_observed": float(np.std(y, ddof=1)) if len(y) > 1 else float("nan"),
    }


def _hp(best_params: dict) -> dict:
    return {k.removeprefix("rf__"): v for k, v in best_params.items()}


def loso(X, y, best_params: dict, seed: int) -> dict:
    pred = cross_val_predict(make_pipeline(seed, **_hp(best_params)), X, y, cv=LeaveOneOut())
    return {"pred": pred, **accuracy(y, pred)}


def leave_region_out(X, y, groups, best_params: dict, seed: int) -> dict | None:
    groups = np.asarray(groups)
    if len(set(groups)) < 2:
        return None
    pred = cross_val_predict(make_pipeline(seed, **_hp(best_params)), X, y, cv=LeaveOneGroupOut(), groups=groups)
    return {"pred": pred, **accuracy(y, pred), "n_regions": int(len(set(groups)))}
