"""Stage 042 - probabilistic risk to US EPA RAGS Vol. III Part A (2001): a two-dimensional Monte Carlo.

PyMC (NUTS, 4 chains, convergence gate) gives the posterior of the uncertain inputs -- bioaccessibility
of all five metals, parameters of the exposure distributions, updated by any survey evidence in the
spec -- whose draws form the outer loop; the inner loop draws persons (correlated BW and water intake,
Iman-Conover); concentrations come from the reconstruction ensemble (or measurement error for real
tables); toxicity values are weighted scenarios. Then tail stability over 4 inner seeds and Sobol
indices (SALib) of HI and TCR at every site.

Inputs:  data_derived/sites/{soil,water}.csv, data_derived/sites/ensemble_{soil,water}.nc,
         analysis/uncertainty/twod_<spec>.yaml, analysis/profiles/*.yaml, analysis/params.yaml (twod)
Outputs: data_derived/uncertainty/twod/{posterior.nc (arviz), twod_soil.nc, twod_water.nc (CF NetCDF-4),
         summary.csv, convergence.csv, tail_stability.csv, toxicity_scenarios.csv, sobol.csv, run.json}
"""

from pathlib import Path

import tarimhm.config
import tarimhm.reported
from tarimhm.entry import argument_parser, guard
from tarimhm.uncertainty.stage import run_twod


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    args = ap.parse_args(argv)
    files = run_twod(tarimhm.config.load(args.params), tarimhm.reported.load(), Path(__file__))
    for f in files.values():
        print(f)


if __name__ == "__main__":
    guard(main)
