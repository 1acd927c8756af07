"""Stage 040 - probabilistic risk: one-at-a-time sensitivity with the Sect. 4.2.1 audit, and a Monte Carlo
over exposure factors and bioaccessibility.

Inputs:  data_derived/sites/{soil,water}.csv, analysis/uncertainty/<spec>.yaml, analysis/profiles/*.yaml,
         paper/reported.yaml, analysis/params.yaml (uncertainty: spec, draws, seed; risk.reference_profile)
Outputs: data_derived/uncertainty/{sensitivity,mc_summary,mc_rank}.csv, montecarlo.nc;
         paper/audit/sensitivity.csv (Sect. 4.2.1 claims)
"""

import argparse
from pathlib import Path

import tarimhm.config
import tarimhm.reported
from tarimhm.uncertainty.stage import run_montecarlo

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default=None, help="parameter file (default analysis/params.yaml)")
    args = ap.parse_args()
    for f in run_montecarlo(tarimhm.config.load(args.params), tarimhm.reported.load(), Path(__file__)).values():
        print(f)
