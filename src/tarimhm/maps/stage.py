"""Stage 070: the 10 basin maps at the mosaic's resolution (Sect. 2.3.1 (4); Tables 5-6, Figs 6-7).

Per model: compile the exported forest (+ its jackknife+ leave-one-out forests) and DI tables;
per medium: run every tile (:mod:`tarimhm.raster.predict`, the engine), convert the tiles to two COGs
(``<medium>_maps.tif``: mean, spread, lower, upper per metal; ``<medium>_aoa.tif``: DI and AOA per metal),
and sum the per-tile class counts into ``<medium>_summary.json``; Tables 5-6 and the map audit
(``<medium>_classes.csv``, ``paper/audit/maps_<medium>.csv``) follow from those counts. Timings per
phase are saved in ``timings.json``.
"""

from __future__ import annotations

import hashlib
import json
import resource
import shutil
import time
from pathlib import Path

import numpy as np
import rasterio

from .. import paths
from .._errors import MissingOutputError
from ..audit import write_audit
from ..config import Params, section_hash
from ..domain import METALS, UNITS
from ..provenance import committed, make_provenance, sidecar_path, write_json, write_sidecar, write_table
from ..raster.compile import compile_model
from ..raster.predict import APPLICABILITY, PRODUCTS, MapSpec, assemble, run_tiles
from ..raster.store import save_compiled
from ..reported import Reported
from ..rf.aoa import WEIGHTS_SOURCE
from ..rf.export import load_forest, load_loo
from ..rf.intervals import read_loo_meta
from ..schemas import read_checked, training_schema
from .audit import class_shares, map_audit

__all__ = ["run_maps", "class_edges", "SECTIONS"]

SECTIONS = ("maps", "imagery", "rf")  # parameter sections the stage reads
PRODUCT_MEANING = {
    "mean": "forest mean after the 5x5 NaN-aware median; NaN above the training P99 and off the target surface",
    "spread": "SD of the per-tree predictions (ensemble spread, not a prediction interval)",
    "lower": "jackknife+ lower bound at interval_level on ln C, back-transformed (Barber et al. 2021)",
    "upper": "jackknife+ upper bound at interval_level on ln C, back-transformed",
    "di": "dissimilarity index (Meyer & Pebesma 2021), stored as counts of 0.001 (scale 0.001); "
    "nodata everywhere where aoa_defined is false",
    "aoa": "area of applicability: 1 inside (DI <= aoa_threshold), 0 outside; nodata everywhere where "
    "aoa_defined is false (no informative predictor)",
}
TILE_FORMAT = "tarimhm-tiles-4"  # bump when the tile files change: old caches are then not reused


def class_edges(rep: Reported, medium: str, metal: str) -> dict:
    """The paper's class upper bounds (Table 5 soil / Table 6 water) and the reference levels
    quoted with the maps (soil: Xinjiang backgrounds; water: GB 3838-2002 class III and V)."""
    loc = "Table 5" if medium == "soil" else "Table 6"
    classes = sorted(rep.find(locator=loc, quantity="map_class", metal=metal), key=lambda r: r.cls)
    refs = {}
    if medium == "soil":
        refs["background"] = rep.value(locator="Table 1", quantity="background", metal=metal)
    else:
        for c in ("III", "V"):
            refs[f"standard_{c}"] = rep.value(locator="Table 1", quantity=f"standard_{c}", metal=metal)
    text = rep.find(
        locator="Sect. 3.2.3" if medium == "water" else "Sect. 3.2.2", quantity="map_share_text", metal=metal
    )
    lowers = [r.lower for r in text if r.lower is not None and r.lower > 0.001]
    uppers = [r.upper for r in classes]
    edges = sorted(set(uppers) | set(refs.values()) | {v for v in lowers})
    return {"uppers": uppers, "lowers": [r.lower for r in classes], "refs": refs, "edges": edges}


def _training_y(rep: Reported, medium: str, metal: str) -> np.ndarray:
    table = read_checked(paths.training_table(), training_schema(), "imagery")
    d = table[table.medium == medium].set_index("site_id")
    return d.loc[getattr(rep.splits, medium)[metal].train, metal].to_numpy(float)


def _read_aoa(path: Path) -> dict:
    """The ``*_aoa.npz`` arrays of stage 060; ``aoa_defined`` False: the model has no AOA."""
    with np.load(paths.require(path, "rf"), allow_pickle=False) as z:
        aoa = {k: z[k] for k in z.files}
    if "aoa_defined" not in aoa:
        raise MissingOutputError(
            f"{path}: aoa_defined: missing (written before the AOA weights became out-of-sample); "
            "run `make rf` to rewrite it"
        )
    aoa["aoa_defined"] = bool(aoa["aoa_defined"])
    aoa["aoa_note"] = str(aoa.get("aoa_note", ""))
    return aoa


def _input_key(paths_: list[Path]) -> str:
    """Key of the tile cache: the sha256 of every input (from its sidecar when it has one)."""
    h = hashlib.sha256(TILE_FORMAT.encode())
    for p in paths_:
        side = sidecar_path(p)
        h.update(json.loads(side.read_text())["sha256"].encode() if side.exists() else p.read_bytes())
    return h.hexdigest()[:12]


@committed("maps")
def run_maps(
    params: Params,
    rep: Reported,
    script: Path,
    progress: bool = True,
    scheduler: str | None = None,
    media=("soil", "water"),
    stop_after: int | None = None,
) -> dict:
    """Compile, predict, post-process and write the basin maps. ``stop_after`` (tests) interrupts
    after that many new tiles of the first medium and returns None, leaving the tiles to resume."""
    t_start = time.perf_counter()
    mp, ip = params.maps, params.imagery
    mosaic, masks = paths.mosaic(ip.resolution_m, ip.source), paths.masks(ip.resolution_m)
    status = json.loads(sidecar_path(paths.require(paths.training_table(), "imagery")).read_text())["data_status"]
    out = paths.maps_dir()
    timings = {"media": {}, "compile_s": 0.0}
    summaries = {}
    for med in media:
        tc = time.perf_counter()
        compiled, edges, info = [], [], {}
        for m in METALS:
            fpath = paths.rf_model(med, m)
            loo_meta = read_loo_meta(paths.require(paths.rf_model(med, m, "loo"), "rf"))  # refuses absolute-scale files
            loo, resid = load_loo(paths.rf_model(med, m, "loo"))
            aoa = _read_aoa(paths.rf_model(med, m, "aoa"))
            thr = float(aoa["threshold"]) if aoa["aoa_defined"] else float("nan")
            cm = compile_model(
                load_forest(fpath),
                loo,
                resid,
                params.rf.interval_level,
                mp.max_table_cells,
                resid_scale=loo_meta["residual_scale"],
            )
            p99 = float(np.percentile(_training_y(rep, med, m), 99))
            ce = class_edges(rep, med, m)
            cpath = out / "compiled" / f"{med}_{m}.npz"
            save_compiled(
                cm,
                aoa,
                {
                    "medium": med,
                    "metal": m,
                    "p99": p99,
                    "unit": UNITS[med],
                    "aoa_threshold": thr,
                    "data_status": status,
                },
                cpath,
            )
            compiled.append(str(cpath))
            edges.append(tuple(ce["edges"]))
            info[m] = {
                **cm.summary(),
                "p99_training": p99,
                "aoa_threshold": thr,
                "aoa_defined": aoa["aoa_defined"],
                "aoa_note": aoa["aoa_note"],
                **ce,
            }
        timings["compile_s"] += time.perf_counter() - tc
        key = _input_key([mosaic, masks, *map(Path, compiled)])
        tile_dir = paths.work_dir("maps-tiles") / f"{med}-{key}"
        with rasterio.open(mosaic) as src:
            crs_wkt, transform, width, height = src.crs.to_wkt(), src.transform, src.width, src.height
        spec = MapSpec(
            medium=med,
            metals=tuple(METALS),
            mosaic=str(mosaic),
            masks=str(masks),
            compiled=tuple(compiled),
            edges=tuple(edges),
            tile_dir=str(tile_dir),
            tile=mp.tile,
            width=width,
            height=height,
        )
        tw = time.perf_counter()
        tim = run_tiles(spec, mp.workers, scheduler, progress, stop_after=stop_after, desc=f"{med} maps")
        tim["tiles_wall_s"] = time.perf_counter() - tw
        if stop_after is not None:
            return None
        prov = make_provenance(
            script,
            section_hash(params, *SECTIONS),
            [mosaic, masks, *[paths.rf_model(med, m) for m in METALS]],
            status,
            note=f"{med} heavy-metal maps: compiled RF, 5x5 median, P99 removal, surface mask",
        )
        tags = {k: v for k, v in prov.flat().items() if k != "tarimhm_created_utc"}
        tags.update(
            medium=med,
            units=UNITS[med],
            interval_level=str(params.rf.interval_level),
            interval_scale="jackknife+ on ln C, back-transformed (positive, asymmetric bounds)",
            aoa_weights=WEIGHTS_SOURCE,
            post_processing="target-surface mask; 5x5 NaN-aware median of the mean; mean > training P99 removed (NaN)",
            target_surface=(
                "land: basin, not water, not snow/ice" if med == "soil" else "water mask (rivers, lakes), not snow/ice"
            ),
        )
        band_tags, units = [], []
        for m in METALS:
            for p in PRODUCTS:
                band_tags.append(
                    {
                        "metal": m,
                        "product": p,
                        "compiled_path": info[m]["path"],
                        "p99_training": f"{info[m]['p99_training']:.6g}",
                        "aoa_threshold": f"{info[m]['aoa_threshold']:.6g}",
                        **_aoa_tags(info[m]),
                        "meaning": PRODUCT_MEANING[p],
                    }
                )
                units.append(UNITS[med])
        ta = time.perf_counter()
        assemble(spec, paths.map_file(med, "maps"), "val", crs_wkt, transform, tags, band_tags, units, mp.cog_threads)
        app_tags = [
            {
                "metal": m,
                "product": p,
                "aoa_threshold": f"{info[m]['aoa_threshold']:.6g}",
                **_aoa_tags(info[m]),
                "meaning": PRODUCT_MEANING[p],
            }
            for m in METALS
            for p in APPLICABILITY
        ]
        assemble(
            spec,
            paths.map_file(med, "aoa"),
            "aoa",
            crs_wkt,
            transform,
            tags,
            app_tags,
            ["1", ""] * len(METALS),
            mp.cog_threads,
        )
        for kind in ("maps", "aoa"):
            write_sidecar(paths.map_file(med, kind), prov)
        tim["assemble_s"] = time.perf_counter() - ta
        summaries[med] = _summarise(tile_dir, info)
        write_json(
            {"medium": med, "unit": UNITS[med], "data_status": status, "metals": summaries[med]},
            paths.map_summary(med),
            prov,
        )
        _tables_and_audit(script, params, rep, med, status)
        shutil.rmtree(tile_dir)
        timings["media"][med] = tim
    timings["wall_s"] = time.perf_counter() - t_start
    timings["peak_rss_mb"] = {
        "self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "largest_child": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }
    timings["workers"], timings["tile"], timings["scheduler"] = mp.workers, mp.tile, scheduler or "local"
    prov = make_provenance(script, section_hash(params, *SECTIONS), [mosaic, masks], status, note="basin map timings")
    write_json(timings, out / "timings.json", prov)
    return summaries


def _aoa_tags(info: dict) -> dict:
    """Band tags saying whether the model has an AOA, and why not."""
    tags = {"aoa_defined": "true" if info["aoa_defined"] else "false"}
    if not info["aoa_defined"]:
        tags["aoa_note"] = info["aoa_note"]
    return tags


def _tables_and_audit(script: Path, params: Params, rep: Reported, medium: str, status: str) -> None:
    """Tables 5-6 rows (``<medium>_classes.csv``, full precision) and ``paper/audit/maps_<medium>.csv``."""
    prov = make_provenance(
        script,
        section_hash(params, *SECTIONS),
        [paths.map_summary(medium), paths.REPORTED],
        status,
        note=f"{'Table 5' if medium == 'soil' else 'Table 6'}: % of mapped area per "
        "class, and the map numbers of the text",
    )
    t = class_shares(rep, medium)
    write_table(t, paths.maps_dir() / f"{medium}_classes.csv", prov)
    write_audit(map_audit(rep, medium, t), paths.audit_file(f"maps_{medium}.csv"), prov)


def _summarise(tile_dir: Path, info: dict) -> dict:
    """Sum the per-tile counts into per-metal totals."""
    tot = {
        m: {"counts": None, "n_domain": 0, "n_removed": 0, "n_valid": 0, "n_in_aoa": 0, "min": None, "max": None}
        for m in info
    }
    for js in sorted(Path(tile_dir).glob("*.json")):
        d = json.loads(js.read_text())
        if d.get("empty"):
            continue
        for m, s in d["metals"].items():
            t = tot[m]
            t["counts"] = s["counts"] if t["counts"] is None else [a + b for a, b in zip(t["counts"], s["counts"])]
            for k in ("n_domain", "n_removed", "n_valid", "n_in_aoa"):
                t[k] += s[k]
            if s["min"] is not None:
                t["min"] = s["min"] if t["min"] is None else min(t["min"], s["min"])
                t["max"] = s["max"] if t["max"] is None else max(t["max"], s["max"])
    for m in tot:
        tot[m].update(info[m])
        if not info[m]["aoa_defined"]:
            tot[m]["n_in_aoa"] = None  # no AOA, not an empty one
        if tot[m]["counts"] is None:
            tot[m]["counts"] = [0] * (len(info[m]["edges"]) + 1)
    return tot
