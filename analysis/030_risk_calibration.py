"""Stage 030 - which documented parameter choices reproduce the paper's soil HI/CR ranges.

Inputs:  paper/reported.yaml, analysis/calibration_grid.yaml, analysis/profiles/*.yaml
Outputs: data_derived/risk/calibration.csv (every combination, best first)
Paper:   Sect. 3.4.2 (HI and CR ranges per metal and group), Sect. 3.4.1 (Igeo ranges), Table 9.
"""

from __future__ import annotations

from pathlib import Path

import tarimhm
from tarimhm.entry import argument_parser, guard
from tarimhm.risk.stage import run_calibration


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    args = ap.parse_args(argv)
    df = run_calibration(tarimhm.config.load(args.params), tarimhm.reported.load(), Path(__file__))
    best = df.iloc[0]
    print("best combination:", {k: best[k] for k in df.columns if k not in ("rank",)})


if __name__ == "__main__":
    guard(main)
