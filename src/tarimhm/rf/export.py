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

__all__ = ["save_forest", "load_forest", "predict_exported"]


def save_forest(pipe, path: Path | str, meta: dict) -> Path:
    path = Path(path)
    sc, rf = pipe.named_steps["scale"], pipe.named_steps["rf"]
    arrays = {"scale_min": sc.min_, "scale_scale": sc.scale_}
    offsets = [0]
    parts = {k: [] for k in ("left", "right", "feature", "threshold", "value")}
    for t in rf.estimators_:
        tr = t.tree_
        parts["left"].append(tr.children_left)
        parts["right"].append(tr.children_right)
        parts["feature"].append(tr.feature)
        parts["threshold"].append(tr.threshold)
        parts["value"].append(tr.value[:, 0, 0])
        offsets.append(offsets[-1] + tr.node_count)
    for k, v in parts.items():
        arrays[k] = np.concatenate(v)
    arrays["offsets"] = np.asarray(offsets, np.int64)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
    meta = dict(meta, n_trees=len(rf.estimators_), params=rf.get_params(), format="tarimhm-forest-1",
                features=list(getattr(pipe, "feature_names_in_", [])) or meta.get("features"))
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
    Xs = np.asarray(X, float) * forest["scale_scale"] + forest["scale_min"]   # MinMaxScaler.transform
    Xs = Xs.astype(np.float32)
    left, right, feat, thr, val, off = (forest[k] for k in ("left", "right", "feature", "threshold", "value",
                                                             "offsets"))
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
