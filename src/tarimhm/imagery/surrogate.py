"""Offline surrogate Sentinel-2 mosaic of the basin, built from real geography.

NOT imagery: a deterministic stand-in with the right geography, used when no network gives
access to real Sentinel-2 L2A (``tarimhm.imagery.stac``, planned). Every product made from it
is marked ``surrogate``.

Each pixel gets a land-cover class from real data (basin outline, Natural Earth lakes and
rivers, the Taklimakan label polygon, the 0.2° DEM) and that class's B2/B3/B4/B8 surface
reflectance, modulated by spatially correlated texture. Everything is a function of the pixel
centre's coordinates only, so any tiling gives the same values (tested) and the same seed gives
the same bytes.
"""

from __future__ import annotations

import contextlib
from functools import lru_cache

import numpy as np
import rasterio
from rasterio.features import rasterize
from rasterio.windows import Window
from scipy.interpolate import RegularGridInterpolator
from shapely.geometry import shape
from shapely.ops import unary_union
from tqdm.auto import tqdm

from .. import geo
from ..provenance import Provenance, atomic_path, write_sidecar
from .grid import BANDS, Grid, paper_crs, to_paper_crs

__all__ = [
    "CLASSES",
    "SPECTRA",
    "MASK_BITS",
    "elevation",
    "classify_block",
    "masks_from_classes",
    "surrogate_block",
    "build_surrogate",
    "build_masks",
]

#: bits of the mask raster: inside the basin, large open water (lakes, river channels), snow/ice
MASK_BITS = {"basin": 1, "water": 2, "snow_ice": 4}

# class id: (name, texture amplitude)
CLASSES = {
    0: ("nodata", 0.0),
    1: ("open water", 0.04),
    2: ("riparian corridor", 0.10),
    3: ("irrigated oasis", 0.12),
    4: ("Taklimakan sand", 0.06),
    5: ("gobi / gravel plain", 0.08),
    6: ("bare mountain", 0.10),
    7: ("snow / ice", 0.05),
}
# Class-mean surface reflectance in B2, B3, B4, B8. Representative values of the spectral
# libraries' material groups (USGS splib07, Kokaly et al. 2017, doi:10.5066/F7RR1WDJ; ECOSTRESS,
# Meerdink et al. 2019, doi:10.1016/j.rse.2019.05.015) read at the band centres; not a
# convolution with the Sentinel-2 response functions.
SPECTRA = {
    1: (0.060, 0.055, 0.040, 0.020),  # turbid inland water
    2: (0.040, 0.070, 0.050, 0.300),  # riparian poplar / tamarisk vegetation
    3: (0.045, 0.080, 0.060, 0.320),  # irrigated cotton / wheat fields
    4: (0.150, 0.220, 0.300, 0.370),  # aeolian quartz-feldspar sand
    5: (0.120, 0.160, 0.200, 0.250),  # desert pavement, gravel
    6: (0.100, 0.130, 0.160, 0.210),  # bare rock slopes
    7: (0.850, 0.830, 0.800, 0.700),  # fresh snow / glacier ice
}
SNOW_M, MOUNTAIN_M = 5000.0, 2200.0  # elevation thresholds (DEM 0.2°; Kunlun snow line ~5000 m)
OASIS_ELEV = (900.0, 1600.0)  # piedmont oasis belt
RIPARIAN_M, OASIS_M, CHANNEL_M = 2_000.0, 25_000.0, 150.0  # buffers around Natural Earth river lines


@lru_cache(maxsize=1)
def _layers():
    """Geography in the paper CRS: basin, water, riparian, oasis and desert polygons; DEM interpolator."""
    import json

    basin = to_paper_crs(geo.basin())
    rivers = to_paper_crs(unary_union(list(geo.rivers().values())))
    lakes = to_paper_crs(
        unary_union([shape(f["geometry"]) for f in json.loads(geo.geo_path("lakes").read_text())["features"]])
    )
    regions = json.loads((geo.geo_path("basin").parent / "ne_10m_regions_tarim_basin.geojson").read_text())
    desert = to_paper_crs(
        unary_union(
            [shape(f["geometry"]) for f in regions["features"] if f["properties"]["name"] == "TAKLIMAKAN DESERT"]
        )
    )
    dem = geo.dem_points().pivot_table(index="lat", columns="lon", values="elev_m")
    interp = RegularGridInterpolator(
        (dem.index.to_numpy(), dem.columns.to_numpy()), dem.to_numpy(), bounds_error=False, fill_value=None
    )
    return {
        "basin": basin,
        "water": unary_union([lakes, rivers.buffer(CHANNEL_M)]),
        "riparian": rivers.buffer(RIPARIAN_M),
        "oasis": rivers.buffer(OASIS_M),
        "desert": desert,
        "dem": interp,
    }


def _burn(geom, transform, shape_hw):
    if geom.is_empty:
        return np.zeros(shape_hw, bool)
    return rasterize([(geom, 1)], out_shape=shape_hw, transform=transform, fill=0, dtype="uint8").astype(bool)


def elevation(grid: Grid, r, c, h, w):
    from pyproj import Transformer

    x, y = grid.centres(r, c, h, w)
    lon, lat = Transformer.from_crs(paper_crs(), "EPSG:4326", always_xy=True).transform(x, y)
    return _layers()["dem"]((lat, lon)), x, y


def classify_block(grid: Grid, r: int, c: int, h: int, w: int) -> np.ndarray:
    """Land-cover class (uint8, see CLASSES) of a block of the grid."""
    L = _layers()
    t = grid.block_transform(r, c)
    elev, _, _ = elevation(grid, r, c, h, w)
    inside = _burn(L["basin"], t, (h, w))
    cls = np.full((h, w), 5, np.uint8)
    cls[_burn(L["desert"], t, (h, w))] = 4
    oasis = _burn(L["oasis"], t, (h, w)) & (elev >= OASIS_ELEV[0]) & (elev <= OASIS_ELEV[1]) & (cls != 4)
    cls[oasis] = 3
    cls[_burn(L["riparian"], t, (h, w)) & (elev <= MOUNTAIN_M)] = 2
    cls[elev > MOUNTAIN_M] = 6
    cls[elev > SNOW_M] = 7
    cls[_burn(L["water"], t, (h, w))] = 1
    cls[~inside] = 0
    return cls


def masks_from_classes(cls: np.ndarray) -> np.ndarray:
    """uint8 bit mask (MASK_BITS) from land-cover classes: the paper masks snow and large open
    water before mapping (Sect. 2.3.1 (4)); everything outside the basin is 0."""
    m = np.where(cls > 0, MASK_BITS["basin"], 0)
    m |= np.where(cls == 1, MASK_BITS["water"], 0)
    m |= np.where(cls == 7, MASK_BITS["snow_ice"], 0)
    return m.astype(np.uint8)


def _classify_job(args):
    grid, r, c, h, w = args
    return r, c, h, w, classify_block(grid, r, c, h, w)


def build_masks(
    path, grid: Grid, prov: Provenance, tile: int = 512, progress: bool = True, classes_path=None, workers: int = 1
):
    """Write the basin / water / snow-ice mask raster from geography alone (both imagery sources).

    With ``classes_path`` (the surrogate's land-cover raster) the classes are read, not recomputed."""
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "dtype": "uint8",
        "crs": grid.crs_wkt,
        "transform": grid.transform,
        "nodata": None,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
    }
    with atomic_path(path) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.update_tags(
                **{k: v for k, v in prov.flat().items() if k != "tarimhm_created_utc"},
                bits=";".join(f"{k}={v}" for k, v in MASK_BITS.items()),
            )
            dst.set_band_description(1, "mask bits: 1 basin, 2 open water, 4 snow/ice")
            jobs = [(grid, r, c, h, w) for r, c, h, w in grid.windows(tile)]
            with contextlib.ExitStack() as stack:
                if classes_path is not None:
                    src = stack.enter_context(rasterio.open(classes_path))
                    results = ((r, c, h, w, src.read(1, window=Window(c, r, w, h))) for _, r, c, h, w in jobs)
                else:
                    results = stack.enter_context(_ordered_map(_classify_job, jobs, workers))
                for r, c, h, w, cls in tqdm(
                    results, total=len(jobs), desc="masks", disable=None if progress else True, leave=False
                ):
                    dst.write(masks_from_classes(cls), 1, window=Window(c, r, w, h))
    write_sidecar(path, prov)
    return path


def _hash(ix, iy, seed):
    """Uniform [0, 1) from integer lattice coordinates (splitmix64-style mixing).

    Hand-written because texture must be a pure function of absolute coordinates (tiling-
    independent); numpy's generators produce streams, not coordinate hashes.
    """
    z = (ix.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ (iy.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F))
    z ^= np.uint64((int(seed) * 0x165667B19E3779F9) % (1 << 64))
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _value_noise(x, y, scale, seed):
    """Smooth lattice noise in [-1, 1] at length ``scale`` (m), bilinear with smoothstep."""
    gx, gy = x / scale, y / scale
    ix, iy = np.floor(gx).astype(np.int64), np.floor(gy).astype(np.int64)
    fx, fy = gx - ix, gy - iy
    sx, sy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
    off = np.int64(1 << 40)  # keep lattice indices positive before the unsigned cast
    v00, v10 = _hash(ix + off, iy + off, seed), _hash(ix + 1 + off, iy + off, seed)
    v01, v11 = _hash(ix + off, iy + 1 + off, seed), _hash(ix + 1 + off, iy + 1 + off, seed)
    v = (v00 * (1 - sx) + v10 * sx) * (1 - sy) + (v01 * (1 - sx) + v11 * sx) * sy
    return 2 * v - 1


def surrogate_block(grid: Grid, r: int, c: int, h: int, w: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(bands uint16 (4, h, w) with DN = 10000 x reflectance, 0 = nodata; class uint8 (h, w))."""
    cls = classify_block(grid, r, c, h, w)
    x, y = grid.centres(r, c, h, w)
    common = 0.7 * _value_noise(x, y, 3000.0, seed) + 0.3 * _value_noise(x, y, 600.0, seed + 1)
    amp = np.array([CLASSES[k][1] for k in range(8)])[cls]
    spec = np.zeros((8, 4))
    for k, v in SPECTRA.items():
        spec[k] = v
    out = np.zeros((4, h, w), np.uint16)
    for b in range(4):
        own = _value_noise(x, y, 1200.0, seed + 10 + b)
        refl = spec[cls, b] * (1 + amp * (0.8 * common + 0.2 * own))
        dn = np.clip(np.rint(refl * 10000), 1, 65535).astype(np.uint16)
        out[b] = np.where(cls > 0, dn, 0)
    return out, cls


@contextlib.contextmanager
def _ordered_map(func, jobs, workers: int):
    """Results of ``func`` over ``jobs`` in job order; computed by ``workers`` processes when > 1
    (the caller writes them in order, so output does not depend on the worker count)."""
    if workers <= 1:
        yield map(func, jobs)
        return
    from .._workers import worker_pool

    pool = worker_pool(workers)
    try:
        yield pool.map(func, jobs, chunksize=4)
    finally:
        pool.shutdown(cancel_futures=True)


def _block_job(args):
    grid, r, c, h, w, seed = args
    return r, c, h, w, surrogate_block(grid, r, c, h, w, seed)


def build_surrogate(
    path,
    grid: Grid,
    seed: int,
    prov: Provenance,
    tile: int = 512,
    progress: bool = True,
    classes_path=None,
    workers: int = 1,
):
    """Write the surrogate mosaic (4-band uint16 GeoTIFF, tiled, DEFLATE) block by block.

    The whole basin is never in memory: each block is generated and written on its own. The
    file appears under its final name only when complete (atomic rename). Embedded tags carry
    the data status, commit and parameter hash but no timestamp, so reruns are byte-identical.
    """
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 4,
        "dtype": "uint16",
        "crs": grid.crs_wkt,
        "transform": grid.transform,
        "nodata": 0,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 2,
    }
    tags = {k: v for k, v in prov.flat().items() if k != "tarimhm_created_utc"}
    tags.update(
        scale_factor="0.0001",
        add_offset="0",
        units="surface reflectance x 10000",
        classes=";".join(f"{k}={v[0]}" for k, v in CLASSES.items()),
    )
    cls_profile = dict(profile, count=1, dtype="uint8", nodata=0, predictor=1)
    with atomic_path(path) as tmp, atomic_path(classes_path or str(path).replace(".tif", "_classes.tif")) as tmpc:
        with rasterio.open(tmp, "w", **profile) as dst, rasterio.open(tmpc, "w", **cls_profile) as dstc:
            dst.update_tags(**tags)
            dstc.update_tags(**tags)
            for i, name in enumerate(BANDS, start=1):
                dst.set_band_description(i, name)
            dstc.set_band_description(1, "land-cover class")
            jobs = [(grid, r, c, h, w, seed) for r, c, h, w in grid.windows(tile)]
            with _ordered_map(_block_job, jobs, workers) as results:
                for r, c, h, w, (bands, cls) in tqdm(
                    results, total=len(jobs), desc="surrogate mosaic", disable=None if progress else True, leave=False
                ):
                    dst.write(bands, window=Window(c, r, w, h))
                    dstc.write(cls, 1, window=Window(c, r, w, h))
    write_sidecar(path, prov)
    write_sidecar(classes_path or str(path).replace(".tif", "_classes.tif"), prov)
    return path
