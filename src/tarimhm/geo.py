"""Read the real geography in ``data_raw/geo`` (WGS84 GeoJSON and the 0.2° DEM table)."""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path

import pandas as pd
from shapely.geometry import shape
from shapely.ops import unary_union

from . import paths

__all__ = ["basin", "prefectures", "prefecture", "rivers", "river", "dem_points", "geo_path", "GEO_FILES"]

GEO_FILES = {
    "basin": "tarim_basin_5prefecture_union.geojson",
    "prefectures": "xinjiang_tarim_prefectures_cnmaps.geojson",
    "rivers": "ne_10m_rivers_tarim_region.geojson",
    "lakes": "ne_10m_lakes_tarim_region.geojson",
    "dem": "china_dem_0p2deg_tarim_subset.csv",
}


def geo_path(key: str) -> Path:
    return paths.GEO / GEO_FILES[key]


@cache
def _features(key: str) -> tuple:
    p = geo_path(key)
    if not p.exists():
        raise FileNotFoundError(f"{p}: missing; data_raw/geo must hold the files listed in data_raw/README.md")
    return tuple(json.loads(p.read_text(encoding="utf-8"))["features"])


def basin():
    """The paper's administrative basin: union of the five prefectures (Sect. 2.1)."""
    return shape(_features("basin")[0]["geometry"])


def prefectures() -> dict:
    """name_en -> geometry of the five prefectures."""
    return {
        f["properties"]["name_en"]: shape(f["geometry"])
        for f in _features("prefectures")
        if f["properties"]["level"] == "prefecture"
    }


def prefecture(name: str):
    """Geometry of the prefecture whose English name starts with ``name`` (e.g. 'Aksu')."""
    hits = {k: g for k, g in prefectures().items() if k.lower().startswith(name.lower())}
    if len(hits) != 1:
        raise KeyError(
            f"prefecture {name!r} matches {sorted(hits) or 'nothing'}; use one of {', '.join(sorted(prefectures()))}"
        )
    return next(iter(hits.values()))


def rivers() -> dict:
    """Natural Earth river name -> merged line geometry."""
    out: dict = {}
    for f in _features("rivers"):
        name = f["properties"].get("name")
        if name:
            out.setdefault(name, []).append(shape(f["geometry"]))
    return {k: (v[0] if len(v) == 1 else unary_union(v)) for k, v in out.items()}


def river(name: str):
    rv = rivers()
    if name not in rv:
        raise KeyError(f"river {name!r} not in {geo_path('rivers').name}; known: {', '.join(sorted(rv))}")
    return rv[name]


@lru_cache(maxsize=1)
def dem_points() -> pd.DataFrame:
    """DEM cell centres: lat, lon (degrees), elev_m."""
    return pd.read_csv(geo_path("dem"), comment="#")
