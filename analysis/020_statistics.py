"""Stage 020 - descriptive statistics, distribution checks, correlations and PCA of the site tables.

Inputs:  data_derived/sites/{soil,water}.csv (and residuals.csv to mark 'by construction'), paper/reported.yaml
Outputs: data_derived/stats/*.csv, pca_{soil,water}.json; paper/audit/statistics.{csv,md}
Paper:   Sect. 2.3.3, 3.1, 3.3 (Tables 7-8, Figs 5 and 8 read these outputs).
"""

from __future__ import annotations

from pathlib import Path

import tarimhm
from tarimhm.entry import argument_parser, guard
from tarimhm.stats.stage import run_statistics


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    args = ap.parse_args(argv)
    a = run_statistics(tarimhm.config.load(args.params), tarimhm.reported.load(), Path(__file__))
    ind = a[a.basis == "independent"]
    print(
        f"{(a.verdict == 'reproduced').sum()} of {len(a)} statistics reproduced; independent of the fit: "
        f"{(ind.verdict == 'reproduced').sum()} of {len(ind)}"
    )


if __name__ == "__main__":
    guard(main)
