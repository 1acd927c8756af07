"""Fig. 5 - heavy-metal content per site, soil (a) and river water (b), stacked by metal.

Inputs:  data_derived/stats/ (stage 05)
Outputs: figures/fig5_composition.pdf and .png (provenance in metadata and sidecar)
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
    for p in render_figure("fig5_composition", tarimhm.config.load(args.params), Path(__file__)):
        print(p)


if __name__ == "__main__":
    main()
