"""Table 4 audit: MAE, RMSE and R² of the 10 models on the validation sites beside the paper's.

MAE and RMSE are compared relatively (:func:`tarimhm.audit.verdict`) and carry the unit of their medium;
R² is compared as an absolute difference (:data:`R2_TOL`), never as a percentage, and is undefined (NaN,
with the reason) when the validation values barely vary (:func:`tarimhm.rf.validation.accuracy`).

Basis: the paper's Sentinel-2 mosaic and its site tables are not public. Unless both the spectra and the
site data are real, the pairing of a pixel's spectrum with a site concentration that the forests learn is
not the paper's (surrogate spectra carry no Sentinel-2 signal; reconstructed concentrations at approximate
locations were fitted to summary statistics, never to spectra), so agreement with Table 4 is coincidence
(class "agrees by coincidence", basis "coincidence"), never a reproduction: the same rule as the map audit
(:mod:`tarimhm.maps.audit`). On real spectra and real site tables the basis is "independent".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..audit import Verdict, cannot, coincidence, verdict, within
from ..domain import UNITS
from ..reported import Reported

__all__ = ["audit_rf", "metric_verdict", "basis_of", "QUANT", "R2_TOL", "R2_FLOOR", "AUDIT_COLUMNS_TABLE4"]

QUANT = {"MAE": "rf_mae", "RMSE": "rf_rmse", "R2": "rf_r2"}
R2_TOL = 0.02
"""Absolute tolerance on R² (dimensionless). R² is bounded above by 1 and printed to 3 decimals: a relative
percentage hides differences near 1 (0.997 vs 0.977 is 2 % but 7 times the unexplained variance) and
explodes near 0, so R² is compared absolutely, with the tolerance the package uses for Pearson's r, the
other coefficient printed to 3 decimals (``reconstruction.tolerance_r`` of analysis/params.yaml)."""
R2_FLOOR = -10.0
"""Audits and tables show no R² below this: R² = 1 - MSE / variance, so R² < -10 means an error more than
sqrt(11) = 3.3 times the spread of the validation values, and the digits beyond say nothing but "far worse
than the mean" (a near-constant validation set makes them astronomically large). Such rows carry
``reproduced`` empty, ``censored_below`` = -10 and the RMSE-to-spread ratio in the verdict; the exact value
stays in ``data_derived/rf/metrics.csv``."""
AUDIT_COLUMNS_TABLE4 = [
    "reported_id",
    "indicator",
    "medium",
    "metal",
    "unit",
    "reported",
    "reproduced",
    "censored_below",
    "verdict",
    "data_status",
]
"""Columns of ``paper/tables/tab4_accuracy.csv`` (the audit rows without verdict class and basis)."""


def unit_of(indicator: str, medium: str) -> str:
    """Unit of a Table 4 indicator: the concentration unit of the medium for MAE / RMSE, 1 for R²."""
    return "1" if indicator == "R2" else UNITS[medium]


def _not_real(status: str) -> str:
    parts = status.split("+")
    why = []
    if "surrogate" in parts:
        why.append("the spectra are a surrogate (no Sentinel-2 signal)")
    if "reconstructed" in parts:
        why.append("the site data are reconstructed (fitted to summary statistics, never to spectra)")
    return "; ".join(why)


def basis_of(status: str) -> tuple[str, str]:
    """(basis, basis_detail) of a Table 4 row made from data of this status (see the module docstring)."""
    if status == "real":
        return "independent", "real Sentinel-2 spectra and real site tables, the paper's Table 2 splits"
    return "coincidence", f"{_not_real(status)}: agreement with Table 4 is no evidence"


def _spread(row: pd.Series) -> str:
    """A negative R² in words: the RMSE as a multiple of the sd of the validation values (metrics.csv row)."""
    sd = row.get("sd_observed", np.nan)
    if not (np.isfinite(sd) and sd > 0):
        return ""
    u = UNITS[row["medium"]]
    return f"RMSE {row['RMSE']:.3g} {u} is {row['RMSE'] / sd:.3g} times the sd {sd:.2g} {u} of the validation values"


def _r2_fmt(d: float) -> str:
    return "{:+.3f}" if abs(d) < 100 else "{:+.4g}"


def metric_verdict(
    indicator: str, reported: float, value: float, unit: str, status: str, note: str = "", spread: str = ""
) -> Verdict:
    """Verdict of one Table 4 number: R² absolute (:data:`R2_TOL`), MAE / RMSE relative, both with units.

    ``note`` is the reason R² is undefined (``value`` NaN); ``spread`` says, for a negative R², how the
    RMSE compares with the spread of the validation values. Off real data, agreement is class
    "agrees by coincidence" and a difference "cannot be reproduced", each with the reason.
    """
    if indicator == "R2":
        if not np.isfinite(value):
            vd = cannot(f"cannot be reproduced: R² {note or 'undefined'}")
        else:
            vd = within(reported, value, R2_TOL, fmt=_r2_fmt(value - reported))
            if vd.cls == "differs":
                more = f"; {spread}" if spread and value < 0 else ""
                vd = Verdict(f"{vd.text} (absolute; R² {value:.3g} vs printed {reported:.3f}{more})", vd.cls)
    else:
        vd = verdict(reported, value)
        if vd.cls == "differs":
            vd = Verdict(f"{vd.text} ({value:.3g} vs printed {reported:g} {unit})", vd.cls)
    if status == "real":
        return vd
    head = f"cannot be reproduced from what was published: {_not_real(status)}"
    if vd.cls in ("reproduced", "within 3 %"):
        near = f"{R2_TOL:g}" if indicator == "R2" else ("3 %" if vd.cls == "within 3 %" else "1 %")
        return coincidence(f"{head} (within {near} by coincidence)")
    return cannot(f"{head}; {vd.text.removeprefix('cannot be reproduced: ')}")


def audit_rf(rep: Reported, m: pd.DataFrame) -> pd.DataFrame:
    """Table 4 audit rows (``m``: the saved ``metrics.csv`` of stage 060)."""
    rows = []
    status = m.data_status.iloc[0]
    basis, detail = basis_of(status)
    notes = m["R2_note"].astype(object).fillna("") if "R2_note" in m else pd.Series("", index=m.index)
    for col, q in QUANT.items():
        for r in rep.find(locator="Table 4", quantity=q):
            hit = (m.medium == r.medium) & (m.metal == r.metal)
            v = float(m.loc[hit, col].iloc[0])
            unit = unit_of(col, r.medium)
            vd = metric_verdict(
                col, r.value, v, unit, status, notes[hit].iloc[0] if col == "R2" else "", _spread(m[hit].iloc[0])
            )
            censored = col == "R2" and np.isfinite(v) and v < R2_FLOOR
            rows.append(
                {
                    "reported_id": r.id,
                    "indicator": col,
                    "medium": r.medium,
                    "metal": r.metal,
                    "unit": unit,
                    "reported": r.value,
                    "reproduced": np.nan if censored else v,
                    "censored_below": R2_FLOOR if censored else np.nan,
                    "verdict": vd.text,
                    "data_status": status,
                    "verdict_class": vd.cls,
                    "basis": basis,
                    "basis_detail": detail,
                }
            )
    return pd.DataFrame(rows)
