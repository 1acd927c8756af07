"""Stage 050 - the Sentinel-2 mosaic (offline: surrogate) and the paired training table.

Inputs:  analysis/params.yaml (imagery), data_raw/geo/*, data_derived/sites/{soil,water}.csv
Outputs: data_derived/imagery/surrogate_<res>m.tif (4-band uint16, DN = 10000 x reflectance) and
         _classes.tif (land cover, for snow/water masks); data_derived/imagery/training_table.csv
         (sites x B02/B03/B04/B08 + metals, with the data status of both halves)
Paper:   Sect. 2.3.1 (1)-(2).
"""

from __future__ import annotations

from pathlib import Path

import tarimhm
from tarimhm.entry import argument_parser, guard
from tarimhm.imagery.stage import run_imagery


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    args = ap.parse_args(argv)
    t = run_imagery(tarimhm.config.load(args.params), Path(__file__))
    print(f"training table: {len(t)} sites; data status {sorted(set(t.data_status))}")


if __name__ == "__main__":
    guard(main)
