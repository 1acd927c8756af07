"""Fig. 10 - radar charts of soil HI per site and metal, children and adults.

Inputs:  data_derived/risk/<figures.risk_profile>/{site_summary,risk_long,igeo,hpi}.csv (stage 03)
Outputs: figures/fig10_hi_radar.pdf and .png (provenance in metadata and sidecar)
"""
from __future__ import annotations

import argparse
from pathlib import Path

import tarimhm
from tarimhm.riskfigs import render


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default=None)
    args = ap.parse_args(argv)
    for p in render("fig10_hi_radar", tarimhm.config.load(args.params), Path(__file__)):
        print(p)


if __name__ == "__main__":
    main()
