"""Compiled models on disk: one npz of plain arrays (no pickles) plus a JSON of metadata.

Format ``tarimhm-compiled-2``: jackknife+ residuals on ln C (``node_loo_resid`` = |ln y_i - ln mu_-i(x_i)|)
and the AOA arrays only where the model has an AOA (``aoa_defined``). Files of another format are refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..provenance import atomic_path, atomic_write_text
from .compile import RESIDUAL_SCALE, CompiledModel, DIModel, compile_di

__all__ = ["save_compiled", "load_compiled"]

_NODE_KEYS = ("left", "right", "band", "cut", "value", "tree_start", "forest_trees", "loo_resid")
_AOA_KEYS = ("mean", "sd", "weights", "train_scaled", "d_bar", "threshold")
FORMAT = "tarimhm-compiled-2"


def save_compiled(cm: CompiledModel, aoa: dict | None, meta: dict, path: Path | str) -> Path:
    """``aoa``: the ``*_aoa.npz`` arrays; None or ``aoa_defined`` False for a model without an AOA."""
    path = Path(path)
    defined = aoa is not None and bool(aoa.get("aoa_defined", True))
    arrays = {f"node_{k}": cm.nodes[k] for k in _NODE_KEYS}
    arrays.update({f"cuts_{b}": c for b, c in enumerate(cm.cuts)})
    if defined:
        arrays.update({f"aoa_{k}": np.asarray(aoa[k]) for k in _AOA_KEYS})
    if cm.path == "table":
        arrays.update(luts=cm.luts, table=cm.table)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
    body = dict(
        meta,
        **cm.summary(),
        k_lo=cm.nodes["k_lo"],
        k_hi=cm.nodes["k_hi"],
        residual_scale=RESIDUAL_SCALE,
        aoa_defined=defined,
        aoa_note="" if aoa is None else str(aoa.get("aoa_note", "")),
        format=FORMAT,
    )
    atomic_write_text(path.with_suffix(".json"), json.dumps(body, indent=2, sort_keys=True, default=str) + "\n")
    return path


def load_compiled(path: Path | str) -> tuple[CompiledModel, DIModel, dict]:
    path = Path(path)
    meta = json.loads(path.with_suffix(".json").read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(
            f"{path}: format: {meta.get('format')!r} is not {FORMAT!r} (compiled before the jackknife+ moved to "
            "ln C); re-run the maps stage to recompile it"
        )
    with np.load(path, allow_pickle=False) as z:
        nodes = {k: z[f"node_{k}"] for k in _NODE_KEYS}
        nodes.update(k_lo=int(meta["k_lo"]), k_hi=int(meta["k_hi"]))
        cuts = [z[f"cuts_{b}"] for b in range(len(meta["cuts_per_band"]))]
        aoa = (
            {k: z[f"aoa_{k}"] for k in _AOA_KEYS}
            if meta["aoa_defined"]
            else {"aoa_defined": False, "aoa_note": meta["aoa_note"]}
        )
        cm = CompiledModel(
            path=meta["path"],
            cuts=cuts,
            n_cells=int(meta["n_cells"]),
            nodes=nodes,
            n_loo=int(meta["n_loo_forests"]),
            level=meta["interval_level"],
        )
        if cm.path == "table":
            cm.luts, cm.table = z["luts"], z["table"]
    return cm, compile_di(aoa), meta
