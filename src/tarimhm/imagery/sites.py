"""Spectra at the sampling sites (Sect. 2.3.1 (2)): 3x3-window mean, bilinear between pixels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import rasterio
from pyproj import CRS, Transformer
from rasterio.windows import Window

from .._errors import ImageryError
from .grid import BANDS

__all__ = ["site_spectra", "ImageryError"]


def _window_mean(a: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Mean of the valid pixels in each 3x3 neighbourhood (NaN where none is valid)."""
    from scipy.ndimage import uniform_filter

    s = uniform_filter(np.where(valid, a, 0.0), size=3, mode="constant")
    n = uniform_filter(valid.astype(float), size=3, mode="constant")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / n, np.nan)


def site_spectra(raster_path, sites: pd.DataFrame, scale: float = 1e-4, mask_values=()) -> pd.DataFrame:
    """Reflectance in B2, B3, B4, B8 at each site (``lon``, ``lat`` in WGS84).

    Each band is first averaged over the valid pixels of the 3x3 window around every pixel
    (nodata and ``mask_values``, e.g. cloud classes, excluded); the result is then bilinearly
    interpolated at the site, between the four surrounding pixel centres. Only a 6x6 block
    around each site is read.
    """
    with rasterio.open(raster_path) as src:
        if src.count != len(BANDS):
            raise ImageryError(f"{raster_path}: {src.count} band(s); expected {len(BANDS)} ({', '.join(BANDS)})")
        if src.dtypes[0] not in ("uint16", "int16", "float32", "float64"):
            raise ImageryError(
                f"{raster_path}: dtype {src.dtypes[0]} is not a reflectance type (uint16 DN, int16 or float)"
            )
        if src.crs is None or not src.crs.is_projected:
            raise ImageryError(
                f"{raster_path}: CRS {src.crs} is not a projected CRS; reproject to the paper's "
                "CGCS2000 / UTM zone 44N (tarimhm.imagery.paper_crs())"
            )
        t = Transformer.from_crs(CRS.from_epsg(4326), CRS.from_wkt(src.crs.to_wkt()), always_xy=True)
        rows = []
        for site in sites.itertuples():
            x, y = t.transform(site.lon, site.lat)
            col_f, row_f = ~src.transform @ (x, y)
            # fractional position relative to pixel centres
            cc, rr = col_f - 0.5, row_f - 0.5
            c0, r0 = int(np.floor(cc)), int(np.floor(rr))
            if c0 < 0 or r0 < 0 or c0 + 1 >= src.width or r0 + 1 >= src.height:
                raise ImageryError(
                    f"{raster_path}: site {site.site_id} ({site.lon:.4f}, {site.lat:.4f}) is "
                    "outside the raster (or on its edge); check the coordinates or the extent"
                )
            win = Window(c0 - 2, r0 - 2, 6, 6)
            block = src.read(window=win, boundless=True, fill_value=src.nodata if src.nodata is not None else 0)
            valid = np.ones(block.shape[1:], bool)
            if src.nodata is not None:
                valid &= np.all(block != src.nodata, axis=0)
            for mv in mask_values:
                valid &= np.all(block != mv, axis=0)
            fx, fy = cc - c0, rr - r0
            out = {"site_id": site.site_id}
            for b, name in enumerate(BANDS):
                m = _window_mean(block[b].astype(float), valid)[2:4, 2:4]  # the 4 centres around the site
                w = np.array([[(1 - fy) * (1 - fx), (1 - fy) * fx], [fy * (1 - fx), fy * fx]])
                ok = np.isfinite(m)
                out[name] = float((m[ok] * w[ok]).sum() / w[ok].sum()) * scale if ok.any() else np.nan
            rows.append(out)
    return pd.DataFrame(rows)
