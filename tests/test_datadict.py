"""The data dictionary (issue 18, item 4): datapackage.json describes every CSV output, and validates."""

from __future__ import annotations

import hashlib
import json
import runpy
from pathlib import Path

import frictionless
import pytest

from tarimhm import datadict, paths
from tarimhm._errors import ConfigError, TarimHMError
from tarimhm.config import load_yaml
from tarimhm.datadict import (
    DataDictionaryError,
    build_datapackage,
    load_dictionary,
    lookup,
    missing_descriptions,
    validate_datapackage,
    write_datapackage,
)

ROOT = Path(__file__).resolve().parents[1]

DICTIONARY = """
columns:
  site_id: "Sampling site."
  medium: "soil or water."
  As: {description: "As concentration.", unit: "{unit}"}
  unit: "Unit of the row."
  flag: "A boolean."
  n: {description: "A count.", unit: "1"}
  reported_id: {description: "Printed number.", type: string}
  reported: {description: "As printed.", unit: "varies", type: number}
  verdict: "Verdict."
files:
  "paper/audit/*.csv":
    reported: {description: "Printed share.", unit: "%", type: number}
tables:
  "data_derived/*": "Sites of the fake run."
"""


def _tree(tmp_path: Path, dictionary: str = DICTIONARY) -> tuple[Path, list[Path], Path]:
    """A fake output tree: one table in data_derived/, one audit in paper/audit/, and a dictionary."""
    (tmp_path / "data_derived" / "sites").mkdir(parents=True)
    (tmp_path / "paper" / "audit").mkdir(parents=True)
    (tmp_path / "data_derived" / "sites" / "soil.csv").write_text(
        "site_id,medium,As,unit,flag,n\nS1,soil,21.06,mg/kg,True,3\nW1,water,1.13,µg/L,False,4\n", encoding="utf-8"
    )
    (tmp_path / "paper" / "audit" / "shares.csv").write_text(
        "reported_id,reported,verdict\nx.share,40,reproduced\n,12.5,differs by +3 %\n"
    )
    side = tmp_path / "data_derived" / "sites" / "soil.csv.provenance.json"
    side.write_text(json.dumps({"data_status": "reconstructed", "script": "analysis/010_reconstruct_sites.py"}))
    (tmp_path / ".tmp-half-written.csv").write_text("junk\n")  # an interrupted write: left out
    d = tmp_path / "columns.yaml"
    d.write_text(dictionary, encoding="utf-8")
    return tmp_path, [tmp_path / "data_derived", tmp_path / "paper" / "tables", tmp_path / "paper" / "audit"], d


def test_package_of_a_fake_tree_validates_with_hashes_and_schemas(tmp_path):
    base, roots, d = _tree(tmp_path)
    out = write_datapackage(base / "datapackage.json", roots, d)
    assert out == base / "datapackage.json"
    assert frictionless.validate(str(out)).valid
    assert validate_datapackage(out) == []
    pkg = json.loads(out.read_text(encoding="utf-8"))
    assert pkg["profile"] == "tabular-data-package"
    res = {r["path"]: r for r in pkg["resources"]}
    assert sorted(res) == ["data_derived/sites/soil.csv", "paper/audit/shares.csv"]  # relative, hidden file left out
    for rel, r in res.items():
        data = (base / rel).read_bytes()
        assert r["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert r["bytes"] == len(data)
        assert r["profile"] == "tabular-data-resource"
        for f in r["schema"]["fields"]:
            assert set(f) == {"name", "type", "description", "unit"}, f
    soil = {f["name"]: f for f in res["data_derived/sites/soil.csv"]["schema"]["fields"]}
    assert [soil[c]["type"] for c in ("site_id", "As", "flag", "n")] == ["string", "number", "boolean", "integer"]
    assert soil["As"]["unit"] == "{unit}" and soil["n"]["unit"] == "1" and soil["site_id"]["unit"] == ""
    assert res["data_derived/sites/soil.csv"]["data_status"] == "reconstructed"
    assert res["data_derived/sites/soil.csv"]["description"] == "Sites of the fake run."
    audit = {f["name"]: f for f in res["paper/audit/shares.csv"]["schema"]["fields"]}
    assert audit["reported"] == {"name": "reported", "type": "number", "description": "Printed share.", "unit": "%"}
    assert "data_status" not in res["paper/audit/shares.csv"]  # no sidecar
    # the same files give the same bytes
    first = out.read_bytes()
    write_datapackage(out, roots, d)
    assert out.read_bytes() == first


def test_a_changed_file_no_longer_validates(tmp_path):
    base, roots, d = _tree(tmp_path)
    out = write_datapackage(base / "datapackage.json", roots, d)
    f = base / "paper" / "audit" / "shares.csv"
    f.write_text(f.read_text() + "y.share,7,reproduced\n")
    problems = "\n".join(validate_datapackage(out))
    assert "hash-count" in problems and "byte-count" in problems


def test_missing_descriptions_are_listed_and_refused(tmp_path):
    text = DICTIONARY.replace('  flag: "A boolean."\n', "").replace('  n: {description: "A count.", unit: "1"}\n', "")
    text = text.replace("columns:\n", 'columns:\n  n: "A count without a unit."\n')
    base, roots, d = _tree(tmp_path, text)
    missing = missing_descriptions(roots, base, d)
    assert len(missing) == 2, missing
    assert "data_derived/sites/soil.csv: column 'flag': no description" in missing[0]
    assert "column 'n' (integer): no unit" in missing[1]
    with pytest.raises(DataDictionaryError, match="column 'flag': no description") as e:
        build_datapackage(roots, base, d)
    assert isinstance(e.value, TarimHMError)  # the scripts' guard prints it as error lines
    assert not (base / "datapackage.json").exists()
    assert missing_descriptions(roots, base, _tree(tmp_path / "complete")[2]) == []


def test_a_declared_type_is_checked_against_the_data(tmp_path):
    text = DICTIONARY.replace(
        '  site_id: "Sampling site."', '  site_id: {description: "Site.", unit: "1", type: integer}'
    )
    base, roots, d = _tree(tmp_path, text)
    with pytest.raises(DataDictionaryError, match=r"column 'site_id': type-error"):
        build_datapackage(roots, base, d)


def test_lookup_order_exact_path_then_pattern_then_columns(tmp_path):
    d = datadict.Dictionary.model_validate(
        {
            "columns": {"x": "general"},
            "files": {"a/*.csv": {"x": "pattern"}, "a/b.csv": {"x": {"description": "exact", "unit": "1"}}},
        }
    )
    assert lookup(d, "a/b.csv", "x").description == "exact"
    assert lookup(d, "a/c.csv", "x").description == "pattern"
    assert lookup(d, "z/c.csv", "x").description == "general"
    assert lookup(d, "z/c.csv", "y") is None


def test_a_csv_outside_the_package_root_is_refused(tmp_path):
    base, roots, d = _tree(tmp_path / "out")
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "t.csv").write_text("site_id\nS1\n")
    with pytest.raises(DataDictionaryError, match="outside the package root"):
        build_datapackage([*roots, other], base, d)


def test_columns_yaml_parses_safely_and_refuses_duplicate_keys(tmp_path):
    d = load_dictionary()  # paper/columns.yaml, through tarimhm.config.load_yaml (safe loader)
    assert {"site_id", "medium", "group", "metal", "reported_id", "reported", "reproduced", "verdict"} <= set(d.columns)
    assert {"verdict_class", "basis", "data_status"} <= set(d.columns)
    for key, cols in [("columns", d.columns), *d.files.items()]:
        for name, e in cols.items():
            e = datadict._entry(e)
            assert e.description.strip(), (key, name)
            assert e.unit is None or e.unit == e.unit.strip(), (key, name)
    assert isinstance(load_yaml(paths.PAPER / "columns.yaml"), dict)
    text = (paths.PAPER / "columns.yaml").read_text(encoding="utf-8")
    dup = tmp_path / "columns.yaml"
    dup.write_text(text.replace("columns:\n", 'columns:\n  site_id: "twice"\n', 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="duplicate key 'site_id'"):
        load_dictionary(dup)
    bad = tmp_path / "bad.yaml"
    bad.write_text('columns:\n  x: {description: "d", unit: "1", type: float}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="columns.x"):
        load_dictionary(bad)
    (tmp_path / "unsafe.yaml").write_text("columns: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError):
        load_dictionary(tmp_path / "unsafe.yaml")


def test_script_writes_the_package_with_the_shipped_dictionary(tmp_path, monkeypatch, capsys):
    """analysis/302_datapackage.py on a site table as stage 010 writes it, described by paper/columns.yaml."""
    d = tmp_path / "data_derived"
    (d / "sites").mkdir(parents=True)
    (d / "sites" / "soil.csv").write_text(
        "site_id,medium,As,Cd,Pb,Cu,Zn,unit,region,river,lon,lat,location_approximate,data_status\n"
        "S1,soil,21.0605,0.185307,26.9099,44.9807,98.1787,mg/kg,Aksu,Toxkan,79.2,41.2313,True,reconstructed\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(paths, "DATA_DERIVED", d)
    monkeypatch.setattr(paths, "TABLES", tmp_path / "paper" / "tables")
    monkeypatch.setattr(paths, "AUDIT", tmp_path / "paper" / "audit")
    main = runpy.run_path(str(ROOT / "analysis" / "302_datapackage.py"))["main"]
    main(["--out", str(tmp_path / "datapackage.json")])
    out = capsys.readouterr().out.split()
    assert out == [str(tmp_path / "datapackage.json"), str(tmp_path / "datapackage.json.provenance.json")]
    assert validate_datapackage(tmp_path / "datapackage.json") == []
    (r,) = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))["resources"]
    units = {f["name"]: f["unit"] for f in r["schema"]["fields"]}
    assert units["As"] == "mg/kg" and units["lon"] == "°E" and units["region"] == ""
    side = json.loads((tmp_path / "datapackage.json.provenance.json").read_text(encoding="utf-8"))
    assert side["script"].endswith("302_datapackage.py") and "paper/columns.yaml" in side["inputs"]
