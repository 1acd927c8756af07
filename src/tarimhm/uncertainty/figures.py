"""Figures of the probabilistic risk layer (stages 040-041), drawn from their saved outputs only.

figU1: per site, the Monte Carlo distribution of HI and TCR (box p25-p75, whiskers p5-p95, median)
       beside the deterministic value, for soil and river, children and adults.
figU2: which inputs drive the spread: share of the summed squared Spearman correlations per input.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import paths
from ..config import Params
from ..provenance import read_sidecar
from ..viz.figures import Drawn

__all__ = ["figU1", "figU2", "figU3"]

PANELS = [("soil", "child"), ("soil", "adult"), ("water", "child"), ("water", "adult")]
LINES = {"HI": [(1.0, "HI = 1")], "TCR": [(1e-4, "1e-4"), (1e-6, "1e-6")]}


def _load(name: str, target: str = "risk-montecarlo") -> tuple[Path, pd.DataFrame]:
    f = paths.require(paths.uncertainty_dir() / name, target)
    return f, pd.read_csv(f, comment="#")


def _drawn(fig, inputs: list[Path], caption: str, runs: str) -> Drawn:
    return Drawn(
        fig, inputs, read_sidecar(inputs[0])["data_status"], caption, f"{caption} · {runs}", sections=("uncertainty",)
    )


def _mc_runs(params: Params) -> str:
    u = params.uncertainty
    return f"{u.draws} Latin-hypercube draws, spec {u.spec}"


def figU1(params: Params) -> Drawn:
    """Fig. U1: per site, the Monte Carlo distribution of HI and TCR beside the deterministic value."""
    f, s = _load("mc_summary.csv")
    fig, axes = plt.subplots(2, 4, figsize=(7.2, 4.4), sharey="row")
    for j, (med, g) in enumerate(PANELS):
        sub = s[(s.medium == med) & (s.group == g)]
        for i, out in enumerate(("HI", "TCR")):
            ax = axes[i, j]
            stats = [
                {
                    "label": sid,
                    "whislo": r[f"{out}_p5"],
                    "q1": r[f"{out}_p25"],
                    "med": r[f"{out}_p50"],
                    "q3": r[f"{out}_p75"],
                    "whishi": r[f"{out}_p95"],
                    "fliers": [],
                }
                for sid, r in zip(sub.site_id, sub.to_dict("records"))
            ]
            ax.bxp(
                stats,
                showfliers=False,
                widths=0.6,
                patch_artist=True,
                boxprops={"facecolor": "#cfe3f3", "linewidth": 0.5},
                medianprops={"color": "#0072B2"},
                whiskerprops={"linewidth": 0.5},
                capprops={"linewidth": 0.5},
            )
            ax.plot(
                np.arange(1, len(sub) + 1),
                sub[f"{out}_deterministic"],
                "D",
                ms=2.5,
                color="#D55E00",
                label="deterministic",
            )
            for y, lab in LINES[out]:
                ax.axhline(y, color="#555555", lw=0.5, ls="--")
                if j == 3:
                    ax.text(len(sub) + 0.6, y, lab, fontsize=5.5, va="bottom", ha="right", color="#555555")
            ax.set_yscale("log")
            ax.tick_params(axis="x", labelrotation=90, labelsize=5.5)
            if i == 0:
                ax.set_title(f"{'Soil' if med == 'soil' else 'River'}, {g}")
            if j == 0:
                ax.set_ylabel(out)
    axes[0, 0].legend(frameon=False, fontsize=6, loc="lower left")
    fig.tight_layout()
    return _drawn(fig, [f], "Monte Carlo HI and TCR per site", _mc_runs(params))


def figU2(params: Params) -> Drawn:
    """Fig. U2: which inputs drive the HI and TCR spread (share of squared Spearman correlations)."""
    f, r = _load("mc_rank.csv")
    share = r.groupby(["medium", "group", "output", "input"]).variance_share.median().reset_index()
    fig, axes = plt.subplots(1, 4, figsize=(7.2, 2.4), sharex=True)
    for ax, (med, g) in zip(axes, PANELS):
        sub = share[(share.medium == med) & (share.group == g)]
        piv = sub.pivot(index="input", columns="output", values="variance_share").fillna(0)
        piv = piv[(piv > 0.005).any(axis=1)].sort_values("HI")
        y = np.arange(len(piv))
        ax.barh(y - 0.2, 100 * piv.get("HI", 0), height=0.4, color="#0072B2", label="HI")
        ax.barh(y + 0.2, 100 * piv.get("TCR", 0), height=0.4, color="#E69F00", label="TCR")
        ax.set_yticks(y, piv.index, fontsize=6)
        ax.set_title(f"{'Soil' if med == 'soil' else 'River'}, {g}")
        ax.set_xlabel("share of variance (%)")
    axes[0].legend(frameon=False, fontsize=6)
    fig.tight_layout()
    return _drawn(fig, [f], "inputs driving the HI and TCR spread (Spearman)", _mc_runs(params))


def figU3(params: Params) -> Drawn:
    """Fig. U3: exposure factors consistent with the paper's soil HI/CR (PyMC posterior vs prior)."""
    import xarray as xr

    f_ep, ep = _load("bayes_endpoints.csv", "risk-bayes")
    f_nc = paths.require(paths.uncertainty_dir() / "bayes_posterior.nc", "risk-bayes")
    with xr.open_dataset(f_nc, engine="scipy") as ds:
        names = [v for v in ds.data_vars if not v.startswith("prior_") and v != "s_model"]
        post = {n: np.asarray(ds[n]).ravel() for n in names}
        prior = {n: np.asarray(ds[f"prior_{n}"]) for n in names}
    fig = plt.figure(figsize=(7.2, 4.6))
    gs = fig.add_gridspec(2, len(names), height_ratios=[1, 1.15])
    for j, n in enumerate(names):
        ax = fig.add_subplot(gs[0, j])
        lo, hi = np.percentile(np.r_[prior[n], post[n]], [0, 100])
        bins = np.linspace(lo, hi, 40)
        ax.hist(prior[n], bins=bins, density=True, color="#bbbbbb", label="prior")
        ax.hist(post[n], bins=bins, density=True, color="#0072B2", alpha=0.75, label="posterior")
        ax.set_title(n, fontsize=7)
        ax.set_yticks([])
    fig.axes[0].legend(frameon=False, fontsize=5.5, loc="upper right")
    ax = fig.add_subplot(gs[1, :])
    lab = [f"{r.quantity.upper()} {r.group} {r.metal} {r.stat}" for r in ep.itertuples()]
    x = np.arange(len(ep))
    err = 100 * (np.c_[ep.posterior_p3, ep.posterior_p97].T / ep.reported.to_numpy() - 1)
    med = ep.posterior_rel_error_pct.to_numpy()
    ax.errorbar(x, med, yerr=[med - err[0], err[1] - med], fmt="o", ms=2.5, lw=0.6, color="#D55E00")
    ax.axhline(0, color="#555555", lw=0.5)
    ax.set_xticks(x, lab, rotation=90, fontsize=5.5)
    ax.set_ylabel("posterior vs printed (%)")
    ax.set_title("The paper's 28 soil HI / CR endpoints under the posterior (median, 94 % interval)", fontsize=7)
    fig.tight_layout()
    u = params.uncertainty
    return _drawn(
        fig,
        [f_ep, f_nc],
        "exposure factors consistent with the paper's soil HI/CR (PyMC)",
        f"{u.bayes_chains} x {u.bayes_draws} NUTS draws, priors of spec {u.spec}",
    )
