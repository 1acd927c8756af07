"""Table 9: the exposure factors the paper prints beside those the profiles use and those its results imply.

Drawn from ``data_derived/risk/table9.csv`` (written by the risk audit stage, 032) only.
"""

from __future__ import annotations

import pandas as pd

from .. import paths
from ..config import Params
from ..reported import Reported
from ..viz.tables import Tabled, latex_table, tex_num, tex_width

__all__ = ["tab9"]

_UNIT = {"mg/cm2": "mg/cm²"}  # as printed in data_derived/risk/table9.csv; LaTeX spells ² out


def tab9(params: Params, rep: Reported) -> Tabled:
    """Table 9 beside the profiles and the factors the paper's own soil HI/CR imply (CSV + LaTeX)."""
    f = paths.require(paths.risk_dir() / "table9.csv", "audit-risk")
    t = pd.read_csv(f, dtype=str, keep_default_na=False).drop(columns="verdict_class")

    def latex(prov, label: str | None = None) -> str:
        printed, ours = "Printed in the paper", "This work"
        show = pd.DataFrame(
            {
                ("", "Parameter (unit)"): [f"{p} ({_UNIT.get(u, u)})" for p, u in zip(t.parameter, t.unit)],
                ("", "Group"): t.group,
                (printed, "This study"): t.paper_this_study,
                (printed, "US EPA default"): t.paper_usepa_default,
                (printed, "China / Xinjiang"): t.paper_china_xinjiang,
                (ours, "Implied by the results"): [tex_num(v, "g") for v in t.paper_reproducing],
                (ours, "Verdict on this study"): t.verdict_this_study,
            }
        )
        widths = (0.17, 0.075, 0.075, 0.085, 0.105, 0.09, 0.40)  # of the line; they add up to 1
        return latex_table(
            show,
            element="Table 9",
            status="real",
            prov=prov,
            label=label,
            column_format="".join(tex_width(w) for w in widths),
            text=[c for c in show.columns if c[1] not in ("Implied by the results",)],
            extra="Implied: the calibration of the paper's 28 soil HI/CR endpoints (profile paper\\_reproducing); "
            "every column is made from printed numbers only.",
            notes=["--: not given (printed) or not identified by the soil HI/CR (implied)."],
            size="small",
            tabcolsep="4pt",
            rules={i: r"\addlinespace" for i in range(1, len(t)) if t.parameter.iloc[i] != t.parameter.iloc[i - 1]},
        )

    return Tabled(
        t,
        latex,
        [f],
        "real",
        "Table 9: printed exposure factors beside the profiles and what the results imply",
        float_format=None,
    )
