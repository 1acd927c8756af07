"""Benchmark: the compiled map engine against scikit-learn in the same run, and the basin run by phase.

1. One model trained on n = 7 sites (the soil model with the largest table, the compiled path's
   worst case), on a fixed block of 20 M pixels cut from the mosaic: scikit-learn ``predict``
   (mean, n_jobs=2) against the compiled mean, and scikit-learn per-tree mean + variance against
   the compiled mean + variance (2 numba threads). Ratios are throughputs measured here, each
   against the scikit-learn row that computes the same outputs; the compiled outputs are checked
   bit for bit against scikit-learn.
2. The full 10-model basin run at the mosaic's resolution, into a temporary folder, split into
   read / compute / post-process / write (worker-seconds) and COG assembly (wall seconds).

``--quick`` times scikit-learn on 1 M of the 20 M pixels and skips the basin run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from rasterio.windows import Window

import tarimhm
from tarimhm import paths
from tarimhm.raster.compile import compile_model, dn_to_reflectance, forest_arrays, reference_mean_var
from tarimhm.rf.export import load_forest
from tarimhm.rf.inversion import FEATURES, fit_model


def _block(params, n_px: int) -> np.ndarray:
    """A fixed block of n_px pixels from the centre of the mosaic (repeated if the mosaic is smaller)."""
    with rasterio.open(paths.mosaic(params.imagery.resolution_m, params.imagery.source)) as src:
        h = min(src.height, 4000)
        w = min(src.width, -(-n_px // h))
        r0, c0 = (src.height - h) // 2, (src.width - w) // 2
        dn = src.read(window=Window(c0, r0, w, h)).reshape(4, -1)
    valid = dn[:, (dn != 0).all(axis=0)]
    return np.resize(valid, (4, n_px)).reshape(4, 1, n_px)


def _rate(fn, n_px: int, repeat: int = 1) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return n_px / best / 1e6, out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default=None)
    ap.add_argument("--quick", action="store_true", help="scikit-learn on 1 M pixels; no basin run")
    ap.add_argument("--pixels", type=float, default=20e6, help="block size in pixels (default 20 M)")
    args = ap.parse_args(argv)
    params = tarimhm.config.load(args.params)
    rep = tarimhm.reported.load()
    n_px = int(args.pixels)
    table = pd.read_csv(paths.training_table())
    search = json.loads((paths.rf_dir() / "search.json").read_text())["searches"]
    models = paths.rf_dir() / "models"
    cands = []
    for m in ("As", "Cd", "Pb", "Cu", "Zn"):
        if len(rep.splits.soil[m].train) == 7:
            cm = compile_model(load_forest(models / f"soil_{m}.npz"), max_cells=params.maps.max_table_cells)
            cands.append((cm.n_cells, m, cm))
    n_cells, metal, cm = max(cands, key=lambda t: t[0])
    sp = rep.splits.soil[metal]
    d = table[table.medium == "soil"].set_index("site_id")
    pipe = fit_model(
        d.loc[sp.train, FEATURES].to_numpy(float),
        d.loc[sp.train, metal].to_numpy(float),
        search[f"soil_{metal}"]["best_params"],
        params.rf.seed,
    )
    exported = load_forest(models / f"soil_{metal}.npz")
    same = all(np.array_equal(v, exported[k]) for k, v in forest_arrays(pipe).items())
    n_trees = len(pipe.named_steps["rf"].estimators_)
    print(
        f"model soil {metal}: n = 7, {n_trees} trees, refit identical to the exported forest: {same}; "
        f"compiled path: {cm.path}, {n_cells} cells"
    )
    dn = _block(params, n_px)
    n_sk = 1_000_000 if args.quick else n_px
    X = dn_to_reflectance(dn[:, 0, :n_sk].T)
    pipe.named_steps["rf"].n_jobs = 2
    r_sk, _ = _rate(lambda: pipe.predict(X), n_sk)
    pipe.named_steps["rf"].n_jobs = 1
    r_tree, ref = _rate(lambda: reference_mean_var(pipe, X), n_sk)
    for k in (1, 2):  # compile the kernels outside the timing
        cm.predict(dn[:, :, :1000], np.float32, outputs=k)
    # steady state (output buffer reused, as a streaming caller does) and with a new array per call
    # (its page faults cost about as much as the lookup itself)
    buf1, buf2 = np.empty((1,) + dn.shape[1:], np.float32), np.empty((2,) + dn.shape[1:], np.float32)
    r_c1, _ = _rate(lambda: cm.predict(dn, np.float32, outputs=1, out=buf1), n_px, repeat=5)
    r_c2, _ = _rate(lambda: cm.predict(dn, np.float32, outputs=2, out=buf2), n_px, repeat=5)
    r_c1a, _ = _rate(lambda: cm.predict(dn, np.float32, outputs=1), n_px, repeat=5)
    r_c2a, _ = _rate(lambda: cm.predict(dn, np.float32, outputs=2), n_px, repeat=5)
    exact = cm.predict(dn[:, :, :n_sk], np.float64, outputs=2)
    bit = np.array_equal(exact[0, 0], ref[:, 0]) and np.array_equal(exact[1, 0], ref[:, 1])
    print(
        f"\nblock: {n_px / 1e6:.0f} M pixels (scikit-learn timed on {n_sk / 1e6:.0f} M); "
        "ratios against the scikit-learn row computing the same outputs"
    )
    print(f"{'path':48s} {'Mpx/s':>9s} {'ratio':>9s}")
    print(f"{'scikit-learn predict, mean (n_jobs=2)':48s} {r_sk:9.3f} {1:9.0f}")
    print(f"{'compiled ' + cm.path + ', mean (2 threads)':48s} {r_c1:9.1f} {r_c1 / r_sk:9.0f}")
    print(f"{'  same, new output array per call':48s} {r_c1a:9.1f} {r_c1a / r_sk:9.0f}")
    print(f"{'scikit-learn per-tree mean + variance':48s} {r_tree:9.3f} {1:9.0f}")
    print(f"{'compiled ' + cm.path + ', mean + variance (2 threads)':48s} {r_c2:9.1f} {r_c2 / r_tree:9.0f}")
    print(f"{'  same, new output array per call':48s} {r_c2a:9.1f} {r_c2a / r_tree:9.0f}")
    print(
        f"compiled mean + variance vs scikit-learn predict (mean only): {r_c2 / r_sk:.0f}x; "
        f"bit-identical to scikit-learn (mean and variance): {bit}"
    )
    print(
        f"10 models x {n_px / 1e6:.0f} M px at these rates: scikit-learn {10 * n_px / r_sk / 1e6 / 3600:.1f} h "
        f"(+ per-tree variance {10 * n_px / r_tree / 1e6 / 3600:.1f} h), compiled {10 * n_px / r_c2 / 1e6:.1f} s"
    )
    if args.quick:
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for sub in ("imagery", "rf"):
            (tmp / sub).symlink_to(paths.DATA_DERIVED / sub)
        real = paths.DATA_DERIVED, paths.AUDIT
        paths.DATA_DERIVED, paths.AUDIT = tmp, tmp / "audit"  # the run's outputs, audits included, stay in tmp
        try:
            from tarimhm.maps.stage import run_maps

            run_maps(params, rep, Path(__file__))
            t = json.loads((tmp / "maps" / "timings.json").read_text())
        finally:
            paths.DATA_DERIVED, paths.AUDIT = real
    print(f"\nbasin, 10 models at {params.imagery.resolution_m:g} m, {t['workers']} workers, tile {t['tile']}:")
    print(
        f"{'medium':8s} {'tiles':>6s} {'read':>7s} {'compute':>8s} {'post':>7s} {'write':>7s} {'tiles wall':>11s} "
        f"{'COG':>6s}"
    )
    for med, v in t["media"].items():
        print(
            f"{med:8s} {v['tiles_computed']:6d} {v['read']:7.1f} {v['compute']:8.1f} {v['post']:7.1f} "
            f"{v['write']:7.1f} {v['tiles_wall_s']:11.1f} {v['assemble_s']:6.1f}"
        )
    print(
        f"compile {t['compile_s']:.1f} s; total {t['wall_s']:.0f} s wall; peak RSS {t['peak_rss_mb']['self']:.0f} MB "
        f"(largest worker {t['peak_rss_mb']['largest_child']:.0f} MB). read/compute/post/write are summed "
        "worker-seconds."
    )


if __name__ == "__main__":
    main()
