"""Fig. S1 (supplementary, not in the paper) - normal Q-Q plots of raw and log10 concentrations.

Inputs:  data_derived/stats/composition_{soil,water}.csv (stage 05)
Outputs: figures/figS1_qq.pdf and .png
Paper:   Sect. 2.3.3 says Q-Q plots were inspected but does not show them.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import tarimhm
from tarimhm.statsfigs import render_figure


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default=None)
    args = ap.parse_args(argv)
    for p in render_figure("figS1_qq", tarimhm.config.load(args.params), Path(__file__)):
        print(p)


if __name__ == "__main__":
    main()
