"""Schema of the site tables (soil S1-S10 in mg/kg, water W1-W9 in µg/L).

The same schema serves the reconstructed tables (``data_derived/sites/``) and real
Supplementary Tables S1/S2 dropped into ``data_raw/sites/soil.csv`` / ``water.csv`` by a
user who has them. :func:`load_sites` prefers the real tables when they exist.

Required columns: ``site_id, As, Cd, Pb, Cu, Zn, unit``. Optional: ``lon, lat`` (WGS84
degrees), ``region``, ``river``, ``location_approximate``; other columns are kept.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths
from ._errors import SiteTableError
from .domain import METALS, UNITS

__all__ = [
    "ensemble_members",
    "COLUMNS",
    "METALS",
    "UNITS",
    "read_site_table",
    "validate_site_table",
    "load_sites",
    "site_table_path",
    "site_table_source",
    "data_status",
]

_UNIT_ALIASES = {
    "soil": {"mg/kg", "mg kg-1", "mg·kg-1", "mg kg^-1"},
    "water": {"µg/L", "μg/L", "ug/L", "µg L-1", "μg L-1", "ug L-1"},
}
_UNIT_HINT = {
    ("water", "mg/l"): "multiply by 1000 to get µg/L",
    ("water", "ng/l"): "divide by 1000 to get µg/L",
    ("soil", "µg/g"): "µg/g equals mg/kg; write mg/kg",
    ("soil", "ug/g"): "µg/g equals mg/kg; write mg/kg",
    ("soil", "g/kg"): "multiply by 1000 to get mg/kg",
}
_ID = {"soil": re.compile(r"^S\d{1,2}$"), "water": re.compile(r"^W\d{1,2}$")}
REQUIRED = ("site_id",) + METALS + ("unit",)
COLUMNS = (
    ("site_id", "medium") + METALS + ("unit", "region", "river", "lon", "lat", "location_approximate", "data_status")
)


def site_table_path(medium: str, kind: str = "used") -> Path:
    """Path of a site table. kind: 'real' (data_raw), 'reconstructed' or 'used' (data_derived)."""
    return paths.site_table(medium, kind)


def _check_medium(medium: str) -> None:
    if medium not in UNITS:
        raise ValueError(f"medium must be 'soil' or 'water', got {medium!r}")


def validate_site_table(
    df: pd.DataFrame, medium: str, source: str | Path = "<table>", data_status: str | None = None
) -> pd.DataFrame:
    """Check a site table and return it in canonical form (sorted by site number).

    Raises :class:`SiteTableError` naming the file, the column (and site) and the fix.
    """
    _check_medium(medium)
    src = str(source)
    if df.empty:
        raise SiteTableError(f"{src}: the table has no rows; add one row per {medium} site")
    df = df.copy()
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise SiteTableError(
            f"{src}: missing column(s) {', '.join(missing)}; required columns are "
            f"{', '.join(REQUIRED)} (concentrations in {UNITS[medium]})"
        )
    df["site_id"] = df["site_id"].astype(str).str.strip()
    bad_id = [s for s in df["site_id"] if not _ID[medium].match(s)]
    if bad_id:
        prefix = "S" if medium == "soil" else "W"
        raise SiteTableError(
            f"{src}: column site_id: {bad_id[0]!r} is not a {medium} site id; use "
            f"{prefix}1, {prefix}2, ... as in the paper's Table 2"
        )
    dup = df["site_id"][df["site_id"].duplicated()].unique().tolist()
    if dup:
        raise SiteTableError(
            f"{src}: column site_id: duplicate site id(s) {', '.join(dup)}; "
            "give each site one row (average repeated samples first)"
        )
    units = df["unit"].astype(str).str.strip()
    for sid, u in zip(df["site_id"], units):
        if u not in _UNIT_ALIASES[medium]:
            hint = _UNIT_HINT.get((medium, u.lower()), f"convert to {UNITS[medium]}")
            raise SiteTableError(
                f"{src}: column unit, site {sid}: unit {u!r} is not {UNITS[medium]} for {medium}; {hint}"
            )
    df["unit"] = UNITS[medium]
    for m in METALS:
        num = pd.to_numeric(df[m], errors="coerce")
        bad = df["site_id"][num.isna() & df[m].notna() & (df[m].astype(str).str.strip() != "")]
        if len(bad):
            raise SiteTableError(
                f"{src}: column {m}, site {bad.iloc[0]}: {df[m][bad.index[0]]!r} is not "
                f"a number; write a plain decimal in {UNITS[medium]}"
            )
        nan = df["site_id"][num.isna()]
        if len(nan):
            raise SiteTableError(
                f"{src}: column {m}, site {nan.iloc[0]}: missing or NaN concentration; "
                "fill it (the paper imputes the mean for normal and the median for "
                "skewed variables) or drop the site"
            )
        if not np.all(np.isfinite(num)):
            sid = df["site_id"][~np.isfinite(num)].iloc[0]
            raise SiteTableError(f"{src}: column {m}, site {sid}: infinite concentration; fix the value")
        neg = df["site_id"][num < 0]
        if len(neg):
            raise SiteTableError(
                f"{src}: column {m}, site {neg.iloc[0]}: negative concentration "
                f"{num[neg.index[0]]}; concentrations must be >= 0 {UNITS[medium]}"
            )
        df[m] = num.astype(float)
    has_lon, has_lat = "lon" in df.columns, "lat" in df.columns
    if has_lon != has_lat:
        raise SiteTableError(
            f"{src}: column {'lat' if has_lon else 'lon'} is missing; give both lon and lat (WGS84 degrees) or neither"
        )
    if has_lon:
        for col, lo, hi in (("lon", -180, 180), ("lat", -90, 90)):
            v = pd.to_numeric(df[col], errors="coerce")
            bad = df["site_id"][v.notna() & ((v < lo) | (v > hi))]
            if len(bad):
                raise SiteTableError(
                    f"{src}: column {col}, site {bad.iloc[0]}: {v[bad.index[0]]} is outside "
                    f"[{lo}, {hi}]; give WGS84 degrees (EPSG:4326), not projected metres"
                )
            df[col] = v
    else:
        df["lon"] = np.nan
        df["lat"] = np.nan
    for col, default in (("region", ""), ("river", ""), ("location_approximate", False)):
        if col not in df.columns:
            df[col] = default
    df["medium"] = medium
    if data_status is not None:
        df["data_status"] = data_status
    elif "data_status" not in df.columns:
        raise SiteTableError(f"{src}: column data_status is missing; it must say real or reconstructed")
    order = df["site_id"].str[1:].astype(int).argsort(kind="stable")
    df = df.iloc[order].reset_index(drop=True)
    extra = [c for c in df.columns if c not in COLUMNS]
    return df[list(COLUMNS) + extra]


def read_site_table(path: Path | str, medium: str, data_status: str | None = None) -> pd.DataFrame:
    """Read and validate one site table CSV."""
    path = Path(path)
    if not path.exists():
        raise SiteTableError(f"{path}: file not found")
    try:
        df = pd.read_csv(path, dtype={"site_id": str, "unit": str}, comment="#", encoding="utf-8")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SiteTableError(f"{path}: not a readable UTF-8 CSV ({exc}); save it as comma-separated UTF-8") from None
    return validate_site_table(df, medium, path, data_status)


def site_table_source(medium: str) -> Path:
    """The file the pipeline reads for one medium: the real table if present, else the stage-01 table."""
    real = site_table_path(medium, "real")
    return real if real.exists() else site_table_path(medium, "used")


def load_sites(medium: str) -> pd.DataFrame:
    """The site table the pipeline uses: real (data_raw/sites) if present, else reconstructed."""
    src = site_table_source(medium)
    if src == site_table_path(medium, "real"):
        return read_site_table(src, medium, data_status="real")
    if not src.exists():
        raise SiteTableError(
            f"{src}: not found; run `make sites` first (or put real tables in {site_table_path(medium, 'real').parent})"
        )
    return read_site_table(src, medium)


def data_status(*frames: pd.DataFrame) -> str:
    """Combined data status of site tables (``real`` only if every table is real)."""
    from .provenance import combine_status

    return combine_status(*(s for f in frames for s in f.data_status))


def ensemble_members(medium: str, used: pd.DataFrame) -> list[pd.DataFrame]:
    """The site tables of every member of the reconstruction ensemble (the used table's columns,
    concentrations of the member; member 0 is the used table).

    One member, the used table itself, when the table is real or no ensemble was written.
    """
    f = paths.ensemble(medium)
    if set(used.data_status) == {"real"} or not f.exists():
        return [used]
    import xarray as xr

    with xr.open_dataset(f, engine="scipy") as ds:
        arr = ds["concentration"].sel(site_id=list(used.site_id), metal=list(METALS)).to_numpy()
    out = []
    for m in arr:
        d = used.copy()
        d[list(METALS)] = m
        out.append(d)
    return out
