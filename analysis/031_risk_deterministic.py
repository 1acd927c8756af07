"""Stage 031 - deterministic health risk, Igeo and HPI of the site tables under one profile.

Inputs:  data_derived/sites/{soil,water}.csv, analysis/profiles/<PROFILE>.yaml, paper/reported.yaml
Outputs: data_derived/risk/<PROFILE>/risk_long.csv   HQ and CR per site x group x metal x pathway
         .../site_summary.csv  HI, TCR, per-metal HI and CR, exceedance flags
         .../shares.csv        pathway and metal shares of HI and TCR
         .../exceedances.csv   HI > 1, TCR > 1e-4, TCR > 1e-6 counts
         .../igeo.csv, hpi.csv Eq. 13 and Eq. 14
Paper:   Sect. 2.3.2, 3.4 (Figs 9-15), Eqs 5-14.
"""

from __future__ import annotations

from pathlib import Path

import tarimhm
from tarimhm.entry import argument_parser, guard
from tarimhm.risk.stage import run_risk


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    ap.add_argument("--profile", default="paper_as_stated", help="profile name or YAML path")
    args = ap.parse_args(argv)
    out = run_risk(tarimhm.config.load(args.params), tarimhm.reported.load(), args.profile, Path(__file__))
    print(f"risk under {args.profile} -> {out}")


if __name__ == "__main__":
    guard(main)
