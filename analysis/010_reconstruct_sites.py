"""Stage 010 - site tables S1-S10 (soil, mg/kg) and W1-W9 (water, µg/L).

Inputs:  paper/reported.yaml, analysis/params.yaml (reconstruction), analysis/site_locations.yaml,
         data_raw/geo/*, optional real tables data_raw/sites/{soil,water}.csv
Outputs: data_derived/sites/reconstructed_{soil,water}.csv  reconstructed tables (data_status reconstructed)
         data_derived/sites/{soil,water}.csv                tables the pipeline uses (real if given)
         data_derived/sites/residuals.csv                   every constraint: reported vs reconstructed
         data_derived/sites/consistency.csv                 internal-consistency checks of the paper
         data_derived/sites/summary.json                    counts and fit diagnostics
         paper/audit/geography.csv                          Sect. 2.1 study-area numbers beside the basin polygon
Paper:   Supplementary Tables S1/S2 (not public), constrained by Sect. 3.1, 3.3, 3.4, Tables 1, 7, 8.
"""

from __future__ import annotations

import json
from pathlib import Path

import tarimhm
from tarimhm.entry import argument_parser, guard
from tarimhm.sites.stage import run_reconstruction


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    args = ap.parse_args(argv)
    params = tarimhm.config.load(args.params)
    summary = run_reconstruction(params, tarimhm.reported.load(), Path(__file__))
    for medium, s in summary["media"].items():
        print(
            f"{medium}: {s['fitted_met']}/{s['fitted']} fitted constraints met; not met: "
            f"{', '.join(s['fitted_not_met']) or 'none'}; table used: {s['data_status_used']}"
        )
    print("consistency checks:", json.dumps(summary["checks"]))


if __name__ == "__main__":
    guard(main)
