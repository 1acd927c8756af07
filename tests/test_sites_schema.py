"""Site tables: a valid table passes; malformed tables fail naming file, column, site and fix."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tarimhm import SiteTableError
from tarimhm.sitetable import load_sites, read_site_table, site_table_path, validate_site_table

GOOD_SOIL = """site_id,As,Cd,Pb,Cu,Zn,unit,lon,lat
S2,10.5,0.15,17.0,20.1,60.2,mg/kg,80.1,41.0
S1,21.0,0.20,26.9,45.0,98.2,mg/kg,79.2,41.2
"""


def _csv(tmp_path, text, name="soil.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_valid_table_is_canonical(tmp_path):
    df = read_site_table(_csv(tmp_path, GOOD_SOIL), "soil", data_status="real")
    assert list(df.site_id) == ["S1", "S2"]  # sorted by site number
    assert df.loc[0, "Pb"] == 26.9 and df.loc[0, "unit"] == "mg/kg"
    assert set(df.data_status) == {"real"} and set(df.medium) == {"soil"}


def test_water_accepts_ug_alias(tmp_path):
    text = "site_id,As,Cd,Pb,Cu,Zn,unit\nW1,1,0.1,0.5,1,2,ug/L\n"
    df = read_site_table(_csv(tmp_path, text, "water.csv"), "water", data_status="real")
    assert df.loc[0, "unit"] == "µg/L" and pd.isna(df.loc[0, "lon"])


BAD = [
    (
        "missing column",
        GOOD_SOIL.replace(",Zn", "").replace(",60.2", "").replace(",98.2", ""),
        "soil",
        r"soil\.csv: missing column\(s\) Zn; required columns are site_id, As, Cd, Pb, Cu, Zn, unit",
    ),
    (
        "wrong unit",
        "site_id,As,Cd,Pb,Cu,Zn,unit\nW1,1,0.1,0.5,1,2,mg/L\n",
        "water",
        r"water\.csv: column unit, site W1: unit 'mg/L' is not µg/L for water; multiply by 1000",
    ),
    ("soil in µg/g", GOOD_SOIL.replace("mg/kg", "µg/g"), "soil", r"column unit, site S2: unit 'µg/g' .*write mg/kg"),
    (
        "negative",
        GOOD_SOIL.replace("0.15", "-0.15"),
        "soil",
        r"column Cd, site S2: negative concentration -0\.15; concentrations must be >= 0 mg/kg",
    ),
    ("NaN", GOOD_SOIL.replace("17.0", "NaN"), "soil", r"column Pb, site S2: missing or NaN concentration"),
    ("empty cell", GOOD_SOIL.replace(",17.0,", ",,"), "soil", r"column Pb, site S2: missing or NaN"),
    ("text", GOOD_SOIL.replace("20.1", "<LOD"), "soil", r"column Cu, site S2: '<LOD' is not a number"),
    ("duplicate", GOOD_SOIL.replace("S2,", "S1,"), "soil", r"column site_id: duplicate site id\(s\) S1"),
    (
        "bad id",
        GOOD_SOIL.replace("S2,", "Site-2,"),
        "soil",
        r"column site_id: 'Site-2' is not a soil site id; use S1, S2",
    ),
    ("water id in soil", GOOD_SOIL.replace("S2,", "W2,"), "soil", r"'W2' is not a soil site id"),
    (
        "lon only",
        GOOD_SOIL.replace(",lat", "").replace(",41.0", "").replace(",41.2", ""),
        "soil",
        r"column lat is missing; give both lon and lat",
    ),
    (
        "projected",
        GOOD_SOIL.replace("80.1,41.0", "512000,4540000"),
        "soil",
        r"column lon, site S2: 512000(\.0)? is outside \[-180, 180\]; give WGS84 degrees",
    ),
    ("inf", GOOD_SOIL.replace("60.2", "inf"), "soil", r"column Zn, site S2: infinite concentration"),
    ("no rows", "site_id,As,Cd,Pb,Cu,Zn,unit\n", "soil", r"the table has no rows"),
]


@pytest.mark.parametrize("name,text,medium,message", BAD, ids=[b[0] for b in BAD])
def test_malformed_site_tables(tmp_path, name, text, medium, message):
    p = _csv(tmp_path, text, f"{medium}.csv")
    with pytest.raises(SiteTableError) as exc:
        read_site_table(p, medium, data_status="real")
    assert re.search(message, str(exc.value)), str(exc.value)


def test_not_a_csv(tmp_path):
    p = tmp_path / "soil.csv"
    p.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(SiteTableError, match=r"soil\.csv: not a readable UTF-8 CSV"):
        read_site_table(p, "soil", "real")


def test_missing_data_status_for_derived_tables():
    df = pd.read_csv(pd.io.common.StringIO(GOOD_SOIL))
    with pytest.raises(SiteTableError, match="column data_status is missing"):
        validate_site_table(df, "soil", "x.csv")


def test_real_tables_take_precedence(derived, tmp_path):
    from tarimhm import paths

    used = site_table_path("soil", "used")
    used.parent.mkdir(parents=True)
    recon = read_site_table(_csv(tmp_path, GOOD_SOIL), "soil", data_status="reconstructed")
    recon.to_csv(used, index=False)
    assert set(load_sites("soil").data_status) == {"reconstructed"}
    paths.RAW_SITES.mkdir(parents=True)
    (paths.RAW_SITES / "soil.csv").write_text(GOOD_SOIL.replace("21.0", "22.0"), encoding="utf-8")
    real = load_sites("soil")
    assert set(real.data_status) == {"real"} and real.loc[0, "As"] == 22.0
