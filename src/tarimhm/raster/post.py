"""Post-processing of the basin maps (Sect. 2.3.1 (4)) and the per-class area counts.

The paper lists three steps: a 5x5 median filter, removal of values above the 99th percentile
of the training data, and masking of non-target surfaces (snow/ice and large water bodies).
Rules used here (the paper gives no more detail):

* **target surface.** Soil models map land: basin, not water, not snow/ice. Water models map
  the water mask (Natural Earth rivers and lakes, burned into the 60 m grid), not snow/ice.
  The mask is applied *before* the filter so that the median of a river pixel never takes the
  water model's output on the bank (at 60 m most rivers are 1-2 pixels wide).
* **median.** 5x5 window over the target-surface pixels only (NaN elsewhere), as
  ``numpy.nanmedian``; the window crosses tile edges through a 2-pixel halo, so tiled == untiled.
  Only the mean concentration is filtered; spread, interval bounds, DI and AOA are per pixel.
* **removal.** Filtered means above the 99th percentile (numpy's linear rule) of the model's
  training concentrations are set to NaN and counted as removed.
* **DI** is written as uint16 counts of 0.001 (band scale 0.001; a float32 DI band would be
  three times larger than all the concentration bands together); AOA is computed from the exact DI.
  A model without an AOA (no informative predictor; threshold NaN) gets neither: DI and AOA are
  nodata on every pixel.
"""

from __future__ import annotations

import numpy as np

from . import kernels

__all__ = [
    "MASK_BASIN",
    "MASK_WATER",
    "MASK_SNOW",
    "AOA_NODATA",
    "APP_NODATA",
    "DI_SCALE",
    "domain",
    "nanmedian5",
    "postprocess",
    "tile_counts",
    "overview_pyramid",
    "encode_applicability",
]

MASK_BASIN, MASK_WATER, MASK_SNOW = 1, 2, 4  # bits of masks_<res>m.tif (tarimhm.imagery.surrogate)
AOA_NODATA = 255
DI_SCALE = 1e-3  # DI is stored as uint16 counts of 0.001 (band scale 0.001); AOA uses the exact DI
APP_NODATA = 65535  # nodata of the uint16 applicability file (DI counts and AOA)


def domain(mask: np.ndarray, medium: str) -> np.ndarray:
    """Target surface of a medium from the mask bits."""
    basin = (mask & MASK_BASIN) > 0
    water = (mask & MASK_WATER) > 0
    snow = (mask & MASK_SNOW) > 0
    if medium == "soil":
        return basin & ~water & ~snow
    if medium == "water":
        return basin & water & ~snow
    raise ValueError(f"medium must be 'soil' or 'water', got {medium!r}")


def nanmedian5(a: np.ndarray) -> np.ndarray:
    """5x5 NaN-aware median of a haloed block; returns the block without its 2-pixel halo."""
    a = np.ascontiguousarray(a)
    out = np.empty((a.shape[0] - 4, a.shape[1] - 4), a.dtype)
    kernels.nanmedian5(a, out)
    return out


def postprocess(pred: np.ndarray, di: np.ndarray, dom: np.ndarray, p99: float, aoa_threshold: float) -> dict:
    """pred: (4, h+4, w+4) mean, variance, lower, upper on the haloed block; di: (h, w) float64;
    dom: (h+4, w+4) target surface. Returns float32 bands (mean, spread, lower, upper), DI, the
    AOA bytes (1 inside, 0 outside, 255 off-surface) and the counts of surface/removed pixels.
    ``aoa_threshold`` NaN (a model without an AOA): DI NaN and AOA 255 everywhere."""
    mean = np.where(dom, pred[0], np.float32(np.nan)).astype(np.float32)
    filt = nanmedian5(mean)
    removed = filt > p99
    filt[removed] = np.nan
    inner = dom[2:-2, 2:-2]
    nan = np.float32(np.nan)
    spread = np.where(inner, np.sqrt(pred[1, 2:-2, 2:-2]), nan)
    lower = np.where(inner, pred[2, 2:-2, 2:-2], nan)
    upper = np.where(inner, pred[3, 2:-2, 2:-2], nan)
    defined = bool(np.isfinite(aoa_threshold))
    di32 = np.where(inner & defined, di, np.nan).astype(np.float32)
    aoa = np.where(inner & defined, (di <= aoa_threshold).astype(np.uint8), np.uint8(AOA_NODATA)).astype(np.uint8)
    return {
        "bands": np.stack([filt, spread, lower, upper]).astype(np.float32),
        "di": di32,
        "aoa": aoa,
        "n_domain": int(inner.sum()),
        "n_removed": int(removed.sum()),
    }


def tile_counts(res: dict, edges: np.ndarray) -> dict:
    """Counts of the post-processed mean in the bins (-inf, e0], (e0, e1], ..., (e_last, inf),
    with the surface size, removed and valid counts, min/max and pixels inside the AOA."""
    mean = res["bands"][0]
    v = mean[np.isfinite(mean)].astype(np.float64)
    counts = np.bincount(np.searchsorted(edges, v, side="left"), minlength=len(edges) + 1)
    return {
        "counts": counts.tolist(),
        "n_domain": res["n_domain"],
        "n_removed": res["n_removed"],
        "n_valid": int(v.size),
        "min": float(v.min()) if v.size else None,
        "max": float(v.max()) if v.size else None,
        "n_in_aoa": int((res["aoa"] == 1).sum()),
    }


def _halve(s: np.ndarray, n: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    shape = (s.shape[0], -(-s.shape[1] // 2), -(-s.shape[2] // 2))
    out_s, out_n = np.empty(shape, np.float64), np.empty(shape, np.int64)
    kernels.halve(s, np.zeros((1, 1, 1), np.int64) if n is None else n, n is None, out_s, out_n)
    return out_s, out_n


def overview_pyramid(vals: np.ndarray, aoa: np.ndarray, n_levels: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Overviews at factors 2, 4, ... : NaN-aware block means of the float bands (sums and counts
    carried level to level in float64 in a fixed order, so a tile aligned to every factor gives
    exactly the overview of the whole grid) and, for AOA, 1 where at least half of the mapped
    pixels are inside (255 where none is mapped). Written by hand because GDAL's per-file
    overviews at the deeper levels depend on the file's extent, and these must not depend on the tiling."""
    if n_levels == 0:
        return []
    s, n = _halve(vals, None)
    ins, cnt = _halve(np.where(aoa != AOA_NODATA, (aoa == 1).astype(np.float32), np.float32(np.nan)), None)
    out = []
    for level in range(n_levels):
        if level:
            s, n = _halve(s, n)
            ins, cnt = _halve(ins, cnt)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, s / np.maximum(n, 1), np.nan).astype(np.float32)
        a = np.where(cnt > 0, (2 * ins >= cnt).astype(np.uint8), np.uint8(AOA_NODATA)).astype(np.uint8)
        out.append((mean, a))
    return out


def encode_applicability(di: np.ndarray, aoa: np.ndarray) -> np.ndarray:
    """uint16 bands DI_1, AOA_1, DI_2, AOA_2, ...: DI as counts of 0.001 (capped at 65.534), AOA 0/1,
    65535 where not mapped."""
    d = np.where(np.isfinite(di), np.minimum(np.rint(di / DI_SCALE), APP_NODATA - 1), APP_NODATA).astype(np.uint16)
    a = np.where(aoa == AOA_NODATA, np.uint16(APP_NODATA), aoa.astype(np.uint16))
    return np.stack([d, a], axis=1).reshape(-1, *di.shape[1:])
