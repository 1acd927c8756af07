"""Sentinel-2 data layer: the paper's grid, an offline surrogate mosaic, site spectra."""

from .grid import BANDS, Grid, basin_grid, paper_crs
from .sites import site_spectra
from .stac import StacConfig, build_real_mosaic, composite_block, search_items
from .surrogate import CLASSES, build_surrogate, surrogate_block

__all__ = [
    "BANDS",
    "Grid",
    "basin_grid",
    "paper_crs",
    "site_spectra",
    "CLASSES",
    "build_surrogate",
    "StacConfig",
    "build_real_mosaic",
    "composite_block",
    "search_items",
    "surrogate_block",
]
