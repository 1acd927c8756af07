"""Stage 050: the mosaic (surrogate offline) and the paired training table of site spectra."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import geo, paths
from ..config import Params, section_hash
from ..domain import MEDIA, METALS
from ..provenance import combine_status, committed, make_provenance, write_table
from ..sitetable import load_sites, site_table_source
from .grid import BANDS, basin_grid
from .sites import site_spectra
from .stac import StacConfig, build_real_mosaic, search_items
from .surrogate import build_masks, build_surrogate

__all__ = ["run_imagery"]


@committed("imagery")
def run_imagery(params: Params, script: Path, progress: bool = True) -> pd.DataFrame:
    ip = params.imagery
    grid = basin_grid(ip.resolution_m)
    mpath = paths.mosaic(ip.resolution_m, ip.source)
    phash = section_hash(params, "imagery")
    geo_in = [geo.geo_path(k) for k in ("basin", "rivers", "lakes", "dem")]
    if ip.source == "stac":
        cfg = StacConfig(
            endpoint=ip.stac_endpoint,
            collection=ip.stac_collection,
            datetime=ip.stac_datetime,
            max_cloud=ip.stac_max_cloud,
        )
        items = search_items(cfg, geo.basin().bounds)
        prov = make_provenance(
            script,
            phash,
            geo_in,
            "real",
            note=f"Sentinel-2 L2A median composite of {len(items)} scenes from {ip.stac_endpoint}",
        )
        build_real_mosaic(mpath, grid, items, cfg, prov, tile=ip.tile, progress=progress)
        status = "real"
    else:
        prov = make_provenance(
            script,
            phash,
            geo_in,
            "surrogate",
            note=f"surrogate Sentinel-2 mosaic at {ip.resolution_m:g} m (not imagery)",
        )
        build_surrogate(mpath, grid, ip.seed, prov, tile=ip.tile, progress=progress, workers=ip.workers)
        status = "surrogate"
    mprov = make_provenance(
        script,
        phash,
        geo_in,
        "real",
        note="masks from real geography (basin, Natural Earth lakes/rivers, DEM snow line)",
    )
    classes = str(mpath).replace(".tif", "_classes.tif") if ip.source == "surrogate" else None
    build_masks(
        paths.masks(ip.resolution_m),
        grid,
        mprov,
        tile=ip.tile,
        progress=progress,
        classes_path=classes,
        workers=ip.workers,
    )
    rows = []
    for med in MEDIA:
        sites = load_sites(med)
        spec = site_spectra(mpath, sites)
        t = sites[["site_id", "medium", *METALS, "unit", "data_status"]].merge(spec, on="site_id")
        t = t.rename(columns={"data_status": "concentration_status"})
        t["spectra_status"] = status
        t["data_status"] = [combine_status(s, status) for s in t.concentration_status]
        rows.append(t)
    table = pd.concat(rows, ignore_index=True)[
        ["site_id", "medium", *BANDS, *METALS, "unit", "concentration_status", "spectra_status", "data_status"]
    ]
    ins = [mpath] + [site_table_source(m) for m in ("soil", "water")]
    prov_t = make_provenance(
        script,
        phash,
        ins,
        combine_status(*table.data_status),
        note="training table: 3x3-window mean reflectance, bilinear at the site",
    )
    write_table(table, paths.training_table(), prov_t, float_format="%.6g")
    return table
