"""Fitted forests as plain arrays (npz + JSON metadata), never pickles.

Each tree is stored as its node arrays (children_left, children_right, feature, threshold,
value); the Min-Max scaler as ``data_min_`` and ``scale_``. :func:`predict_exported` walks the
trees with numpy exactly as scikit-learn does (features cast to float32, ``x <= threshold``
goes left, tree outputs summed in order then divided by the tree count), so predictions are
bit-identical (tested).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..provenance import atomic_path
from ..raster.compile import forest_arrays

__all__ = ["forest_arrays", "save_forest", "load_forest", "predict_exported", "save_loo", "load_loo"]

_KEYS = ("scale_min", "scale_scale", "left", "right", "feature", "threshold", "value", "offsets")


def _savez(path: Path, arrays: dict) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)


def save_forest(pipe, path: Path | str, meta: dict) -> Path:
    path = Path(path)
    rf = pipe.named_steps["rf"]
    _savez(path, forest_arrays(pipe))
    meta = dict(
        meta,
        n_trees=len(rf.estimators_),
        params=rf.get_params(),
        format="tarimhm-forest-1",
        features=list(getattr(pipe, "feature_names_in_", [])) or meta.get("features"),
    )
    with atomic_path(path.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n")
    return path


def load_forest(path: Path | str) -> dict:
    path = Path(path)
    with np.load(path, allow_pickle=False) as z:
        d = {k: z[k] for k in z.files}
    d["meta"] = json.loads(path.with_suffix(".json").read_text())
    return d


def predict_exported(forest: dict, X) -> np.ndarray:
    """Mean prediction of the exported forest (bit-identical to the scikit-learn pipeline)."""
    Xs = np.asarray(X, float) * forest["scale_scale"] + forest["scale_min"]  # MinMaxScaler.transform
    Xs = Xs.astype(np.float32)
    left, right, feat, thr, val, off = (
        forest[k] for k in ("left", "right", "feature", "threshold", "value", "offsets")
    )
    y = np.zeros(len(Xs))
    rows = np.arange(len(Xs))
    for t in range(len(off) - 1):
        node = np.full(len(Xs), off[t])
        while True:
            leaf = left[node] == -1
            if leaf.all():
                break
            f = feat[node]
            go_left = Xs[rows, np.where(leaf, 0, f)] <= thr[node]
            nxt = np.where(go_left, left[node], right[node]) + off[t]
            node = np.where(leaf, node, nxt)
        y += val[node]
    return y / (len(off) - 1)


def save_loo(pipes: list, resid, path: Path | str) -> Path:
    """The jackknife+ leave-one-out forests of a model and their residuals |y_i - mu_-i(x_i)|, one npz."""
    arrays = {"loo_resid": np.asarray(resid, float), "n_loo": np.asarray(len(pipes))}
    for i, p in enumerate(pipes):
        arrays.update({f"loo{i}_{k}": v for k, v in forest_arrays(p).items()})
    _savez(Path(path), arrays)
    return Path(path)


def load_loo(path: Path | str) -> tuple[list[dict], np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        n = int(z["n_loo"])
        return [{k: z[f"loo{i}_{k}"] for k in _KEYS} for i in range(n)], z["loo_resid"]
