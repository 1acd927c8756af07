"""Table 7 - varimax-rotated loadings, eigenvalues and variance of the soil PCA, paper beside this work.

Inputs:  data_derived/stats/pca_*.json (stage 05), paper/reported.yaml
Outputs: paper/tables/tab7_pca_soil.csv (long, with differences) and .tex
"""
from __future__ import annotations

import argparse
from pathlib import Path

import tarimhm
from tarimhm.statsfigs import render_table


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default=None)
    args = ap.parse_args(argv)
    for p in render_table("tab7_pca_soil", tarimhm.config.load(args.params), tarimhm.reported.load(), Path(__file__)):
        print(p)


if __name__ == "__main__":
    main()
