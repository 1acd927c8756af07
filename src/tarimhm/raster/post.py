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
"""
from __future__ import annotations

import numpy as np

from . import kernels

__all__ = ["MASK_BASIN", "MASK_WATER", "MASK_SNOW", "AOA_NODATA", "domain", "nanmedian5", "postprocess",
           "tile_counts"]

MASK_BASIN, MASK_WATER, MASK_SNOW = 1, 2, 4     # bits of masks_<res>m.tif (tarimhm.imagery.surrogate)
AOA_NODATA = 255


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
    dom: (h+4, w+4) target surface. Returns float32 bands (mean, spread, lower, upper, di), the
    AOA bytes (1 inside, 0 outside, 255 off-surface) and the counts of surface/removed pixels."""
    mean = np.where(dom, pred[0], np.float32(np.nan)).astype(np.float32)
    filt = nanmedian5(mean)
    removed = filt > p99
    filt[removed] = np.nan
    inner = dom[2:-2, 2:-2]
    nan = np.float32(np.nan)
    spread = np.where(inner, np.sqrt(pred[1, 2:-2, 2:-2]), nan)
    lower = np.where(inner, pred[2, 2:-2, 2:-2], nan)
    upper = np.where(inner, pred[3, 2:-2, 2:-2], nan)
    di32 = np.where(inner, di, np.nan).astype(np.float32)
    aoa = np.where(inner, (di <= aoa_threshold).astype(np.uint8), np.uint8(AOA_NODATA)).astype(np.uint8)
    return {"bands": np.stack([filt, spread, lower, upper, di32]).astype(np.float32), "aoa": aoa,
            "n_domain": int(inner.sum()), "n_removed": int(removed.sum())}


def tile_counts(res: dict, edges: np.ndarray) -> dict:
    """Counts of the post-processed mean in the bins (-inf, e0], (e0, e1], ..., (e_last, inf),
    with the surface size, removed and valid counts, min/max and pixels inside the AOA."""
    mean = res["bands"][0]
    v = mean[np.isfinite(mean)].astype(np.float64)
    counts = np.bincount(np.searchsorted(edges, v, side="left"), minlength=len(edges) + 1)
    return {"counts": counts.tolist(), "n_domain": res["n_domain"], "n_removed": res["n_removed"],
            "n_valid": int(v.size), "min": float(v.min()) if v.size else None,
            "max": float(v.max()) if v.size else None, "n_in_aoa": int((res["aoa"] == 1).sum())}
