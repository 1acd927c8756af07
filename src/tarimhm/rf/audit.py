"""Table 4 audit: MAE, RMSE and R² of the 10 models on the validation sites beside the paper's."""

from __future__ import annotations

import pandas as pd

from ..audit import cannot, verdict
from ..reported import Reported

__all__ = ["audit_rf", "QUANT", "AUDIT_COLUMNS_TABLE4"]

QUANT = {"MAE": "rf_mae", "RMSE": "rf_rmse", "R2": "rf_r2"}
AUDIT_COLUMNS_TABLE4 = [
    "reported_id",
    "indicator",
    "medium",
    "metal",
    "reported",
    "reproduced",
    "verdict",
    "data_status",
]
"""Columns of ``paper/tables/tab4_accuracy.csv`` (the audit rows without verdict class and basis)."""


def audit_rf(rep: Reported, m: pd.DataFrame) -> pd.DataFrame:
    rows = []
    status = m.data_status.iloc[0]
    for col, q in QUANT.items():
        for r in rep.find(locator="Table 4", quantity=q):
            v = float(m.loc[(m.medium == r.medium) & (m.metal == r.metal), col].iloc[0])
            vd = verdict(r.value, v)
            if "surrogate" in status and vd.cls != "reproduced":
                vd = cannot(
                    "cannot be reproduced from what was published: the spectra are a surrogate "
                    f"(no Sentinel-2 signal) and the site data {status.split('+')[0]}; {vd.text}"
                )
            rows.append(
                {
                    "reported_id": r.id,
                    "indicator": col,
                    "medium": r.medium,
                    "metal": r.metal,
                    "reported": r.value,
                    "reproduced": v,
                    "verdict": vd.text,
                    "data_status": status,
                    "verdict_class": vd.cls,
                    "basis": "",
                }
            )
    return pd.DataFrame(rows)
