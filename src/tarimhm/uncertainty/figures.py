"""Figures of the probabilistic risk layer (stages 040-041), drawn from their saved outputs only.

figU1: per site, the Monte Carlo distribution of HI and TCR (box p25-p75, whiskers p5-p95, median)
       beside the deterministic value, for soil and river, children and adults.
figU2: which inputs drive the spread: share of the summed squared Spearman correlations per input.
figU4: children's variability CDF of HI and TCR per site, median and 90 % band over the outer draws (stage 042).
figU5: Sobol total and first-order indices of children's HI and TCR, median over the sites (stage 042).
figU6: prior vs PyMC posterior of the bioaccessible fractions and uncertain parameters (stage 042).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from .. import paths
from .._errors import MissingOutputError
from ..config import Params
from ..provenance import combine_status, read_sidecar, read_table
from ..risk.profiles import GROUP_UNITS
from ..viz.figures import METAL_COLORS, Drawn

__all__ = ["figU1", "figU2", "figU3", "figU4", "figU5", "figU6"]

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
    fig, axes = plt.subplots(2, 4, figsize=(7.0, 4.4), sharey="row")
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
    fig, axes = plt.subplots(1, 4, figsize=(7.0, 2.4), sharex=True)
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


# units of the exposure factors (tarimhm.risk.profiles.GROUP_UNITS) spelled out for an axis label
_UNIT_WORDS = {
    "y": "years",
    "d/y": "days/year",
    "mg/d": "mg/day",
    "m3/d": "m³/day",
    "cm2": "cm²",
    "mg/cm2": "mg/cm²",
    "L/d": "L/day",
}


def _factor_unit(name: str) -> str:
    """Unit of an exposure factor (``child.BW`` -> ``kg``, ``adult.IngR`` -> ``mg/day``); ``1`` if unitless."""
    factor = name.split(".")[-1]
    unit = GROUP_UNITS.get(factor, "1")
    return _UNIT_WORDS.get(unit, unit)


def figU3(params: Params) -> Drawn:
    """Fig. U3: exposure factors consistent with the paper's soil HI/CR (PyMC posterior vs prior)."""
    import xarray as xr

    f_ep, ep = _load("bayes_endpoints.csv", "risk-bayes")
    f_nc = paths.require(paths.uncertainty_dir() / "bayes_posterior.nc", "risk-bayes")
    with xr.open_dataset(f_nc, engine="scipy") as ds:
        names = [v for v in ds.data_vars if not v.startswith("prior_") and v != "s_model"]
        post = {n: np.asarray(ds[n]).ravel() for n in names}
        prior = {n: np.asarray(ds[f"prior_{n}"]) for n in names}
    fig = plt.figure(figsize=(7.0, 4.6))
    gs = fig.add_gridspec(2, len(names), height_ratios=[1, 1.15])
    for j, n in enumerate(names):
        ax = fig.add_subplot(gs[0, j])
        lo, hi = np.percentile(np.r_[prior[n], post[n]], [0, 100])
        bins = np.linspace(lo, hi, 40)
        ax.hist(prior[n], bins=bins, density=True, color="#bbbbbb", label="prior")
        ax.hist(post[n], bins=bins, density=True, color="#0072B2", alpha=0.75, label="posterior")
        unit = _factor_unit(n)
        group, _, factor = n.rpartition(".")
        ax.set_title(f"{group} {factor}".strip(), fontsize=7)
        ax.set_xlabel(f"{factor} ({unit})", fontsize=6)
        per = {"years": "year"}.get(unit, unit)
        per = f"({per})" if "/" in per else per
        ax.set_ylabel(f"density (1/{per})" if unit != "1" else "density", fontsize=6)
        ax.tick_params(axis="x", labelsize=6)
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
    ax.set_xlabel("printed endpoint (index, group, metal, statistic; HI and CR dimensionless)", fontsize=6)
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


# ---- stage 042 (two-dimensional Monte Carlo): figU4-figU6 --------------------------------------------------

TWOD_TARGET = "risk-twod"
TWOD_MEDIA = (("soil", "Soil"), ("water", "River water"))
HIGHLIGHT = [*METAL_COLORS.values(), "#56B4E9"]  # Okabe-Ito (viz palette + sky blue): up to 6 sites
OTHER = "#aaaaaa"
CORRELATED = "correlated in the spec"
TWOD_LINES = {"HI": [(1.0, "HI = 1")], "TCR": [(1e-6, "1e-6"), (1e-4, "1e-4")]}


def _twod_file(name: str) -> Path:
    return paths.require(paths.uncertainty_dir() / "twod" / name, TWOD_TARGET)


def _twod_nc(medium: str):
    """(path, in-memory dataset) of ``twod_<medium>.nc``."""
    import xarray as xr

    f = _twod_file(f"twod_{medium}.nc")
    with xr.open_dataset(f, engine="h5netcdf") as ds:
        return f, ds.load()


def _drawn_twod(fig, inputs: list[Path], caption: str, runs: str) -> Drawn:
    status = combine_status(*(read_sidecar(f)["data_status"] for f in inputs))
    return Drawn(fig, inputs, status, caption, f"{caption} · {runs}", sections=("twod",))


def _twod_runs(attrs) -> str:
    return f"2-D Monte Carlo, spec {attrs['spec']}: {attrs['n_outer']} outer x {attrs['n_inner']} inner draws"


def _probit_y(ax) -> None:
    """Variability percentile on a normal-probability (probit) axis: a lognormal CDF is a straight line."""
    from scipy.stats import norm

    ax.set_yscale(
        "function", functions=(lambda p: norm.ppf(np.clip(p, 1e-6, 100 - 1e-6) / 100), lambda z: 100 * norm.cdf(z))
    )
    ax.set_ylim(0.12, 99.5)  # below P1: room for the legend
    ax.set_yticks([1, 5, 10, 25, 50, 75, 90, 95, 99], ["1", "5", "10", "25", "50", "75", "90", "95", "99"])
    ax.minorticks_off()


def _note(fig, text: str) -> None:
    """A caption-like note inside the bottom of the canvas (above the provenance footer)."""
    fig.text(0.01, 0.005, text, fontsize=6, ha="left", va="bottom", color="#222222")


def figU4(params: Params) -> Drawn:
    """Fig. U4: children's variability CDF of HI and TCR per site, median and 90 % band over the outer draws."""
    files, data = [], {}
    for med, _ in TWOD_MEDIA:
        f, ds = _twod_nc(med)
        files.append(f)
        data[med] = ds
    fig, axes = plt.subplots(2, 2, figsize=(7.0, 5.4))
    for j, (med, title) in enumerate(TWOD_MEDIA):
        ds = data[med]
        sites = [str(s) for s in ds.site.values]
        pct = ds.var_pct.to_numpy()
        top = {}
        for out in ("HI", "TCR"):
            p95 = ds[f"{out}_var_pct_unc"].sel(group="child", var_pct=95.0, unc_q=0.5).to_numpy()
            top[out] = [sites[k] for k in np.argsort(-p95, kind="stable")[:3]]
        colour = {s: HIGHLIGHT[k] for k, s in enumerate(dict.fromkeys(top["HI"] + top["TCR"]))}
        for i, out in enumerate(("HI", "TCR")):
            ax = axes[i, j]
            u = ds[f"{out}_var_pct_unc"].sel(group="child")
            for s in sites:
                if s not in top[out]:
                    ax.plot(u.sel(site=s, unc_q=0.5), pct, color=OTHER, lw=0.6, zorder=1)
            for s in top[out]:
                us = u.sel(site=s)
                lo, hi = us.sel(unc_q=0.05), us.sel(unc_q=0.95)
                ax.fill_betweenx(pct, lo, hi, color=colour[s], alpha=0.10, lw=0, zorder=2)
                for edge in (lo, hi):
                    ax.plot(edge, pct, color=colour[s], lw=0.5, ls=(0, (3, 2)), zorder=2)
                ax.plot(us.sel(unc_q=0.5), pct, color=colour[s], lw=1.2, marker="o", ms=1.8, label=s, zorder=3)
            _probit_y(ax)
            for x, lab in TWOD_LINES[out]:
                ax.axvline(x, color="#333333", lw=0.6, ls="--", zorder=0)
                ax.text(x, 99.6, lab, fontsize=5.5, ha="center", va="bottom", color="#333333")
            ax.set_xscale("log")
            if out == "TCR":
                lo_x, hi_x = ax.get_xlim()
                ax.set_xlim(min(lo_x, 3e-7), max(hi_x, 3e-4))
            ax.set_xlabel(f"{out}, child")
            if j == 0:
                ax.set_ylabel("variability percentile (%)")
            if i == 0:
                ax.set_title(title, pad=10)
            ax.legend(  # in the strip below P1, where nothing is drawn
                frameon=False,
                fontsize=5.5,
                loc="lower right",
                ncol=3,
                handlelength=1.5,
                columnspacing=1.0,
                borderaxespad=0.2,
            )
    _note(
        fig,
        "Solid: median over the outer (uncertainty) draws of each inner-loop (variability) percentile; dashed and "
        "shaded: 5-95 % over the outer draws,\nfor the three sites with the highest median P95; grey: the other "
        "sites (median). Probit y axis: a lognormal variability distribution is a straight line.",
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    a = data["soil"].attrs
    return _drawn_twod(
        fig, files, "2-D Monte Carlo, children", f"spec {a['spec']}, {a['n_outer']} x {a['n_inner']} draws"
    )


def _input_label(name: str) -> str:
    """``tox_As_RfDo`` -> ``As RfDo (toxicity)`` and so on; an unknown name is returned as it is."""
    if name == "conc":
        return "concentrations (ensemble)"
    if name.startswith("conc_"):
        return f"{name[5:]} concentration"
    if name.startswith("ba_"):
        return f"{name[3:]} bioaccessibility"
    if name.startswith("tox_") and name.count("_") == 2:
        _, metal, field = name.split("_")
        return f"{metal} {field} (toxicity)"
    if name.count(".") == 2:
        group, factor, par = name.split(".")
        return f"{factor} {par} ({group})"
    return f"{name} (person)"


def _omitted(names: list[str]) -> str:
    """``ba_Cd, ba_Cu, tox_As_SFo`` -> ``Cd, Cu bioaccessibility`` / ``As SFo (toxicity)`` (one line each)."""
    ba = [n[3:] for n in names if n.startswith("ba_")]
    lines = [f"{', '.join(ba)} bioaccessibility"] if ba else []
    return "\n".join(lines + [_input_label(n) for n in names if not n.startswith("ba_")])


def figU5(params: Params) -> Drawn:
    """Fig. U5: Sobol total and first-order indices of children's HI and TCR, median over the sites."""
    cols = ["medium", "group", "site_id", "output", "input", "S1", "S1_conf", "ST", "ST_conf", "valid"]
    f = _twod_file("sobol.csv")
    s = read_table(f, TWOD_TARGET, cols, comment="#")
    s = s[s.group == "child"].assign(correlated=s.valid.astype(str).str.startswith(CORRELATED))
    agg = (
        s.groupby(["medium", "output", "input"])
        .agg(
            S1=("S1", "median"),
            S1_conf=("S1_conf", "median"),
            ST=("ST", "median"),
            ST_conf=("ST_conf", "median"),
            correlated=("correlated", "any"),
            n=("site_id", "nunique"),
        )
        .reset_index()
    )
    fig, axes = plt.subplots(2, 2, figsize=(7.0, 4.8), sharex=True)
    any_corr = False
    err = {"elinewidth": 0.6, "capsize": 1.5, "capthick": 0.6, "ecolor": "#333333"}
    for i, out in enumerate(("HI", "TCR")):
        for j, (med, title) in enumerate(TWOD_MEDIA):
            ax = axes[i, j]
            sub = agg[(agg.medium == med) & (agg.output == out)]
            small = sorted(sub.input[sub.ST < 1e-3])
            sub = sub[sub.ST >= 1e-3].sort_values("ST")
            y = np.arange(len(sub))
            hatch = ["////" if c else "" for c in sub.correlated]
            b_st = ax.barh(y + 0.2, sub.ST, xerr=sub.ST_conf, height=0.4, color="#0072B2", error_kw=err)
            b_s1 = ax.barh(y - 0.2, sub.S1.clip(lower=0), xerr=sub.S1_conf, height=0.4, color="#E69F00", error_kw=err)
            for bars in (b_st, b_s1):
                for bar, h in zip(bars, hatch):
                    bar.set_hatch(h)
                    bar.set_edgecolor("white" if h else bar.get_facecolor())
                    bar.set_linewidth(0)
            labels = [_input_label(n) + (" *" if c else "") for n, c in zip(sub.input, sub.correlated)]
            any_corr |= bool(sub.correlated.any())
            ax.set_yticks(y, labels, fontsize=6)
            ax.set_xlim(0, 1.0)
            n = int(sub.n.max()) if len(sub) else 0
            ax.set_title(f"{title}, {out} (child; median of {n} sites)", fontsize=7)
            if small:
                ax.text(
                    0.99,
                    0.03,
                    "not shown (ST < 0.001):\n" + _omitted(small),
                    transform=ax.transAxes,
                    fontsize=5,
                    ha="right",
                    va="bottom",
                    color="#555555",
                )
            if i == 1:
                ax.set_xlabel("Sobol index")
    proxies = [Patch(color="#0072B2", label="total (ST)"), Patch(color="#E69F00", label="first order (S1)")]
    axes[0, 1].legend(handles=proxies, frameon=False, fontsize=6, loc="center right")
    conf = round(100 * params.twod.conf_level)
    note = f"Bars: median over the sites; error bars: median {conf} % bootstrap half-width (SALib)."
    if any_corr:
        note += "  * hatched: correlated in the spec: index of the independent-input model."
    _note(fig, note)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    t = params.twod
    return _drawn_twod(fig, [f], "Sobol indices, children", f"N = {t.sobol_n}, spec {t.spec}")


PARAM_UNITS = {"BW": "kg", "IngR": "mg/d", "IRw": "L/d"}


def _param_label(name: str) -> str:
    if name.startswith("ba_"):
        return f"{name[3:]} bioaccessible fraction"
    if name.count(".") == 2:
        group, factor, par = name.split(".")
        unit = PARAM_UNITS.get(factor)
        return f"{group} {factor} {par}" + (f" ({unit})" if unit else "")
    return name


def figU6(params: Params) -> Drawn:
    """Fig. U6: prior vs PyMC posterior of the bioaccessible fractions and uncertain exposure parameters."""
    import json

    import xarray as xr

    f_nc = _twod_file("posterior.nc")
    f_run = _twod_file("run.json")
    f_soil, soil = _twod_nc("soil")
    run = json.loads(f_run.read_text(encoding="utf-8"))
    groups = {}
    for grp in ("prior", "posterior"):
        try:
            with xr.open_dataset(f_nc, group=grp, engine="h5netcdf") as ds:
                groups[grp] = {str(v): np.asarray(ds[v]).ravel() for v in ds.data_vars}
        except OSError as exc:  # h5netcdf: no such group
            raise MissingOutputError(
                f"{f_nc}: no group {grp!r} (written by an older version of the package); run `make {TWOD_TARGET}` again"
            ) from exc
    names = [n for n in groups["posterior"] if n in groups["prior"]]
    used = {f"ba_{m}": soil.bioaccessibility.sel(metal=m).to_numpy() for m in soil.metal.values}
    used |= {
        n: soil[f"param_{n.replace('.', '_')}"].to_numpy() for n in names if f"param_{n.replace('.', '_')}" in soil
    }
    ncol = 4
    nrow = -(-(len(names) + 1) // ncol)  # one slot for the legend
    fig, axes = plt.subplots(nrow, ncol, figsize=(7.0, 1.7 * nrow + 0.45), squeeze=False)
    for ax, n in zip(axes.flat, names):
        pr, po = groups["prior"][n], groups["posterior"][n]
        lo, hi = np.percentile(np.r_[pr, po], [0, 100])
        bins = np.linspace(lo, hi, 40)
        h_pr, *_ = ax.hist(pr, bins=bins, density=True, color="#cccccc", label="prior")
        h_po, *_ = ax.hist(po, bins=bins, density=True, histtype="step", color="#0072B2", lw=1.0, label="posterior")
        if n in used:
            ax.plot(used[n], np.zeros_like(used[n]), "|", color="#D55E00", ms=5, mew=0.5, label="outer draws used")
        ax.set_ylim(0, 1.45 * max(h_pr.max(), h_po.max()))
        fmt = ".2f" if hi < 10 else ".0f"
        q = [(k, np.percentile(v, [5, 50, 95])) for k, v in (("prior", pr), ("post.", po))]
        ax.text(
            0.98,
            0.98,
            "\n".join(f"{k} {m:{fmt}} [{a:{fmt}}, {b:{fmt}}]" for k, (a, m, b) in q),
            transform=ax.transAxes,
            fontsize=5,
            ha="right",
            va="top",
        )
        ax.set_xlabel(_param_label(n), fontsize=6)
        ax.set_yticks([])
        ax.tick_params(axis="x", labelsize=6)
        ax.spines["left"].set_visible(False)
    for ax in axes.flat[len(names) :]:
        ax.axis("off")
    h, lab = axes.flat[0].get_legend_handles_labels()
    axes.flat[len(names)].legend(
        h, lab, frameon=False, fontsize=6, loc="center", title="density; numbers:\nmedian [P5, P95]", title_fontsize=6
    )
    ev = run.get("evidence") or []
    spec = run.get("spec", soil.attrs.get("spec"))
    if ev:
        title = f"Prior vs PyMC posterior (spec {spec}), updated by the survey evidence on {', '.join(map(str, ev))}"
    else:
        title = (
            f"Prior vs PyMC posterior (spec {spec}): no survey evidence in the spec, so the posterior equals the prior"
        )
    fig.suptitle(title, fontsize=7)
    fig.tight_layout()
    t = params.twod
    return _drawn_twod(
        fig, [f_nc, f_run, f_soil], "prior vs posterior, 2-D run", f"{t.chains} x {t.draws} NUTS draws (PyMC)"
    )
