"""Stage 060 - the paper's Random-Forest inversion: 10 models on the Table 2 splits.

Inputs:  data_derived/imagery/training_table.csv, paper/reported.yaml (Table 2 splits), analysis/params.yaml (rf)
Outputs: data_derived/rf/metrics.csv (validation MAE/RMSE/R2, chosen hyper-parameters, degenerate flag),
         importance.csv (permutation importance, Fig. 4), search.json, models/<medium>_<metal>.npz (+ .json);
         paper/audit/rf.csv (Table 4 audit)
Paper:   Sect. 2.3.1 (3), 3.2.1; Table 2, Table 4, Fig. 4.
"""

from __future__ import annotations

from pathlib import Path

import tarimhm
from tarimhm.entry import argument_parser, guard
from tarimhm.rf.stage import run_rf


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    args = ap.parse_args(argv)
    m = run_rf(tarimhm.config.load(args.params), tarimhm.reported.load(), Path(__file__))
    print(m[["medium", "metal", "MAE", "RMSE", "R2", "degenerate", "n_fits", "n_fits_naive"]].to_string(index=False))


if __name__ == "__main__":
    guard(main)
