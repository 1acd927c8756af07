"""Benchmark: naive GridSearchCV vs the deduplicated search (identical scores), same run, 10 models.

Prints per model the wall time of both, their ratio and whether the CV scores are bitwise equal.
`--quick` uses a reduced grid (for a first look); the default is the full grid of params.yaml
(the naive search then fits 525 forests per model and takes a while).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import tarimhm
from tarimhm import paths
from tarimhm.rf import FEATURES, dedup_search, naive_search


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default=None)
    ap.add_argument("--quick", action="store_true", help="grid n_estimators [10, 50], depth [10, 30], leaf [1, 3, 5]")
    args = ap.parse_args(argv)
    params = tarimhm.config.load(args.params)
    rep = tarimhm.reported.load()
    table = pd.read_csv(paths.training_table())
    grid = (
        {"n_estimators": [10, 50], "max_depth": [10, 30], "min_samples_leaf": [1, 3, 5]}
        if args.quick
        else {k: list(v) for k, v in params.rf.grid.model_dump().items()}
    )
    print(f"grid: {grid}")
    print(f"{'model':10s} {'naive s':>9s} {'dedup s':>9s} {'ratio':>7s} {'fits':>11s} identical")
    tn = td = 0.0
    for med in ("soil", "water"):
        for m in ("As", "Cd", "Pb", "Cu", "Zn"):
            sp = getattr(rep.splits, med)[m]
            d = table[table.medium == med].set_index("site_id")
            X, y = d.loc[sp.train, FEATURES].to_numpy(float), d.loc[sp.train, m].to_numpy(float)
            t0 = time.perf_counter()
            gs = naive_search(X, y, grid, params.rf.seed)
            t1 = time.perf_counter()
            dd = dedup_search(X, y, grid, params.rf.seed)
            t2 = time.perf_counter()
            same = np.array_equal(gs.cv_results_["mean_test_score"], dd["mean_test_score"])
            tn, td = tn + t1 - t0, td + t2 - t1
            print(
                f"{med + '_' + m:10s} {t1 - t0:9.2f} {t2 - t1:9.2f} {(t1 - t0) / (t2 - t1):7.1f} "
                f"{dd['n_fits']:4d}/{dd['n_fits_naive']:<5d}  {same}",
                flush=True,
            )
    print(f"{'all':10s} {tn:9.2f} {td:9.2f} {tn / td:7.1f}")


if __name__ == "__main__":
    main()
