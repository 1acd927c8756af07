"""Stage 041 - Bayesian calibration (PyMC NUTS) of the exposure factors to the paper's 28 printed soil HI/CR
endpoints, and HI/TCR per site under the posterior (its own stage: tuning the Monte Carlo never re-runs NUTS).

Inputs:  data_derived/sites/{soil,water}.csv, analysis/uncertainty/<spec>.yaml (priors), analysis/profiles/*.yaml,
         paper/reported.yaml, analysis/params.yaml (uncertainty: bayes_*, seed; risk.reference_profile)
Outputs: data_derived/uncertainty/{bayes_posterior,bayes_endpoints,bayes_sites}.csv, bayes_posterior.nc
"""

import argparse
from pathlib import Path

import tarimhm.config
import tarimhm.reported
from tarimhm.uncertainty.stage import run_bayes

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default=None, help="parameter file (default analysis/params.yaml)")
    args = ap.parse_args()
    for f in run_bayes(tarimhm.config.load(args.params), tarimhm.reported.load(), Path(__file__)).values():
        print(f)
