"""The paper's raster grid: CGCS2000 / UTM zone 44N, clipped to the basin (Sect. 2.3.1 (1)).

EPSG has no code for "CGCS2000 / UTM zone 44N": its CGCS2000 projected systems are
Gauss-Krüger (EPSG:4503 is the 6° zone with central meridian 81°E, scale factor 1). The paper's
CRS is therefore built here as the UTM zone 44 conversion (central meridian 81°E, scale 0.9996,
false easting 500 km) on the CGCS2000 geographic CRS (EPSG:4490). CGCS2000 and WGS 84 agree to
a few centimetres, so EPSG:32644 coordinates differ by far less than a 60 m pixel.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from affine import Affine
from pyproj import CRS, Transformer
from pyproj.crs import ProjectedCRS
from pyproj.crs.coordinate_operation import UTMConversion

from .. import geo

__all__ = ["BANDS", "Grid", "paper_crs", "basin_grid", "to_paper_crs"]

BANDS = ("B02", "B03", "B04", "B08")  # blue, green, red, NIR (Sect. 2.3.1 (1))


@lru_cache(maxsize=1)
def paper_crs() -> CRS:
    return ProjectedCRS(name="CGCS2000 / UTM zone 44N", conversion=UTMConversion(44), geodetic_crs=CRS.from_epsg(4490))


def to_paper_crs(geom):
    t = Transformer.from_crs(CRS.from_epsg(4326), paper_crs(), always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid: ``transform`` maps (col, row) to the pixel's upper-left corner."""

    transform: Affine
    width: int
    height: int
    crs_wkt: str

    @property
    def res(self) -> float:
        return self.transform.a

    def windows(self, tile: int):
        """(row_off, col_off, height, width) blocks covering the grid, row-major."""
        for r in range(0, self.height, tile):
            for c in range(0, self.width, tile):
                yield r, c, min(tile, self.height - r), min(tile, self.width - c)

    def block_transform(self, row_off: int, col_off: int) -> Affine:
        """Transform of a block whose upper-left pixel is (row_off, col_off)."""
        return self.transform @ Affine.translation(col_off, row_off)

    def centres(self, row_off: int, col_off: int, height: int, width: int):
        """x, y (paper CRS) of the pixel centres of a block, each shaped (height, width)."""
        cols = col_off + np.arange(width) + 0.5
        rows = row_off + np.arange(height) + 0.5
        x = self.transform.c + cols * self.transform.a
        y = self.transform.f + rows * self.transform.e
        return np.meshgrid(x, y)


def basin_grid(resolution: float) -> Grid:
    """Grid of the basin at ``resolution`` metres, bounds snapped to multiples of the resolution."""
    if resolution <= 0:
        raise ValueError(f"resolution must be > 0 m, got {resolution}")
    b = to_paper_crs(geo.basin()).bounds
    x0 = np.floor(b[0] / resolution) * resolution
    y1 = np.ceil(b[3] / resolution) * resolution
    w = int(np.ceil((b[2] - x0) / resolution))
    h = int(np.ceil((y1 - b[1]) / resolution))
    return Grid(Affine(resolution, 0, x0, 0, -resolution, y1), w, h, paper_crs().to_wkt())
