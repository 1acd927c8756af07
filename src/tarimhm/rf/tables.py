"""Table 4 (validation accuracy), drawn from the Table 4 audit of stage 060 only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import paths
from ..config import Params
from ..domain import TABLE_METALS as METALS
from ..provenance import read_table
from ..reported import Reported
from ..viz.tables import Tabled, latex_table, tex_num
from .audit import AUDIT_COLUMNS_TABLE4, QUANT, R2_FLOOR

__all__ = ["tab4"]


_TEX_UNIT = {"soil": "mg/kg", "water": r"$\mu$g/L"}  # UNITS of tarimhm.domain, spelled for LaTeX (as Tables 5-6)


R2_SHOWN_ABOVE = R2_FLOOR
"""Lowest R² the table prints as a number; below it prints $<-10$ (exact value in data_derived/rf/metrics.csv)."""


def _cell(v: float, indicator: str, censored: float = np.nan) -> str:
    if np.isfinite(censored):
        return f"$<{censored:.0f}$"
    return tex_num(v)


def tab4(params: Params, rep: Reported) -> Tabled:
    """Table 4: the paper's validation accuracy beside this work's (from ``paper/audit/rf.csv``)."""
    f = paths.audit_file("rf.csv")
    a = read_table(f, "rf", AUDIT_COLUMNS_TABLE4)[list(AUDIT_COLUMNS_TABLE4)]
    status = a.data_status.iloc[0]

    def latex(prov, label: str | None = None) -> str:
        rows = []
        undefined = low = False
        for col in QUANT:
            for med in ("soil", "water"):
                sub = a[(a.indicator == col) & (a.medium == med)].set_index("metal")
                undefined |= bool((sub.reproduced.isna() & sub.censored_below.isna()).any())
                low |= bool(sub.censored_below.notna().any())
                unit = "" if col == "R2" else f" ({_TEX_UNIT[med]})"
                row = {("", "Indicator"): f"{col.replace('R2', '$R^2$')}{unit}", ("", "Medium"): med}
                for mt in METALS:
                    row[(mt, "paper")] = tex_num(sub.loc[mt, "reported"])
                    row[(mt, r"\shortstack[r]{this\\work}")] = _cell(
                        sub.loc[mt, "reproduced"], col, sub.loc[mt, "censored_below"]
                    )
                rows.append(row)
        notes = []
        if undefined:
            notes.append(r"--: $R^2$ undefined, the validation values do not vary (variance below the floor).")
        if low:
            notes.append(
                r"$<-10$: far worse than predicting the mean of the validation values (exact value in metrics.csv)."
            )
        return latex_table(
            pd.DataFrame(rows),
            element="Table 4",
            status=status,
            prov=prov,
            label=label,
            column_format="ll" + "rr" * len(METALS),
            text=[("", "Medium")],
            extra="MAE and RMSE in the units of the medium; the paper beside this work.",
            notes=notes,
            size="small",
            tabcolsep="4pt",
        )

    return Tabled(a, latex, [f], status, "Table 4: validation accuracy, paper beside this work")
