"""Reproduction report - every table, figure and printed number of the paper with its verdict.

Inputs:  paper/audit/{statistics,risk,rf,maps_soil,maps_water,exposure,sensitivity,geography}.csv (whichever exist),
         paper/reported.yaml, paper/elements.yaml, data_derived/sites/{soil,water}.csv
Outputs: paper/REPORT.md, paper/audit/numbers.csv, paper/audit/elements.csv
"""

from pathlib import Path

import tarimhm.config
import tarimhm.reported
from tarimhm.entry import argument_parser, guard
from tarimhm.report import render_report


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    args = ap.parse_args(argv)
    for f in render_report(tarimhm.config.load(args.params), tarimhm.reported.load(), Path(__file__)):
        print(f)


if __name__ == "__main__":
    guard(main)
