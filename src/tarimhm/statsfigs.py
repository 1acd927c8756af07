"""Figures 5 and 8 and Tables 7-8 (Sect. 3.1, 3.3) from the saved outputs of stage 05."""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import paths
from .config import Params, params_hash
from .provenance import atomic_write_text, make_provenance, read_sidecar, write_table
from .reported import Reported
from .viz import METAL_COLORS, footer, save_figure, stacked_bars, use_style

__all__ = ["render_figure", "render_table", "FIGURES", "TABLES"]

METALS = ["As", "Cd", "Pb", "Cu", "Zn"]


def _load(name: str) -> tuple[Path, pd.DataFrame | dict]:
    f = paths.DATA_DERIVED / "stats" / name
    if not f.exists():
        raise FileNotFoundError(f"{f}: missing; run `make statistics` first")
    return f, (json.loads(f.read_text()) if f.suffix == ".json" else pd.read_csv(f))


def fig5():
    inputs, fig = [], plt.figure(figsize=(7.2, 3.0))
    for k, (med, unit) in enumerate((("soil", "mg/kg"), ("water", "µg/L"))):
        f, d = _load(f"composition_{med}.csv")
        inputs.append(f)
        ax = fig.add_subplot(1, 2, k + 1)
        stacked_bars(ax, d.set_index("site_id")[METALS], METAL_COLORS, ylabel=f"concentration ({unit})")
        ax.set_title(f"({'ab'[k]}) {'Soil' if med == 'soil' else 'River water'}: ΣHMs by site")
        if k == 0:
            ax.legend(frameon=False, ncol=5, fontsize=6, loc="upper right")
    fig.tight_layout()
    return fig, inputs


def fig8():
    inputs, fig = [], plt.figure(figsize=(7.2, 3.3))
    for k, med in enumerate(("soil", "water")):
        f, c = _load(f"correlations_{med}.csv")
        inputs.append(f)
        r = pd.DataFrame(np.eye(5), index=METALS, columns=METALS)
        p = pd.DataFrame(np.zeros((5, 5)), index=METALS, columns=METALS)
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
                ax.text(j, i, f"{r.iloc[i, j]:.2f}{star}", ha="center", va="center", fontsize=6.5,
                        color="white" if abs(r.iloc[i, j]) > 0.6 else "black")
        ax.set_xticks(range(5), METALS)
        ax.set_yticks(range(5), METALS)
        ax.set_title(f"({'ab'[k]}) {'Soil' if med == 'soil' else 'River water'}")
        for s in ax.spines.values():
            s.set_visible(False)
    fig.colorbar(im, ax=fig.axes, shrink=0.8, label="Pearson r")
    fig.text(0.01, 0.06, "Two-tailed: * p < 0.05, ** p < 0.01", fontsize=6.5)
    return fig, inputs


def figS1():
    """Normal Q-Q plots of raw and log10 concentrations (Sect. 2.3.3 distribution checks)."""
    from scipy import stats
    inputs, fig = [], plt.figure(figsize=(7.2, 5.6))
    for i, med in enumerate(("soil", "water")):
        f, d = _load(f"composition_{med}.csv")
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
    return fig, inputs


FIGURES = {"fig5_composition": (fig5, "Fig. 5 heavy-metal content by site"),
           "figS1_qq": (figS1, "Fig. S1 normal Q-Q plots (raw and log10)"),
           "fig8_correlation": (fig8, "Fig. 8 Pearson correlations")}
TABLES = {"tab7_pca_soil": ("soil", "Table 7"), "tab8_pca_water": ("water", "Table 8")}


def render_figure(name: str, params: Params, script: Path) -> list[Path]:
    use_style()
    func, caption = FIGURES[name]
    fig, inputs = func()
    status = read_sidecar(inputs[0])["data_status"]
    prov = make_provenance(script, params_hash(params), inputs, status, note=caption)
    footer(fig, prov, caption)
    return save_figure(fig, name, prov, params.figures.formats, params.figures.dpi)


def render_table(name: str, params: Params, rep: Reported, script: Path) -> list[Path]:
    """Varimax loadings, eigenvalues and variance: reported beside reproduced (CSV and LaTeX)."""
    med, table = TABLES[name]
    f, pc = _load(f"pca_{med}.json")
    k = max(r.cls for r in rep.find(locator=table, quantity="pca_loading"))
    rows = []
    for m in METALS:
        for c in range(1, k + 1):
            rows.append({"variable": m, "component": f"PC{c}",
                         "reported": rep.value(locator=table, quantity="pca_loading", metal=m, cls=c),
                         "reproduced": pc["loadings"][m].get(f"PC{c}", np.nan)})
    for q, key in (("pca_eigenvalue", "eigenvalues"), ("pca_variance", "variance_pct"),
                   ("pca_cumulative", "cumulative_pct")):
        for c in range(1, k + 1):
            rows.append({"variable": q.replace("pca_", ""), "component": f"PC{c}",
                         "reported": rep.value(locator=table, quantity=q, cls=c), "reproduced": pc[key][c - 1]})
    df = pd.DataFrame(rows)
    df["difference"] = df.reproduced - df.reported
    status = pc["data_status"]
    prov = make_provenance(script, params_hash(params), [f, paths.REPORTED], status,
                           note=f"{table}: reported vs reproduced")
    out = paths.PAPER / "tables"
    csv = write_table(df, out / f"{name}.csv", prov, float_format="%.4f")
    wide = df.pivot_table(index="variable", columns="component", values=["reported", "reproduced"], sort=False)
    wide = wide.reindex(METALS + ["eigenvalue", "variance", "cumulative"])
    cols = [(v, f"PC{c}") for c in range(1, k + 1) for v in ("reported", "reproduced")]
    head = " & ".join(f"PC{c} {'paper' if v == 'reported' else 'this work'}" for v, c in
                      [(v, c) for c in range(1, k + 1) for v in ("reported", "reproduced")])
    body = "\n".join(f"{idx} & " + " & ".join(f"{wide.loc[idx, col]:.3f}" for col in cols) + r" \\"
                     for idx in wide.index)
    tex = (f"% {table}: varimax-rotated loadings, generated by {prov.script} at {prov.git_commit[:10]}; "
           f"data status {status}. Do not edit.\n"
           f"\\begin{{tabular}}{{l{'rr' * k}}}\n\\hline\nVariable & {head} \\\\\n\\hline\n{body}\n\\hline\n"
           f"\\multicolumn{{{1 + 2 * k}}}{{l}}{{\\footnotesize Site data: {status}.}}\n\\end{{tabular}}\n")
    atomic_write_text(out / f"{name}.tex", tex)
    return [csv, out / f"{name}.tex"]
