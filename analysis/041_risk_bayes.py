"""Stage 041 - Bayesian calibration (PyMC NUTS) of the exposure factors to the paper's 28 printed soil HI/CR
endpoints, and HI/TCR per site under the posterior (its own stage: tuning the Monte Carlo never re-runs NUTS).

Inputs:  data_derived/sites/{soil,water}.csv, analysis/uncertainty/<spec>.yaml (priors), analysis/profiles/*.yaml,
         paper/reported.yaml, analysis/params.yaml (uncertainty: bayes_*, seed; risk.reference_profile)
Outputs: data_derived/uncertainty/{bayes_posterior,bayes_endpoints,bayes_sites}.csv, bayes_posterior.nc
"""

from pathlib import Path

import tarimhm.config
import tarimhm.reported
from tarimhm.entry import argument_parser, guard
from tarimhm.uncertainty.stage import run_bayes


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    args = ap.parse_args(argv)
    for f in run_bayes(tarimhm.config.load(args.params), tarimhm.reported.load(), Path(__file__)).values():
        print(f)


if __name__ == "__main__":
    guard(main)
