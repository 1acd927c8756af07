"""Tables 5-6 (share of the mapped area per concentration class), drawn from the map stage's outputs only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import paths
from ..config import Params
from ..reported import Reported
from ..viz.tables import Tabled, latex_table, tex_num
from .audit import TABLE

__all__ = ["tab5", "tab6"]


def _class_table(medium: str) -> Tabled:
    """Table 5 (soil) or Table 6 (water): paper beside this work, CSV + LaTeX."""
    f = paths.require(paths.maps_dir() / f"{medium}_classes.csv", "maps")
    # the stage writes full precision (repr); Python's float() reads it back exactly
    t = pd.read_csv(f, dtype=str, keep_default_na=False).drop(columns="verdict_class")
    for c in ("lower", "upper", "paper_pct", "ours_pct", "diff_pp"):
        t[c] = [float(v) if v else np.nan for v in t[c]]
    t["reported_id"] = t.reported_id.replace("", np.nan)
    status = t.data_status.iloc[0]
    unit = "mg/kg" if medium == "soil" else r"$\mu$g/L"

    def latex(prov, label: str | None = None) -> str:
        rows = []
        for _, r in t.iterrows():
            if r["class"] == "removed>P99":
                continue
            above = r["class"] == "above"
            rows.append(
                {
                    "Metal": r.metal if r["class"] == "1" else "",
                    f"Content ({unit})": f"$>{r.lower:g}$" if above else f"{r.lower:g}--{r.upper:g}",
                    r"Paper (\%)": "--" if above else tex_num(r.paper_pct, ".2f"),
                    r"This work (\%)": tex_num(r.ours_pct, ".2f"),
                    "Difference (pp)": tex_num(r.diff_pp, ".2f", signed=True),
                }
            )
        df = pd.DataFrame(rows)
        return latex_table(
            df,
            element=TABLE[medium],
            status=status,
            prov=prov,
            label=label,
            column_format="llrrr",
            text=["Metal"],
            extra="Classes with the paper's bounds; the paper beside this work.",
            notes=[
                r"Shares of the mapped area after the 5$\times$5 median filter and the removal of values above the "
                r"training P99; pp: percentage points; $>$: above the paper's top class (not in the paper, "
                r"whose classes end at its map maximum); --: not given."
            ],
            rules={i: r"\addlinespace" for i in range(1, len(df)) if df.Metal.iloc[i]},
        )

    return Tabled(t, latex, [f], status, f"{TABLE[medium]}: % of mapped area per class, paper beside this work")


def tab5(params: Params, rep: Reported) -> Tabled:
    """Table 5: share of the mapped soil area per concentration class."""
    return _class_table("soil")


def tab6(params: Params, rep: Reported) -> Tabled:
    """Table 6: share of the mapped river area per concentration class."""
    return _class_table("water")
