"""Stage 061 - honest validation of the 10 RF models: leave-one-site-out, y-randomisation null, leave-region-out.

Inputs:  data_derived/imagery/training_table.csv, data_derived/rf/{search.json,metrics.csv}, site regions
Outputs: data_derived/rf/validation.csv, loso_predictions.csv; paper/audit/rf_validation.md (one-glance table)
Paper:   Sect. 3.2.1, 4.1.1 (the paper's own overfitting caveats).
"""

from __future__ import annotations

from pathlib import Path

import tarimhm
from tarimhm.entry import argument_parser, guard
from tarimhm.rf.stage import run_validation


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    args = ap.parse_args(argv)
    v = run_validation(tarimhm.config.load(args.params), Path(__file__))
    print(
        v[["medium", "metal", "holdout_R2_table2", "LOSO_R2", "null_p_value", "region_out_R2"]].to_string(index=False)
    )


if __name__ == "__main__":
    guard(main)
