"""Fig. 1 - study area: basin, prefectures, rivers, lakes, sites, relief, scale bar, north arrow."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LightSource
from pyproj import Transformer
from shapely.geometry import shape

from .. import geo
from ..config import Params
from ..imagery.grid import basin_grid, paper_crs, to_paper_crs
from ..imagery.surrogate import elevation
from ..provenance import combine_status
from ..sitetable import load_sites, site_table_source
from ..viz.figures import Drawn, patch

__all__ = ["fig1"]


def _lines(ax, geom, **kw):
    for g in getattr(geom, "geoms", [geom]):
        x, y = g.xy
        ax.plot(x, y, **kw)


def fig1(params: Params) -> Drawn:
    """Fig. 1 study area: basin, prefectures, rivers, lakes, sites, relief, scale bar, north arrow."""
    grid = basin_grid(3000)
    elev, _, _ = elevation(grid, 0, 0, grid.height, grid.width)
    extent = (
        grid.transform.c,
        grid.transform.c + grid.width * grid.res,
        grid.transform.f - grid.height * grid.res,
        grid.transform.f,
    )
    basin = to_paper_crs(geo.basin())
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    ls = LightSource(azdeg=315, altdeg=45)
    rgb = ls.shade(elev, cmap=plt.get_cmap("gist_earth"), vert_exag=0.02, blend_mode="soft", vmin=0, vmax=7000)
    im = ax.imshow(rgb, extent=extent, origin="upper", zorder=0)
    im.set_clip_path(patch(basin, transform=ax.transData))
    ax.add_patch(patch(basin, facecolor="none", edgecolor="k", lw=1.0, zorder=3))
    for name, g in sorted(geo.prefectures().items()):
        gp = to_paper_crs(g)
        ax.add_patch(patch(gp, facecolor="none", edgecolor="#444444", lw=0.5, ls="--", zorder=3))
        pt = gp.representative_point()
        ax.text(pt.x, pt.y, name.split()[0], fontsize=7, ha="center", style="italic", color="#222222", zorder=5)
    for g in geo.rivers().values():
        gg = to_paper_crs(g).intersection(basin.buffer(20_000))
        if not gg.is_empty:
            _lines(ax, gg, color="#1f78b4", lw=0.8, zorder=4)
    lakes = [shape(f["geometry"]) for f in json.loads(geo.geo_path("lakes").read_text())["features"]]
    for lk in lakes:
        lp = to_paper_crs(lk)
        if lp.intersects(basin):
            ax.add_patch(patch(lp, facecolor="#a6cee3", edgecolor="#1f78b4", lw=0.4, zorder=4))
    t = Transformer.from_crs("EPSG:4326", paper_crs(), always_xy=True)
    statuses = []
    for med, marker, color in (("soil", "^", "#d95f02"), ("water", "o", "#1b9e77")):
        s = load_sites(med)
        statuses += list(s.data_status)
        x, y = t.transform(s.lon.to_numpy(), s.lat.to_numpy())
        ax.scatter(
            x,
            y,
            marker=marker,
            s=26,
            color=color,
            edgecolor="k",
            lw=0.5,
            zorder=6,
            label=f"{'soil/sediment' if med == 'soil' else 'water'} site"
            + (" (approximate)" if s.location_approximate.astype(bool).any() else ""),
        )
        for sid, xi, yi in zip(s.site_id, x, y):
            ax.annotate(sid, (xi, yi), xytext=(3, 3), textcoords="offset points", fontsize=6, zorder=7)
    # scale bar (200 km) and north arrow
    x0, y0 = extent[0] + 60_000, extent[2] + 60_000
    ax.plot([x0, x0 + 200_000], [y0, y0], color="k", lw=2, zorder=8)
    ax.text(x0 + 100_000, y0 + 15_000, "200 km", ha="center", fontsize=7, zorder=8)
    ax.annotate(
        "N",
        xy=(extent[0] + 70_000, extent[3] - 40_000),
        xytext=(extent[0] + 70_000, extent[3] - 140_000),
        ha="center",
        fontsize=9,
        arrowprops=dict(arrowstyle="-|>", color="k"),
        zorder=8,
    )
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.set_xlabel("Easting (m), CGCS2000 / UTM zone 44N")
    ax.set_ylabel("Northing (m)")
    ax.ticklabel_format(style="sci", scilimits=(0, 0))
    ax.legend(loc="lower right", fontsize=6.5, frameon=True)
    # inset: Xinjiang with the basin
    xj = next(
        shape(f["geometry"])
        for f in json.loads(geo.geo_path("prefectures").read_text())["features"]
        if f["properties"]["level"] == "province"
    )
    ins = ax.inset_axes([0.80, 0.74, 0.2, 0.26])
    ins.add_patch(patch(xj, facecolor="#eeeeee", edgecolor="k", lw=0.5))
    ins.add_patch(patch(geo.basin(), facecolor="#fdbf6f", edgecolor="k", lw=0.5))
    b = xj.bounds
    ins.set_xlim(b[0], b[2])
    ins.set_ylim(b[1], b[3])
    ins.set_aspect(1 / np.cos(np.radians(42)))
    ins.set_xticks([])
    ins.set_yticks([])
    ins.set_title("Xinjiang", fontsize=6)
    sm = plt.cm.ScalarMappable(cmap="gist_earth", norm=plt.Normalize(0, 7000))
    fig.colorbar(sm, ax=ax, shrink=0.6, pad=0.02, label="elevation (m), 0.2° DEM")
    ins = [geo.geo_path(k) for k in ("basin", "prefectures", "rivers", "lakes", "dem")]
    ins += [site_table_source(m) for m in ("soil", "water")]
    return Drawn(
        fig,
        ins,
        combine_status(*statuses),
        "Fig. 1 study area; site coordinates approximate unless real",
        "Fig. 1 study area · site positions approximate (the paper publishes no coordinates)",
    )
