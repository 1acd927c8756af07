"""Stage 10 - probabilistic risk: Monte Carlo over exposure factors and bioaccessibility, sensitivity, audit.

Inputs:  data_derived/sites/{soil,water}.csv, analysis/uncertainty/<spec>.yaml, analysis/profiles/*.yaml,
         paper/reported.yaml, analysis/params.yaml (uncertainty: spec, draws, seed)
Outputs: data_derived/risk_uncertainty/{sensitivity,mc_summary,mc_rank}.csv, montecarlo.nc;
         paper/audit/sensitivity.csv (Sect. 4.2.1 claims)
"""
import argparse
from pathlib import Path

import tarimhm.config
import tarimhm.reported
from tarimhm.risk.uncertainty_stage import run_uncertainty

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default=None, help="parameter file (default analysis/params.yaml)")
    args = ap.parse_args()
    for f in run_uncertainty(tarimhm.config.load(args.params), tarimhm.reported.load(), Path(__file__)).values():
        print(f)
