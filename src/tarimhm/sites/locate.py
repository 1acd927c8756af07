"""Approximate coordinates of the paper's sites (an assumption; see analysis/site_locations.yaml)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from shapely import contains_xy
from shapely.geometry import Point

from .. import geo, paths
from .._errors import ConfigError, format_pydantic
from ..config import load_yaml

__all__ = ["locate_sites", "load_site_locations"]


class _Soil(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str


class _Water(BaseModel):
    model_config = ConfigDict(extra="forbid")
    river: str
    fraction: float = Field(ge=0, le=1)


class SiteLocations(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: int
    oasis_elevation_m: tuple[float, float]
    near_river_deg: float = Field(gt=0)
    soil: dict[str, _Soil]
    water: dict[str, _Water]


def load_site_locations(path: Path | str | None = None) -> SiteLocations:
    path = Path(path) if path is not None else paths.SITE_LOCATIONS
    try:
        return SiteLocations.model_validate(load_yaml(path))
    except ValidationError as exc:
        raise ConfigError(format_pydantic(path, exc)) from None


def _region_of(lon: float, lat: float) -> str:
    for name, g in sorted(geo.prefectures().items()):
        if g.contains(Point(lon, lat)):
            return name.split()[0]
    return ""


def _nearest_river(lon: float, lat: float, max_deg: float = 0.5) -> str:
    best, dist = "", max_deg
    for name, g in sorted(geo.rivers().items()):
        d = g.distance(Point(lon, lat))
        if d < dist:
            best, dist = name, d
    return best


def locate_sites(loc: SiteLocations, medium: str, site_ids: list[str]) -> pd.DataFrame:
    """site_id, region, river, lon, lat, location_approximate for one medium (deterministic)."""
    rows = []
    spec = loc.soil if medium == "soil" else loc.water
    missing = [s for s in site_ids if s not in spec]
    if missing:
        raise ConfigError(f"{paths.SITE_LOCATIONS}: {medium}: no placement for {', '.join(missing)}; add them")
    if medium == "soil":
        dem = geo.dem_points()
        lo, hi = loc.oasis_elevation_m
        rng = np.random.default_rng(loc.seed)
        used: set[int] = set()
        from shapely.ops import unary_union

        corridor = unary_union(list(geo.rivers().values())).buffer(loc.near_river_deg)
        near = contains_xy(corridor, dem["lon"].to_numpy(), dem["lat"].to_numpy())
        for sid in site_ids:
            poly = geo.prefecture(spec[sid].region)
            inside = contains_xy(poly, dem["lon"].to_numpy(), dem["lat"].to_numpy())
            belt = inside & dem["elev_m"].between(lo, hi)
            # prefer oasis-belt cells near a river; prefectures without a mapped river use the belt
            cand = dem.index[belt & near].difference(sorted(used))
            if len(cand) == 0:
                cand = dem.index[belt].difference(sorted(used))
            if len(cand) == 0:
                raise ConfigError(
                    f"{paths.SITE_LOCATIONS}: soil.{sid}: no DEM cell of {spec[sid].region} within "
                    f"{lo}-{hi} m left; widen oasis_elevation_m"
                )
            k = int(cand[rng.integers(len(cand))])
            used.add(k)
            lon, lat = float(dem.at[k, "lon"]), float(dem.at[k, "lat"])
            rows.append((sid, _region_of(lon, lat), _nearest_river(lon, lat), lon, lat))
    else:
        for sid in site_ids:
            line = geo.river(spec[sid].river)
            pt = line.interpolate(spec[sid].fraction, normalized=True)
            rows.append((sid, _region_of(pt.x, pt.y), spec[sid].river, round(pt.x, 4), round(pt.y, 4)))
    df = pd.DataFrame(rows, columns=["site_id", "region", "river", "lon", "lat"])
    df["location_approximate"] = True
    return df
