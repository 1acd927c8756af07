"""Tables 7-8 (varimax-rotated PCA, Sect. 3.3.1): reported beside reproduced, from stage 020's outputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .. import paths
from ..config import Params
from ..domain import METALS
from ..reported import Reported
from ..viz.tables import Tabled, latex_table, tex_num

__all__ = ["tab7", "tab8"]


def _pca_table(rep: Reported, medium: str, table: str) -> Tabled:
    """Varimax loadings, eigenvalues and variance: reported beside reproduced (CSV and LaTeX)."""
    f = paths.require(paths.stats_dir() / f"pca_{medium}.json", "statistics")
    pc = json.loads(f.read_text())
    k = max(r.cls for r in rep.find(locator=table, quantity="pca_loading"))
    rows = []
    for m in METALS:
        for c in range(1, k + 1):
            rows.append(
                {
                    "variable": m,
                    "component": f"PC{c}",
                    "reported": rep.value(locator=table, quantity="pca_loading", metal=m, cls=c),
                    "reproduced": pc["loadings"][m].get(f"PC{c}", np.nan),
                }
            )
    for q, key in (
        ("pca_eigenvalue", "eigenvalues"),
        ("pca_variance", "variance_pct"),
        ("pca_cumulative", "cumulative_pct"),
    ):
        for c in range(1, k + 1):
            rows.append(
                {
                    "variable": q.replace("pca_", ""),
                    "component": f"PC{c}",
                    "reported": rep.value(locator=table, quantity=q, cls=c),
                    "reproduced": pc[key][c - 1],
                }
            )
    df = pd.DataFrame(rows)
    df["difference"] = df.reproduced - df.reported
    status = pc["data_status"]
    wide = df.pivot_table(index="variable", columns="component", values=["reported", "reproduced"], sort=False)
    wide = wide.reindex([*METALS, "eigenvalue", "variance", "cumulative"])
    cols = [(v, f"PC{c}") for c in range(1, k + 1) for v in ("reported", "reproduced")]
    labels = {"eigenvalue": "Eigenvalue", "variance": r"Variance (\%)", "cumulative": r"Cumulative (\%)"}

    def latex(prov, label: str | None = None) -> str:
        show = pd.DataFrame(
            {
                ("", "Variable"): [labels.get(i, i) for i in wide.index],
                **{
                    (pc, "paper" if v == "reported" else "this work"): [tex_num(x) for x in wide[(v, pc)]]
                    for v, pc in cols
                },
            }
        )
        return latex_table(
            show,
            element=table,
            status=status,
            prov=prov,
            label=label,
            column_format="l" + "rr" * k,
            extra="Loadings, eigenvalues and explained variance: the paper beside this work.",
            status_label="Site data",
            rules={len(METALS): r"\midrule"},
        )

    return Tabled(df, latex, [f, paths.REPORTED], status, f"{table}: reported vs reproduced", float_format="%.4f")


def tab7(params: Params, rep: Reported) -> Tabled:
    """Table 7: varimax-rotated PCA of the soil metals."""
    return _pca_table(rep, "soil", "Table 7")


def tab8(params: Params, rep: Reported) -> Tabled:
    """Table 8: varimax-rotated PCA of the river-water metals."""
    return _pca_table(rep, "water", "Table 8")
