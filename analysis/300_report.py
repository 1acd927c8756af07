"""Reproduction report - every table, figure and printed number of the paper with its verdict.

Inputs:  paper/audit/{statistics,risk,rf,maps_soil,maps_water,exposure,sensitivity,geography}.csv (whichever exist),
         paper/reported.yaml, paper/elements.yaml, data_derived/sites/{soil,water}.csv
Outputs: paper/REPORT.md, paper/audit/numbers.csv, paper/audit/elements.csv
"""

import argparse
from pathlib import Path

import tarimhm.config
import tarimhm.reported
from tarimhm.report import render_report

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default=None, help="parameter file (default analysis/params.yaml)")
    args = ap.parse_args()
    for f in render_report(tarimhm.config.load(args.params), tarimhm.reported.load(), Path(__file__)):
        print(f)
