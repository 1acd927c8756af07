"""Stage 061 - could the printed validation R² arise by chance? Nested LOSO, full-protocol permutation nulls, NNDM.

Inputs:  data_derived/imagery/{training_table.csv, mosaic, masks}, data_derived/rf/{search.json,metrics.csv},
         data_derived/sites/ensemble_{soil,water}.nc (reconstructed tables), paper/reported.yaml (Table 2, Table 4)
Outputs: data_derived/rf/{validation.csv, loso_predictions.csv, nndm_distances.csv, validation_nulls.npz};
         paper/audit/rf_validation.{csv,md} (per model: printed R², p on the printed split and with split
         selection, adjusted p, nested / non-nested LOSO R² with CI, baselines, NNDM, a one-line answer)
Paper:   Table 2, Table 4, Abstract; Sect. 3.2.1, 4.1.1 (the paper's own overfitting caveats).
"""

from __future__ import annotations

from pathlib import Path

import tarimhm
from tarimhm.entry import argument_parser, guard
from tarimhm.rf.stage import run_validation


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    ap.add_argument("--scheduler", default=None, help="dask.distributed scheduler address (tcp://host:8786)")
    args = ap.parse_args(argv)
    v = run_validation(
        tarimhm.config.load(args.params), tarimhm.reported.load(), Path(__file__), scheduler=args.scheduler
    )
    print(
        v[["medium", "metal", "printed_R2", "p_b", "p_c_adj", "LOSO_R2_nested", "p_a_adj", "beats_chance"]].to_string(
            index=False
        )
    )


if __name__ == "__main__":
    guard(main)
