"""Stage 040 - probabilistic risk: one-at-a-time sensitivity with the Sect. 4.2.1 audit, and a Monte Carlo
over exposure factors and bioaccessibility.

Inputs:  data_derived/sites/{soil,water}.csv, analysis/uncertainty/<spec>.yaml, analysis/profiles/*.yaml,
         paper/reported.yaml, analysis/params.yaml (uncertainty: spec, draws, seed; risk.reference_profile)
Outputs: data_derived/uncertainty/{sensitivity,mc_summary,mc_rank}.csv, montecarlo.nc;
         paper/audit/sensitivity.csv (Sect. 4.2.1 claims)
"""

from pathlib import Path

import tarimhm.config
import tarimhm.reported
from tarimhm.entry import argument_parser, guard
from tarimhm.uncertainty.stage import run_montecarlo


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    args = ap.parse_args(argv)
    for f in run_montecarlo(tarimhm.config.load(args.params), tarimhm.reported.load(), Path(__file__)).values():
        print(f)


if __name__ == "__main__":
    guard(main)
