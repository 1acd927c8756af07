"""Fig. 4 (permutation importance), drawn from the saved outputs of stage 060 only."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import paths
from ..config import Params
from ..domain import TABLE_METALS as METALS
from ..provenance import read_sidecar
from ..viz.figures import Drawn

__all__ = ["fig4"]


def fig4(params: Params) -> Drawn:
    """Fig. 4: permutation importance of the four bands per model (0-1 within each model)."""
    f = paths.require(paths.rf_dir() / "importance.csv", "rf")
    imp = pd.read_csv(f)
    status = read_sidecar(f)["data_status"]
    fig, axes = plt.subplots(1, 2, figsize=(7.2, 2.8), sharey=True)
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
