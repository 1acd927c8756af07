"""Figures 9-15 of the paper (Sect. 3.4), drawn from the saved outputs of stage 031.

Each ``figN(params)`` loads the outputs of the reference profile (``risk.reference_profile``) and
returns a :class:`~tarimhm.viz.figures.Drawn`; nothing here recomputes risk, so restyling never
re-runs a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, NullFormatter

from .. import paths
from ..config import Params
from ..domain import METALS, SOIL_CARCINOGENS, WATER_CARCINOGENS
from ..provenance import read_sidecar
from ..viz.figures import METAL_COLORS, PATHWAY_COLORS, REF_COLOR, REF_LINESTYLES, Drawn, radar, stacked_bars

__all__ = ["RiskOutputs", "load_risk_outputs", "fig9", "fig10", "fig11", "fig12", "fig13", "fig14", "fig15"]


@dataclass
class RiskOutputs:
    profile: str
    summary: pd.DataFrame
    long: pd.DataFrame
    igeo: pd.DataFrame
    hpi: pd.DataFrame
    inputs: list[Path]
    data_status: str


def load_risk_outputs(profile: str) -> RiskOutputs:
    d = paths.risk_dir(profile)
    files = {
        k: paths.require(d / f"{k}.csv", f"risk PROFILE={profile}")
        for k in ("site_summary", "risk_long", "igeo", "hpi")
    }
    status = read_sidecar(files["site_summary"])["data_status"]
    return RiskOutputs(
        profile,
        pd.read_csv(files["site_summary"]),
        pd.read_csv(files["risk_long"]),
        pd.read_csv(files["igeo"]),
        pd.read_csv(files["hpi"]),
        list(files.values()),
        status,
    )


# thresholds the paper's text uses (Abstract; Sect. 2.3.2 ¶HI/TCR; Sect. 3.4.1-3.4.3): (value, label)
IGEO_LINES = [(0.0, "Igeo = 0"), (1.0, "Igeo = 1"), (2.0, "Igeo = 2")]  # unpolluted / < 1 light / > 2 (As, abstract)
HPI_LINES = [(100.0, "HPI = 100")]
HI_LINES = [(1.0, "HI = 1")]
CR_LINES = [(1e-6, "TCR = 1e-6"), (1e-4, "TCR = 1e-4")]  # acceptable below 1e-6, tolerable up to 1e-4
CR_METAL_LINES = [(v, lab.replace("TCR", "CR")) for v, lab in CR_LINES]  # the radars draw the CR of each metal


def _thresholds(ax, lines) -> None:
    """Labelled dashed horizontal lines at the thresholds ``lines`` ((value, label), ...); labels right of the axes."""
    for k, (y, lab) in enumerate(lines):
        ax.axhline(y, color=REF_COLOR, lw=0.8, ls=REF_LINESTYLES[k % len(REF_LINESTYLES)], zorder=3, label="_" + lab)
        ax.text(1.01, y, lab, transform=ax.get_yaxis_transform(), ha="left", va="center", fontsize=6, color=REF_COLOR)


def _log_bars(ax, df: pd.DataFrame, colors: dict, ylabel: str) -> None:
    """Bars per row of ``df`` (sites), one per column (metal), side by side on a log axis, and their sum.

    Carcinogenic risks span orders of magnitude (1e-9 ... 1e-3), and the thresholds the text uses (1e-6,
    1e-4) only read on a log axis; stacked segments would misstate the contributions there, so the metals
    stand side by side and a black tick marks the total (TCR).
    """
    x = np.arange(len(df))
    vals = df.to_numpy(dtype=float)
    pos = vals[vals > 0]
    floor = 10.0 ** np.floor(np.log10(min(pos.min(), CR_LINES[0][0]))) if pos.size else CR_LINES[0][0] / 10
    w = 0.8 / max(len(df.columns), 1)
    for j, col in enumerate(df.columns):
        v = vals[:, j]
        ax.bar(
            x - 0.4 + (j + 0.5) * w,
            np.where(v > floor, v - floor, 0),
            bottom=floor,
            width=w,
            color=colors.get(col, "#999999"),
            label=col,
            linewidth=0,
        )
    total = vals.sum(axis=1)
    ax.plot(x, total, ls="none", marker="_", ms=9, mew=1.2, color="k", label="TCR (sum)")
    ax.set_yscale("log")
    # "1e-4" as the radars and threshold labels write it (a mathtext 10^-4 sets its exponent below 5 pt)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"1e{np.log10(v):.0f}" if v > 0 else ""))
    ax.yaxis.set_minor_formatter(NullFormatter())
    top = max(total.max() if len(total) else 0.0, CR_LINES[-1][0])
    ax.set_ylim(floor, top * 10**1.5)  # headroom for the legend above the bars
    ax.set_xticks(x)
    ax.set_xticklabels(df.index, rotation=0)
    ax.set_ylabel(ylabel)


def _sites(df, medium):
    return df[df.medium == medium] if "medium" in df.columns else df


def _fig9(o: RiskOutputs):
    fig = plt.figure(figsize=(7.0, 3.6))
    ax = fig.add_subplot(1, 2, 1, projection="polar")
    ig = o.igeo.set_index("site_id")
    radar(
        ax,
        list(METALS),
        {s: ig.loc[s, list(METALS)].to_numpy() for s in ig.index},
        ref=[v for v, _ in IGEO_LINES],
        ref_label=[lab for _, lab in IGEO_LINES],
    )
    ax.set_title("(a) Igeo, soil sites", pad=14)
    ax.legend(loc="upper left", bbox_to_anchor=(1.05, 1.05), frameon=False, ncol=1)
    ax2 = fig.add_subplot(1, 2, 2, projection="polar")
    hp = o.hpi.set_index("site_id")
    radar(
        ax2,
        list(hp.index),
        {"class III": hp["HPI_III"].to_numpy(), "class V": hp["HPI_V"].to_numpy()},
        log=True,
        colors={"class III": "#D55E00", "class V": "#0072B2"},
        ref=[v for v, _ in HPI_LINES],
        ref_label=[lab for _, lab in HPI_LINES],
    )
    ax2.set_title("(b) HPI, river sites (log10)", pad=14)
    ax2.legend(loc="upper left", bbox_to_anchor=(1.05, 1.05), frameon=False)
    fig.subplots_adjust(wspace=0.7)
    return fig


def _radar_pair(o: RiskOutputs, medium, col_prefix, metals, title, lines, axes_are="metals"):
    fig = plt.figure(figsize=(7.0, 3.6))
    s = _sites(o.summary, medium)
    for k, g in enumerate(("child", "adult")):
        ax = fig.add_subplot(1, 2, k + 1, projection="polar")
        sub = s[s.group == g].set_index("site_id")
        ref, ref_label = [v for v, _ in lines], [lab for _, lab in lines]
        if axes_are == "metals":
            series = {
                site: sub.loc[site, [f"{col_prefix}_{m}" for m in metals]].clip(lower=1e-12).to_numpy()
                for site in sub.index
            }
            radar(ax, metals, series, log=True, ref=ref, ref_label=ref_label)
        else:
            series = {m: sub[f"{col_prefix}_{m}"].clip(lower=1e-12).to_numpy() for m in metals}
            radar(ax, list(sub.index), series, log=True, colors=METAL_COLORS, ref=ref, ref_label=ref_label)
        ax.set_title(f"({'ab'[k]}) {title}, {'children' if g == 'child' else 'adults'} (log10)", pad=14)
        if k == 1:
            ax.legend(loc="upper left", bbox_to_anchor=(1.08, 1.05), frameon=False)
    fig.subplots_adjust(wspace=0.45)
    return fig


def _fig10(o):
    return _radar_pair(o, "soil", "HI", list(METALS), "soil HI", HI_LINES)


def _fig12(o):
    return _radar_pair(o, "soil", "CR", list(SOIL_CARCINOGENS), "soil CR", CR_METAL_LINES, axes_are="sites")


def _fig14(o):
    return _radar_pair(o, "water", "CR", list(WATER_CARCINOGENS), "river CR", CR_METAL_LINES, axes_are="sites")


def _bars_with_pathways(o: RiskOutputs, medium, col_prefix, metals, ylabel, value, lines):
    s = _sites(o.summary, medium)
    long = o.long[o.long.medium == medium]
    n = 3 if medium == "soil" else 2
    fig, axes = plt.subplots(1, n, figsize=(7.0, 2.8))
    for k, g in enumerate(("child", "adult")):
        sub = s[s.group == g].set_index("site_id")[[f"{col_prefix}_{m}" for m in metals]]
        sub.columns = metals
        if col_prefix == "CR":
            _log_bars(axes[k], sub, METAL_COLORS, ylabel=f"{ylabel}, log scale")
        else:
            stacked_bars(axes[k], sub, METAL_COLORS, ylabel=ylabel)
        _thresholds(axes[k], lines)
        axes[k].set_title(f"({'abc'[k]}) {'Children' if g == 'child' else 'Adults'}")
        axes[k].tick_params(axis="x", rotation=90)
    if col_prefix == "CR":
        axes[0].legend(frameon=False, fontsize=6, loc="upper left", ncol=len(metals) + 1, columnspacing=1.0)
    else:
        axes[0].legend(frameon=False, fontsize=6)
    if n == 3:
        pw = long.groupby(["group", "pathway"])[value].sum().unstack("pathway")
        pw = pw.loc[["child", "adult"], [p for p in ("ingestion", "dermal", "inhalation") if p in pw.columns]]
        pw.index = ["Children", "Adults"]
        stacked_bars(axes[2], pw, PATHWAY_COLORS, ylabel="share of total (%)", pct=True)
        axes[2].set_title("(c) Exposure routes")
        axes[2].legend(frameon=False, fontsize=6, loc="lower right")
    fig.tight_layout()
    return fig


def _fig11(o):
    return _bars_with_pathways(o, "soil", "HI", list(METALS), "HI (sum of HQ)", "HQ", HI_LINES)


def _fig13(o):
    return _bars_with_pathways(o, "soil", "CR", list(SOIL_CARCINOGENS), "CR", "CR", CR_LINES)


def _fig15(o):
    return _bars_with_pathways(o, "water", "CR", list(WATER_CARCINOGENS), "CR (ingestion)", "CR", CR_LINES)


CAPTIONS = {
    9: "Fig. 9 Igeo (soil) and HPI (river)",
    10: "Fig. 10 soil HI per site",
    11: "Fig. 11 soil non-carcinogenic risk and routes",
    12: "Fig. 12 soil CR per site",
    13: "Fig. 13 soil carcinogenic risk and routes",
    14: "Fig. 14 river CR per site",
    15: "Fig. 15 river CR by metal",
}


def _drawn(draw, n: int, params: Params) -> Drawn:
    o = load_risk_outputs(params.risk.reference_profile)
    caption = CAPTIONS[n]
    return Drawn(
        draw(o),
        o.inputs,
        o.data_status,
        f"{caption}; profile {o.profile}",
        f"profile {o.profile} · {caption}",
        sections=("risk",),
    )


def fig9(params: Params) -> Drawn:
    """Fig. 9: Igeo of the soil sites and HPI of the river sites (radar)."""
    return _drawn(_fig9, 9, params)


def fig10(params: Params) -> Drawn:
    """Fig. 10: soil HI per site, children and adults (radar, log10)."""
    return _drawn(_fig10, 10, params)


def fig11(params: Params) -> Drawn:
    """Fig. 11: soil HI per site and metal, and the exposure routes."""
    return _drawn(_fig11, 11, params)


def fig12(params: Params) -> Drawn:
    """Fig. 12: soil CR per site (radar, log10)."""
    return _drawn(_fig12, 12, params)


def fig13(params: Params) -> Drawn:
    """Fig. 13: soil CR per site and metal, and the exposure routes."""
    return _drawn(_fig13, 13, params)


def fig14(params: Params) -> Drawn:
    """Fig. 14: river CR per site (radar, log10)."""
    return _drawn(_fig14, 14, params)


def fig15(params: Params) -> Drawn:
    """Fig. 15: river CR per site and metal."""
    return _drawn(_fig15, 15, params)
