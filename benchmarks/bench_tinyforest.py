"""Benchmark: the tiny-n tree grower (tarimhm.rf.tinyforest) vs scikit-learn, and the batched full protocol.

1. Trees per second: scikit-learn's pipeline fit (MinMaxScaler + RandomForestRegressor, n_jobs=1, 500 trees) vs
   the numba grower on the same bootstrap samples (grow + predict one row), for every min_samples_leaf of the
   grid, on the 9 training rows of a LOSO split; the per-tree predictions are checked bitwise.
2. protocol_predict (leave-one-out grid search, refit, predict) with the grid of params.yaml for B = 99
   permutations of y x 10 LOSO splits (n = 10), B = 99 x one 7/3 split and B = 19 x all C(10, 3) = 120 7/3 splits
   (the split-selection null), each with forests shared across splits (``share=True``, the default) and with the
   per-split kernel (``share=False``, every fold of every split grown; the same bytes, checked); one
   (permutation, split) of scikit-learn's protocol (dedup_search + fit_model) is timed for reference and checked
   equal; times extrapolated to B = 999.

Data: the first 10 soil sites of the training table when it exists, else 10 synthetic sites (seeded).
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np
import pandas as pd

import tarimhm
from tarimhm import paths
from tarimhm.rf import FEATURES, dedup_search, fit_model
from tarimhm.rf import tinyforest as tf
from tarimhm.rf.inversion import _tree_preds, make_pipeline
from tarimhm.rf.nulls import holdout_splits


def _data(n: int = 10):
    path = paths.training_table()
    if path.exists():
        d = pd.read_csv(path)
        d = d[d.medium == "soil"].dropna(subset=[*FEATURES, "As"]).head(n)
        if len(d) == n:
            return d[FEATURES].to_numpy(float), d["As"].to_numpy(float), f"{path.name}: soil As, first {n} sites"
    rng = np.random.default_rng(2026)
    X = rng.uniform(0.02, 0.35, (n, len(FEATURES)))
    y = rng.lognormal(2.5, 0.6, n)
    return X, y, f"synthetic: {n} sites, {len(FEATURES)} bands (training table not found)"


def _trees_per_second(X, y, seed, leaves, n_trees=500):
    Xtr, ytr, xq = X[1:], y[1:], X[:1]
    counts, rr = tf._weights_plan(seed, len(ytr), n_trees)  # float64 sample weights, as the trees get them
    X32, xq32 = tf._scaled32(Xtr, xq)
    tf._forest_kernel(X32, ytr, xq32, counts, rr, 1, tf.MAX_DEPTH_NONE)  # compile / load from cache
    print(f"{'leaf':>4s} {'sklearn trees/s':>16s} {'tiny trees/s':>13s} {'ratio':>7s} identical")
    for leaf in leaves:
        t0 = time.perf_counter()
        pipe = make_pipeline(seed, n_estimators=n_trees, min_samples_leaf=leaf).fit(Xtr, ytr)
        t_sk = time.perf_counter() - t0
        reps = 20
        t0 = time.perf_counter()
        for _ in range(reps):
            got = tf._forest_kernel(X32, ytr, xq32, counts, rr, leaf, tf.MAX_DEPTH_NONE)
        t_tiny = (time.perf_counter() - t0) / reps
        same = np.array_equal(got, _tree_preds(pipe, xq))
        print(f"{leaf:4d} {n_trees / t_sk:16.0f} {n_trees / t_tiny:13.0f} {t_sk / t_tiny:7.0f} {same}", flush=True)


def _protocol(name, X, Y, tr, te, grid, seed, n_big=999):
    args = (grid["n_estimators"], grid["max_depth"], grid["min_samples_leaf"], seed)
    B, S = len(Y), len(tr)
    times, preds = {}, {}
    for share in (False, True):
        t0 = time.perf_counter()
        preds[share] = tf.protocol_predict(X, Y, tr, te, *args, share=share)
        times[share] = time.perf_counter() - t0
    t1 = time.perf_counter()
    dd = dedup_search(X[tr[0]], Y[0, tr[0]], grid, seed)
    ref = fit_model(X[tr[0]], Y[0, tr[0]], dd["best_params"], seed).predict(X[te[0]])
    t_sk = time.perf_counter() - t1
    same = np.array_equal(preds[True][0, 0], ref) and preds[True].tobytes() == preds[False].tobytes()
    t, t0 = times[True], times[False]
    print(
        f"{name:13s} B={B:3d} x S={S:3d}: per-split {t0:6.1f} s ({1e3 * t0 / (B * S):5.2f} ms per (b, s)) -> shared "
        f"{t:6.1f} s ({1e3 * t / (B * S):5.2f} ms), x{t0 / t:4.1f} ({numba.get_num_threads()} threads) | B={n_big}: "
        f"~{t0 * n_big / B / 60:5.1f} -> ~{t * n_big / B / 60:5.1f} min | sklearn, one (b, s): {t_sk:4.1f} s, "
        f"B={n_big}: ~{t_sk * n_big * S / 3600:6.1f} h on one core | identical {same}",
        flush=True,
    )


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default=None)
    ap.add_argument("--perms", type=int, default=99, help="permutations B (default 99)")
    args = ap.parse_args(argv)
    params = tarimhm.config.load(args.params)
    grid = {k: list(v) for k, v in params.rf.grid.model_dump().items()}
    seed = params.rf.seed
    X, y, what = _data(10)
    n = len(y)
    print(f"data: {what}; grid: {grid}; seed {seed}; numba threads {numba.get_num_threads()}")
    _trees_per_second(X, y, seed, grid["min_samples_leaf"])
    rng = np.random.default_rng(seed)
    Y = np.array([y[rng.permutation(n)] for _ in range(args.perms)])
    loso_tr = np.array([np.delete(np.arange(n), i) for i in range(n)])
    loso_te = np.arange(n)[:, None]
    t0 = time.perf_counter()
    tf.protocol_predict(X, Y[:1], loso_tr[:1], loso_te[:1], [2], [None], [1], seed)  # compile / load from cache
    print(f"protocol kernel ready in {time.perf_counter() - t0:.1f} s (compile on the first run, else numba's cache)")
    _protocol("LOSO n=10", X, Y, loso_tr, loso_te, grid, seed)
    p = rng.permutation(n)
    _protocol("one 7/3 split", X, Y, np.sort(p[:7])[None], p[7:][None], grid, seed)
    all_tr, all_te = holdout_splits(n, 3)
    _protocol("all 7/3 (120)", X, Y[: max(1, args.perms // 5)], all_tr, all_te, grid, seed)


if __name__ == "__main__":
    main()
