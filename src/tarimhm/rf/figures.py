"""Fig. 4 (permutation importance) and Fig. V1 (the validation nulls), drawn from the saved outputs of stages 060-061 only."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import paths
from ..config import Params
from ..domain import TABLE_METALS as METALS
from ..provenance import read_sidecar
from ..viz.figures import Drawn

__all__ = ["fig4", "figV1"]


def fig4(params: Params) -> Drawn:
    """Fig. 4: permutation importance of the four bands per model (0-1 within each model)."""
    f = paths.require(paths.rf_dir() / "importance.csv", "rf")
    imp = pd.read_csv(f)
    status = read_sidecar(f)["data_status"]
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 2.8), sharey=True)
    bands = ["B02", "B03", "B04", "B08"]
    labels = {"B02": "B2 blue", "B03": "B3 green", "B04": "B4 red", "B08": "B8 NIR"}
    for k, med in enumerate(("soil", "water")):
        piv = imp[imp.medium == med].pivot(index="metal", columns="band", values="importance_norm")
        piv = piv.reindex(index=list(METALS), columns=bands)
        x = np.arange(len(METALS))
        w = 0.2
        for j, b in enumerate(bands):
            axes[k].bar(
                x + (j - 1.5) * w,
                piv[b].to_numpy(),
                width=w,
                label=labels[b],
                color=["#0072B2", "#009E73", "#D55E00", "#CC79A7"][j],
            )
        axes[k].set_xticks(x, METALS)
        axes[k].set_title(f"({'ab'[k]}) {'Soil' if med == 'soil' else 'River water'}")
    axes[0].set_ylabel("permutation importance\n(0-1, most important band = 1)")
    axes[1].legend(frameon=False, fontsize=6)
    fig.tight_layout()
    return Drawn(
        fig, [f], status, "Fig. 4 permutation importance", "Fig. 4 permutation importance on the training sites"
    )


def figV1(params: Params) -> Drawn:
    """Fig. V1: the no-signal distributions of stage 061 beside the paper's printed R² and ours.

    Per model, the null (c) (best hold-out R² over every 7/3 or 6/3 split) and the null (b) (the printed
    split) as empirical CDFs, the printed R² as a vertical line with its adjusted p (c), and our nested
    LOSO R² as a tick. An undefined null R² is drawn at 1 (the nulls count it as exceeding). Read from ``data_derived/rf/validation_nulls.npz`` and ``validation.csv``.
    """
    f_v = paths.require(paths.rf_dir() / "validation.csv", "rf-validation")
    f_n = paths.require(paths.rf_dir() / "validation_nulls.npz", "rf-validation")
    v = pd.read_csv(f_v, comment="#").set_index(["medium", "metal"])
    status = read_sidecar(f_v)["data_status"]
    fig, axes = plt.subplots(2, len(METALS), figsize=(7.0, 3.4), sharex=True, sharey=True)
    with np.load(f_n, allow_pickle=False) as z:
        for i, med in enumerate(("soil", "water")):
            for j, m in enumerate(METALS):
                ax, r = axes[i, j], v.loc[(med, m)]
                for key, colour, label in (
                    ("null_b", "#56B4E9", "printed split (b)"),
                    ("null_c", "#E69F00", "best split (c)"),
                ):
                    x = np.sort(np.clip(np.nan_to_num(z[f"{key}_{med}_{m}"], nan=1.0), -1.0, 1.0))
                    if len(x):
                        ax.step(x, np.arange(1, len(x) + 1) / len(x), where="post", color=colour, lw=0.9, label=label)
                ax.axvline(r.printed_R2, color="#000000", lw=0.8, ls="--", label="printed R²")
                if np.isfinite(r.LOSO_R2_nested):
                    ax.plot([max(r.LOSO_R2_nested, -1.0)], [0.04], marker="v", ms=3, color="#CC79A7", ls="none",
                            label="our nested LOSO R²")  # fmt: skip
                ax.set_title(f"{med} {m}: p(c) adj. {r.p_c_adj:.2g}", fontsize=6)
                ax.set_xlim(-1.0, 1.0)
                ax.tick_params(labelsize=5)
        for ax in axes[1]:
            ax.set_xlabel("R² (clipped to [-1, 1])", fontsize=6)
        for ax in axes[:, 0]:
            ax.set_ylabel("share of permutations ≤ R²", fontsize=6)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, frameon=False, fontsize=6, loc="lower center", bbox_to_anchor=(0.5, 0.06), ncol=4)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return Drawn(
        fig,
        [f_v, f_n],
        status,
        "Fig. V1 permutation nulls of the validation R²",
        "Fig. V1 no-signal R² of the paper's protocol (stage 061) beside the printed R²",
        sections=("validation",),
    )
