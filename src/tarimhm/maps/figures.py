"""Figs 6-7 (five-panel class maps per medium) and their uncertainty and AOA companions.

Rendered from the COG overviews (a few hundred pixels across), so a figure takes seconds
and never re-runs a model. Class colours use the paper's class bounds (Tables 5-6).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import rasterio
from matplotlib.colors import BoundaryNorm, ListedColormap
from rasterio.enums import Resampling

from .. import geo, paths, reported
from ..config import Params
from ..domain import METALS, UNITS
from ..domain import TABLE_METALS as PANEL_ORDER  # Figs 6-7 panels a-e
from ..imagery.grid import to_paper_crs
from ..provenance import read_sidecar
from ..raster.post import APP_NODATA, DI_SCALE
from ..raster.predict import PRODUCTS
from ..viz.figures import Drawn, patch

__all__ = ["fig6", "fig7", "fig6unc", "fig7unc", "fig6aoa", "fig7aoa", "read_overview"]

NO_AOA_TEXT = "no AOA: no informative predictor"
CLASS_COLOURS = ["#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#d7191c"]


def read_overview(path: Path, band_names: list[str], max_px: int = 900) -> tuple[dict, tuple]:
    """Bands by name at about ``max_px`` pixels across, read from the COG overviews."""
    with rasterio.open(path) as src:
        f = max(1, int(np.ceil(max(src.width, src.height) / max_px)))
        shape = (int(np.ceil(src.height / f)), int(np.ceil(src.width / f)))
        idx = [src.descriptions.index(n) + 1 for n in band_names]
        data = src.read(idx, out_shape=(len(idx), *shape), resampling=Resampling.nearest, masked=False)
        b = src.bounds
    return dict(zip(band_names, data)), (b.left, b.right, b.bottom, b.top)


def _outline(ax, labels=True):
    basin = to_paper_crs(geo.basin())
    ax.add_patch(patch(basin, facecolor="none", edgecolor="k", lw=0.6, zorder=3))
    for name, g in sorted(geo.prefectures().items()):
        gp = to_paper_crs(g)
        ax.add_patch(patch(gp, facecolor="none", edgecolor="#555555", lw=0.3, ls="--", zorder=3))
        if labels:
            pt = gp.representative_point()
            ax.text(pt.x, pt.y, name.split()[0], fontsize=5, ha="center", style="italic", color="#222222", zorder=5)
    return basin.bounds


def _frame(ax, bounds):
    pad = 20_000
    ax.set_xlim(bounds[0] - pad, bounds[2] + pad)
    ax.set_ylim(bounds[1] - pad, bounds[3] + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(False)


def _water_emphasis(a: np.ndarray, medium: str) -> np.ndarray:
    """Rivers are 1-2 pixels at 60 m: on the water maps, grow valid overview pixels by one pixel
    (display only) so that the network stays visible at page size."""
    if medium != "water":
        return a
    from scipy.ndimage import generic_filter

    out = a.copy()
    nan = np.isnan(a)
    grown = generic_filter(np.where(nan, -np.inf, a), np.max, size=3, mode="constant", cval=-np.inf)
    fill = nan & np.isfinite(grown)
    out[fill] = grown[fill]
    return out


def _maps(name: str, medium: str, product: str) -> Drawn:
    rep = reported.load()
    path = paths.require(paths.map_file(medium, "maps"), "maps")
    status = read_sidecar(path)["data_status"]
    aoa = None
    if product == "di":
        app, extent = read_overview(
            paths.map_file(medium, "aoa"), [f"{m}_{p}" for m in PANEL_ORDER for p in ("di", "aoa")]
        )
        bands = {
            f"{m}_di": np.where(app[f"{m}_di"] == APP_NODATA, np.nan, app[f"{m}_di"] * DI_SCALE) for m in PANEL_ORDER
        }
        aoa = {f"{m}_aoa": app[f"{m}_aoa"] for m in PANEL_ORDER}
    else:
        bands, extent = read_overview(path, [f"{m}_{product}" for m in PANEL_ORDER])
    with rasterio.open(path) as src:
        btags = {m: src.tags(src.descriptions.index(f"{m}_{PRODUCTS[0]}") + 1) for m in METALS}
    thr = {m: float(t["aoa_threshold"]) for m, t in btags.items()}
    no_aoa = {m for m, t in btags.items() if t.get("aoa_defined", "true") == "false"}
    fig, axes = plt.subplots(2, 3, figsize=(7.0, 4.4))
    unit = UNITS[medium]
    for k, m in enumerate(PANEL_ORDER):
        ax = axes.flat[k]
        a = _water_emphasis(bands[f"{m}_{product}"].astype(float), medium)
        if product == "mean":
            loc = "Table 5" if medium == "soil" else "Table 6"
            recs = sorted(rep.find(locator=loc, quantity="map_class", metal=m), key=lambda r: r.cls)
            bounds = [0.0] + [r.upper for r in recs]
            top = max(bounds[-1], np.nanmax(a) if np.isfinite(a).any() else bounds[-1])
            bounds = bounds + ([top * 1.0001] if top > bounds[-1] else [])
            cmap = ListedColormap(CLASS_COLOURS + (["#7b3294"] if len(bounds) > 6 else []))
            im = ax.imshow(
                a, extent=extent, cmap=cmap, norm=BoundaryNorm(bounds, cmap.N), interpolation="nearest", zorder=1
            )
            cb = fig.colorbar(im, ax=ax, shrink=0.75, pad=0.01, ticks=bounds)
            cb.ax.set_yticklabels([f"{b:.3g}" for b in bounds], fontsize=5)
            cb.set_label(f"{m} ({unit})", fontsize=6)
        elif product == "spread":
            im = ax.imshow(a, extent=extent, cmap="magma_r", interpolation="nearest", zorder=1)
            cb = fig.colorbar(im, ax=ax, shrink=0.75, pad=0.01)
            cb.set_label(f"{m} SD across trees ({unit})", fontsize=6)
            cb.ax.tick_params(labelsize=5)
        elif m in no_aoa:  # the model has no AOA (no informative predictor): no map to draw
            ax.text(
                0.5,
                0.5,
                NO_AOA_TEXT,
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=7,
                color="#444444",
                zorder=6,
                bbox={"facecolor": "white", "edgecolor": "#999999", "lw": 0.5},
            )
        else:
            # inside the AOA DI <= threshold by definition: a 0..2x threshold scale shows both the
            # structure inside and how far outside; larger values share the top colour (extend="max")
            im = ax.imshow(
                a,
                extent=extent,
                cmap="viridis",
                interpolation="nearest",
                zorder=1,
                vmin=0,
                vmax=2 * thr[m] if thr[m] > 0 else 1.0,
            )
            out = np.where(aoa[f"{m}_aoa"] == 0, 1.0, np.nan)
            ax.imshow(
                out, extent=extent, cmap=ListedColormap(["#bbbbbb"]), interpolation="nearest", zorder=2, alpha=0.85
            )
            cb = fig.colorbar(im, ax=ax, shrink=0.75, pad=0.01, extend="max")
            cb.ax.axhline(thr[m], color="r", lw=0.8)
            cb.set_label(f"{m} DI (AOA threshold {thr[m]:.2f})", fontsize=6)
            cb.ax.tick_params(labelsize=5)
        bb = _outline(ax, labels=(k == 0))
        _frame(ax, bb)
        ax.set_title(f"({'abcde'[k]}) {m}", fontsize=8, loc="left")
    ax = axes.flat[5]
    ax.axis("off")
    what = {
        "mean": "predicted concentration,\nclasses of the paper's " + ("Table 5" if medium == "soil" else "Table 6"),
        "spread": "ensemble spread: SD of the per-tree\npredictions (not a prediction interval)",
        "di": "dissimilarity index (DI);\ngrey = outside the area of applicability,\nred tick = AOA threshold "
        "(Meyer & Pebesma 2021);\nweights: out-of-sample importance",
    }[product]
    ax.text(
        0,
        0.9,
        f"{'Soil/sediment' if medium == 'soil' else 'River water'} at 60 m\n{what}.\n\n"
        "Rendered from COG overviews.\nMasked: snow/ice"
        + (", water" if medium == "soil" else ", land")
        + ".\nPost-processing: 5x5 median, > P99\nof the training data removed.",
        fontsize=6,
        va="top",
        wrap=True,
    )
    fig.tight_layout()
    return Drawn(
        fig,
        [path, paths.map_file(medium, "aoa")] if product == "di" else [path],  # every file read, for review
        status,
        f"{name}: {medium} {product} maps from the COG overviews",
        f"{name.split('_')[0]} {medium} {product} · surface reflectance model applied per pixel",
    )


def fig6(params: Params) -> Drawn:
    """Fig. 6: soil heavy-metal maps at 60 m in the classes of Table 5."""
    return _maps("fig6_soil_maps", "soil", "mean")


def fig7(params: Params) -> Drawn:
    """Fig. 7: river heavy-metal maps at 60 m in the classes of Table 6."""
    return _maps("fig7_water_maps", "water", "mean")


def fig6unc(params: Params) -> Drawn:
    """Companion of Fig. 6: ensemble spread (SD across trees) of the soil maps."""
    return _maps("fig6unc_soil_uncertainty", "soil", "spread")


def fig7unc(params: Params) -> Drawn:
    """Companion of Fig. 7: ensemble spread (SD across trees) of the river maps."""
    return _maps("fig7unc_water_uncertainty", "water", "spread")


def fig6aoa(params: Params) -> Drawn:
    """Companion of Fig. 6: dissimilarity index and area of applicability of the soil models."""
    return _maps("fig6aoa_soil_aoa", "soil", "di")


def fig7aoa(params: Params) -> Drawn:
    """Companion of Fig. 7: dissimilarity index and area of applicability of the river models."""
    return _maps("fig7aoa_water_aoa", "water", "di")
