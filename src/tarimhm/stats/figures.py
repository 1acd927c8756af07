"""Figures 5, 8 and S1 (Sect. 2.3.3, 3.1, 3.3), drawn from the saved outputs of stage 020 only."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import paths
from ..config import Params
from ..domain import METALS
from ..provenance import read_sidecar
from ..viz.figures import METAL_COLORS, Drawn, stacked_bars

__all__ = ["fig5", "fig8", "figS1", "load"]


def load(name: str) -> tuple[Path, pd.DataFrame | dict]:
    """A saved output of the statistics stage: (path, frame or JSON dict)."""
    f = paths.require(paths.stats_dir() / name, "statistics")
    return f, (json.loads(f.read_text()) if f.suffix == ".json" else pd.read_csv(f))


def _drawn(fig, inputs, caption) -> Drawn:
    return Drawn(fig, inputs, read_sidecar(inputs[0])["data_status"], caption, caption)


def fig5(params: Params) -> Drawn:
    """Fig. 5 heavy-metal content by site."""
    inputs, fig = [], plt.figure(figsize=(7.0, 3.0))
    for k, (med, unit) in enumerate((("soil", "mg/kg"), ("water", "µg/L"))):
        f, d = load(f"composition_{med}.csv")
        inputs.append(f)
        ax = fig.add_subplot(1, 2, k + 1)
        stacked_bars(ax, d.set_index("site_id")[list(METALS)], METAL_COLORS, ylabel=f"concentration ({unit})")
        ax.set_title(f"({'ab'[k]}) {'Soil' if med == 'soil' else 'River water'}: ΣHMs by site")
        if k == 0:
            ax.legend(frameon=False, ncol=5, fontsize=6, loc="upper right")
    fig.tight_layout()
    return _drawn(fig, inputs, "Fig. 5 heavy-metal content by site")


def fig8(params: Params) -> Drawn:
    """Fig. 8 Pearson correlations."""
    inputs, fig = [], plt.figure(figsize=(7.0, 3.3))
    for k, med in enumerate(("soil", "water")):
        f, c = load(f"correlations_{med}.csv")
        inputs.append(f)
        r = pd.DataFrame(np.eye(5), index=list(METALS), columns=list(METALS))
        p = pd.DataFrame(np.zeros((5, 5)), index=list(METALS), columns=list(METALS))
        for row in c.itertuples():
            r.loc[row.a, row.b] = r.loc[row.b, row.a] = row.pearson_r
            p.loc[row.a, row.b] = p.loc[row.b, row.a] = row.pearson_p
        ax = fig.add_subplot(1, 2, k + 1)
        shown = r.to_numpy().copy()
        np.fill_diagonal(shown, np.nan)
        cmap = plt.get_cmap("RdBu_r").with_extremes(bad="white")
        im = ax.imshow(shown, cmap=cmap, vmin=-1, vmax=1)
        for i in range(5):
            for j in range(5):
                if i == j:
                    continue
                star = "**" if p.iloc[i, j] < 0.01 else "*" if p.iloc[i, j] < 0.05 else ""
                ax.text(
                    j,
                    i,
                    f"{r.iloc[i, j]:.2f}{star}",
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color="white" if abs(r.iloc[i, j]) > 0.6 else "black",
                )
        ax.set_xticks(range(5), METALS)
        ax.set_yticks(range(5), METALS)
        ax.set_title(f"({'ab'[k]}) {'Soil' if med == 'soil' else 'River water'}")
        for s in ax.spines.values():
            s.set_visible(False)
    fig.colorbar(im, ax=fig.axes, shrink=0.8, label="Pearson r")
    fig.text(0.01, 0.06, "Two-tailed: * p < 0.05, ** p < 0.01", fontsize=6.5)
    return _drawn(fig, inputs, "Fig. 8 Pearson correlations")


def figS1(params: Params) -> Drawn:
    """Fig. S1 normal Q-Q plots of raw and log10 concentrations (Sect. 2.3.3 distribution checks)."""
    from scipy import stats

    inputs, fig = [], plt.figure(figsize=(7.0, 5.6))
    for i, med in enumerate(("soil", "water")):
        f, d = load(f"composition_{med}.csv")
        inputs.append(f)
        for j, m in enumerate(METALS):
            for k, (tr, lab) in enumerate(((lambda v: v, "raw"), (np.log10, "log10"))):
                ax = fig.add_subplot(4, 5, 1 + j + 5 * (2 * i + k))
                (osm, osr), (slope, icpt, _) = stats.probplot(tr(d[m].to_numpy(float)), dist="norm")
                ax.plot(osm, osr, "o", ms=2.5, color=METAL_COLORS[m])
                ax.plot(osm, slope * osm + icpt, "-", color="#555555", lw=0.7)
                ax.set_title(f"{med} {m} ({lab})", fontsize=6.5)
                ax.tick_params(labelsize=5)
    fig.supxlabel("theoretical normal quantile", fontsize=7)
    fig.supylabel("ordered values", fontsize=7)
    fig.tight_layout()
    return _drawn(fig, inputs, "Fig. S1 normal Q-Q plots (raw and log10)")
