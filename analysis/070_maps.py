"""Stage 070 - basin-wide heavy-metal maps: compiled exact forests, tiled prediction, COGs.

Inputs:  data_derived/imagery/{surrogate|s2l2a}_<res>m.tif, masks_<res>m.tif, training_table.csv;
         data_derived/rf/models/<medium>_<metal>{.npz,_loo.npz,_aoa.npz}; paper/reported.yaml (class breaks);
         analysis/params.yaml (maps, rf.interval_level)
Outputs: data_derived/maps/<medium>_maps.tif (COG: mean, spread, lower, upper, DI per metal),
         <medium>_aoa.tif (COG: AOA per metal), <medium>_summary.json (class counts), timings.json,
         <medium>_classes.csv (Tables 5-6 rows), paper/audit/maps_<medium>.csv,
         compiled/<medium>_<metal>.npz (+ .json: which path ran, cells, cuts)
Paper:   Sect. 2.3.1 (4), 3.2.2-3.2.3; Tables 5-6, Figs 6-7.

Run the tiles on a dask.distributed cluster with ``--scheduler tcp://HOST:8786`` (every path must
be visible to the workers). An interrupted run resumes: finished tiles are not redone.
"""

from __future__ import annotations

import json
from pathlib import Path

import tarimhm
from tarimhm import paths
from tarimhm.entry import argument_parser, guard
from tarimhm.maps.stage import run_maps


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    ap.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="dask.distributed scheduler address (default: local processes)",
    )
    args = ap.parse_args(argv)
    run_maps(tarimhm.config.load(args.params), tarimhm.reported.load(), Path(__file__), scheduler=args.scheduler)
    t = json.loads((paths.maps_dir() / "timings.json").read_text())
    for med, v in t["media"].items():
        print(
            f"{med}: {v['tiles_computed']} tiles, read {v['read']:.0f} s, compute {v['compute']:.0f} s, "
            f"post {v['post']:.0f} s, write {v['write']:.0f} s (worker-seconds); COG {v['assemble_s']:.0f} s"
        )
    print(
        f"total {t['wall_s']:.0f} s wall; compile {t['compile_s']:.1f} s; "
        f"peak RSS {t['peak_rss_mb']['self']:.0f} MB (largest worker {t['peak_rss_mb']['largest_child']:.0f} MB)"
    )


if __name__ == "__main__":
    guard(main)
