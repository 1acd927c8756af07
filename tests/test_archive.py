"""Citable deposit: folder layout, deterministic bytes, manifest verification, metadata that agree, refusals."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from tarimhm import archive, paths
from tarimhm._errors import ArchiveError
from tarimhm.archive import build_archive, citation_cff, verify_archive

CFF_SCHEMA = json.loads((Path(__file__).parent / "data" / "cff-schema-1.2.0.json").read_text(encoding="utf-8"))
DOI = "10.1038/s41598-026-38887-9"
TIF = b"II*\x00" + bytes(range(256)) * 8
NC = b"\x89HDF\r\n\x1a\n" + b"\x00" * 500


def _git(root, *args):
    subprocess.run(
        ["git", *args],
        cwd=root,
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
            "GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z",
            "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z",
            "PATH": "/usr/bin:/bin",
        },
    )


def _write(root, rel, data):
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    (p.write_bytes if isinstance(data, bytes) else p.write_text)(data)
    return p


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    _write(
        root,
        ".gitignore",
        "/paper/REPORT.md\n/paper/audit/\n/paper/tables/\n/paper/report/\n/figures/\n/data_derived/\n",
    )
    _write(root, "analysis/params.yaml", "seed: 1\n")
    _write(root, "paper/REPORT.md", "# Reproduction report\n")
    _write(root, "paper/report/html/index.html", "<html>report</html>\n")
    _write(root, "paper/audit/numbers.csv", "reported_id,verdict\na,reproduced\n")
    _write(root, "paper/tables/tab4_accuracy.csv", "metal,r2\nAs,0.5\n")
    _write(root, "figures/fig6.png", bytes(range(256)) * 50)
    _write(root, "data_derived/maps/soil_maps.tif", TIF)
    _write(root, "data_derived/uncertainty/montecarlo.nc", NC)
    _write(root, "data_derived/stac/catalog.json", json.dumps({"type": "Catalog", "id": "c", "links": []}))
    _write(root, "data_derived/stac/items/soil.json", json.dumps({"type": "Feature", "stac_version": "1.0.0"}))
    _write(root, "data_derived/rf/metrics.json", json.dumps({"r2": 0.5}))  # not STAC: goes into the zip
    csv = _write(root, "data_derived/maps/summary.csv", "x\n1\n")
    side = {
        "file": "summary.csv",
        "sha256": hashlib.sha256(b"x\n1\n").hexdigest(),
        "data_status": "surrogate",
        "script": "analysis/070_maps.py",
        "params_hash": "abc",
        "created_utc": "2026-01-02T05:00:00+00:00",
        "inputs": {
            "data_raw/geo/basin.geojson": "1" * 64,  # a source input: described in the RO-Crate
            "data_derived/maps/soil_maps.tif": hashlib.sha256(TIF).hexdigest(),  # an output: not an input entity
            "/home/someone/elsewhere.csv": "2" * 64,  # machine-specific: left out
        },
    }
    _write(root, "data_derived/maps/summary.csv.provenance.json", json.dumps(side))
    _write(root, "data_derived/maps/.tmp-half-written.tif", b"partial")
    assert csv.is_file()
    _git(root, "init", "-q")
    _git(root, "add", ".gitignore", "analysis/params.yaml")
    _git(root, "commit", "-qm", "init")
    return root


SINGLE = {
    "REPORT.md": "paper/REPORT.md",
    "audit__numbers.csv": "paper/audit/numbers.csv",
    "tables__tab4_accuracy.csv": "paper/tables/tab4_accuracy.csv",
    "maps__soil_maps.tif": "data_derived/maps/soil_maps.tif",
    "uncertainty__montecarlo.nc": "data_derived/uncertainty/montecarlo.nc",
    "stac__catalog.json": "data_derived/stac/catalog.json",
    "stac__items__soil.json": "data_derived/stac/items/soil.json",
}
OTHER = {
    "data_derived/maps/summary.csv",
    "data_derived/maps/summary.csv.provenance.json",
    "data_derived/rf/metrics.json",
    "figures/fig6.png",
}
ROOT_FILES = {
    "MANIFEST.sha256",
    "CITATION.cff",
    ".zenodo.json",
    "PROVENANCE.json",
    "ro-crate-metadata.json",
    "analysis__params.yaml",
    "other-outputs.zip",
    "REPORT-html.zip",
}


def _manifest(dep):
    return dict(reversed(line.split("  ", 1)) for line in (dep / "MANIFEST.sha256").read_text().splitlines())


def _files(dep):
    return {p.relative_to(dep).as_posix(): p.read_bytes() for p in dep.rglob("*") if p.is_file()}


@pytest.fixture
def deposit(project, tmp_path):
    return build_archive(tmp_path / "dist", root=project, progress=False)


def test_deposit_layout_and_same_outputs_same_bytes(project, tmp_path, deposit):
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True).stdout
    assert deposit.name == f"tarim-hm-0.1.0-{commit[:8]}" and deposit.parent == tmp_path / "dist"
    assert set(_files(deposit)) == set(SINGLE) | ROOT_FILES  # flat: Zenodo records have no folders
    for name, rel in SINGLE.items():
        assert (deposit / name).read_bytes() == (project / rel).read_bytes()
    assert (deposit / "analysis__params.yaml").read_text() == "seed: 1\n"
    with zipfile.ZipFile(deposit / "other-outputs.zip") as zf:
        assert set(zf.namelist()) == OTHER  # no .tmp- file, no file deposited on its own
        info = zf.getinfo("figures/fig6.png")
    assert info.date_time == (2026, 1, 2, 3, 4, 4) and info.compress_type == zipfile.ZIP_STORED  # zip: 2-s resolution
    with zipfile.ZipFile(deposit / "REPORT-html.zip") as zf:
        assert zf.namelist() == ["paper/report/html/index.html"]
    pin = (deposit.parent / f"{deposit.name}.sha256").read_text().split()
    assert pin == [
        hashlib.sha256((deposit / "MANIFEST.sha256").read_bytes()).hexdigest(),
        f"{deposit.name}/MANIFEST.sha256",
    ]
    again = build_archive(tmp_path / "again", root=project, progress=False)
    assert _files(again) == _files(deposit)
    # rebuilding into the same folder replaces it and leaves no temporary folder behind
    assert build_archive(tmp_path / "dist", root=project, progress=False) == deposit
    assert sorted(p.name for p in deposit.parent.iterdir()) == [deposit.name, f"{deposit.name}.sha256"]
    prov = json.loads((deposit / "PROVENANCE.json").read_text())
    assert prov["deposit_files"] == {**SINGLE, "analysis__params.yaml": "analysis/params.yaml"}
    assert prov["zips"] == {"REPORT-html.zip": 1, "other-outputs.zip": 4}
    assert prov["data_status"] == "surrogate" and "data_derived/maps/summary.csv" in prov["sidecars"]


def test_manifest_lists_every_deposit_file_and_zip_member(project, deposit):
    listed = _manifest(deposit)
    on_disk = set(_files(deposit)) - {"MANIFEST.sha256"}
    members = OTHER | {"paper/report/html/index.html"}
    assert set(listed) == on_disk | members
    for name in on_disk:
        assert listed[name] == hashlib.sha256((deposit / name).read_bytes()).hexdigest(), name
    for rel in members:
        assert listed[rel] == hashlib.sha256((project / rel).read_bytes()).hexdigest(), rel
    assert verify_archive(deposit) == len(listed) == verify_archive(deposit / "MANIFEST.sha256")
    # sha256sum -c reads the manifest: the deposit files now, every line once the zips are unzipped in place
    ok = subprocess.run(["sha256sum", "-c", "--ignore-missing", "MANIFEST.sha256"], cwd=deposit, capture_output=True)
    assert ok.returncode == 0, ok.stdout
    for z in ("other-outputs.zip", "REPORT-html.zip"):
        with zipfile.ZipFile(deposit / z) as zf:
            zf.extractall(deposit)
    assert subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=deposit).returncode == 0
    assert verify_archive(deposit) == len(listed)  # the unzipped copies are checked too


def test_verify_fails_on_a_tampered_missing_or_extra_file(deposit):
    tif = deposit / "maps__soil_maps.tif"
    good = tif.read_bytes()
    tif.write_bytes(good[:100] + bytes([good[100] ^ 1]) + good[101:])  # one byte
    with pytest.raises(
        ArchiveError, match=r"1 problem\(s\): maps__soil_maps\.tif: sha256 .* differs from the manifest"
    ):
        verify_archive(deposit)
    tif.write_bytes(good)
    assert verify_archive(deposit)
    # a zip member changed: the zip's own checksum and the member's both fail
    z = deposit / "other-outputs.zip"
    orig = z.read_bytes()
    with zipfile.ZipFile(z) as src:
        items = [(zi, src.read(zi)) for zi in src.infolist()]
    with zipfile.ZipFile(z, "w") as dst:
        for zi, data in items:
            dst.writestr(zi, b"x\n2\n" if zi.filename.endswith("summary.csv") else data)
    with pytest.raises(
        ArchiveError, match=r"other-outputs\.zip: sha256 .*data_derived/maps/summary\.csv: sha256 .* differs"
    ):
        verify_archive(deposit)
    z.write_bytes(orig)
    (deposit / "audit__numbers.csv").unlink()
    (deposit / "notes.txt").write_text("added\n")
    with pytest.raises(ArchiveError) as e:
        verify_archive(deposit)
    assert "notes.txt: in the deposit but not in MANIFEST.sha256" in str(e.value)
    assert "audit__numbers.csv: in MANIFEST.sha256 but missing from the deposit" in str(e.value)


def test_verify_fails_when_the_manifest_is_rewritten(deposit):
    """Editing a file and its manifest line together is caught by <folder>.sha256, the checksum of the manifest."""
    tif = deposit / "maps__soil_maps.tif"
    tif.write_bytes(b"forged")
    man = deposit / "MANIFEST.sha256"
    forged = hashlib.sha256(b"forged").hexdigest()
    man.write_text(re.sub(r"^\w{64}(  maps__soil_maps\.tif)$", forged + r"\1", man.read_text(), flags=re.M))
    with pytest.raises(ArchiveError, match=rf"MANIFEST\.sha256: sha256 .* differs from {deposit.name}\.sha256"):
        verify_archive(deposit)
    with pytest.raises(ArchiveError, match="no such deposit folder"):
        verify_archive(deposit.parent / "nothing")


def test_metadata_agree_and_validate(deposit):
    cff = yaml.safe_load((deposit / "CITATION.cff").read_text())
    zen = json.loads((deposit / ".zenodo.json").read_text())
    crate = {e["@id"]: e for e in json.loads((deposit / "ro-crate-metadata.json").read_text())["@graph"]}
    title = "tarim-hm outputs 0.1.0: reproduction of Zhao, Mu, Luo et al. (2026)"
    assert cff["title"] == zen["title"] == crate["./"]["name"] == cff["preferred-citation"]["title"] == title
    assert cff["authors"] == [{"name": "tarim-hm developers"}] and zen["creators"] == [{"name": "tarim-hm developers"}]
    assert crate[crate["./"]["author"]["@id"]]["name"] == "tarim-hm developers"
    # licences: the deposit CC BY 4.0 everywhere, the code MIT
    assert cff["license"] == "CC-BY-4.0" and zen["license"] == "cc-by-4.0" and "MIT" in zen["notes"]
    assert crate[crate["./"]["license"]["@id"]]["identifier"] == "CC-BY-4.0"
    software = [r for r in cff["references"] if r["type"] == "software"]
    assert len(software) == 1 and software[0]["license"] == "MIT"
    assert crate[crate["#tarim-hm"]["license"]["@id"]]["identifier"] == "MIT"
    # the article: referenced, supplemented, cited; never the preferred citation
    article = [r for r in cff["references"] if r["type"] == "article"]
    assert article[0]["doi"] == DOI and cff["preferred-citation"]["type"] == "data"
    assert zen["related_identifiers"] == [
        {"identifier": DOI, "relation": "isSupplementTo", "scheme": "doi", "resource_type": "publication-article"}
    ]
    assert crate["./"]["citation"] == {"@id": f"https://doi.org/{DOI}"}
    commit = cff["commit"]
    assert cff["date-released"] == zen["publication_date"] == crate["./"]["datePublished"] == "2026-01-02"
    assert commit in zen["description"] and commit == software[0]["commit"] and cff["version"] == zen["version"]
    errors = list(jsonschema.Draft7Validator(CFF_SCHEMA).iter_errors(cff))
    assert not errors, [e.message for e in errors]


def test_citation_cff_with_a_reserved_doi_validates():
    cff = yaml.safe_load(citation_cff("dataset", "0.1.0", "abc", "2026-01-02", "real", doi="10.5281/zenodo.1234567"))
    assert cff["doi"] == cff["preferred-citation"]["doi"] == cff["identifiers"][0]["value"] == "10.5281/zenodo.1234567"
    jsonschema.Draft7Validator(CFF_SCHEMA).validate(cff)
    with pytest.raises(ValueError, match="kind must be"):
        citation_cff("paper")


# Zenodo's rules for deposit metadata, from the "Deposit metadata" table of the REST API documentation
# (github.com/zenodo/developers.zenodo.org, source/includes/resources/deposit/_representation.md):
# required upload_type, publication_date, title, creators (each with a name), description, access_right,
# and license when access_right is open or embargoed; the controlled vocabularies below are copied
# from that table. Licence ids are Zenodo's lower-case SPDX-like ids (/api/licenses/cc-by-nc-4.0).
ZENODO_UPLOAD_TYPES = {
    "publication", "poster", "presentation", "dataset", "image", "video", "software", "lesson",
    "physicalobject", "other",
}  # fmt: skip
ZENODO_RELATIONS = {
    "isCitedBy", "cites", "isSupplementTo", "isSupplementedBy", "isContinuedBy", "continues", "isDescribedBy",
    "describes", "hasMetadata", "isMetadataFor", "isNewVersionOf", "isPreviousVersionOf", "isPartOf", "hasPart",
    "isReferencedBy", "references", "isDocumentedBy", "documents", "isCompiledBy", "compiles", "isVariantFormOf",
    "isOriginalFormof", "isIdenticalTo", "isAlternateIdentifier", "isReviewedBy", "reviews", "isDerivedFrom",
    "isSourceOf", "requires", "isRequiredBy", "isObsoletedBy", "obsoletes",
}  # fmt: skip
ZENODO_PUBLICATION_TYPES = {
    "annotationcollection", "book", "section", "conferencepaper", "datamanagementplan", "article", "patent",
    "preprint", "deliverable", "milestone", "proposal", "report", "softwaredocumentation", "taxonomictreatment",
    "technicalnote", "thesis", "workingpaper", "other",
}  # fmt: skip


def test_zenodo_json_follows_the_deposit_metadata_rules(deposit):
    zen = json.loads((deposit / ".zenodo.json").read_text())
    for key in ("upload_type", "publication_date", "title", "creators", "description", "access_right"):
        assert zen.get(key), key
    assert zen["upload_type"] in ZENODO_UPLOAD_TYPES and zen["access_right"] == "open"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", zen["publication_date"])
    assert all(isinstance(c.get("name"), str) and c["name"] for c in zen["creators"])
    assert re.fullmatch(r"[a-z0-9][a-z0-9.+-]*", zen["license"])
    for r in zen["related_identifiers"]:
        assert r["relation"] in ZENODO_RELATIONS and r["identifier"]
        kind, _, sub = r["resource_type"].partition("-")
        assert kind in ZENODO_UPLOAD_TYPES and (kind != "publication" or sub in ZENODO_PUBLICATION_TYPES)
    assert isinstance(zen["keywords"], list) and all(isinstance(k, str) for k in zen["references"])
    assert "doi" not in zen  # set only for a DOI a publisher already registered; Zenodo mints the deposit's


def test_ro_crate_describes_the_run(deposit):
    doc = json.loads((deposit / "ro-crate-metadata.json").read_text())
    assert doc["@context"] == "https://w3id.org/ro/crate/1.1/context"
    graph = {e["@id"]: e for e in doc["@graph"]}
    assert len(graph) == len(doc["@graph"])  # every @id once
    desc = graph["ro-crate-metadata.json"]
    assert desc["@type"] == "CreativeWork" and desc["conformsTo"] == {"@id": "https://w3id.org/ro/crate/1.1"}
    root = graph[desc["about"]["@id"]]
    assert root["@id"] == "./" and root["@type"] == "Dataset"
    for key in ("name", "description", "datePublished", "license"):  # RO-Crate 1.1: the root data entity
        assert root[key], key
    parts = {p["@id"] for p in root["hasPart"]}
    assert parts == set(_files(deposit)) - {"ro-crate-metadata.json"}
    assert all(graph[p]["@type"] == "File" for p in parts)
    assert graph["maps__soil_maps.tif"]["contentSize"] == str(len(TIF))
    assert "data_derived/maps/soil_maps.tif" in graph["maps__soil_maps.tif"]["description"]

    def refs(x):
        if isinstance(x, dict):
            if set(x) == {"@id"}:
                yield x["@id"]
            for v in x.values():
                yield from refs(v)
        elif isinstance(x, list):
            for v in x:
                yield from refs(v)

    assert set(refs(doc["@graph"])) - {"https://w3id.org/ro/crate/1.1"} <= set(graph)  # no dangling reference
    run = graph[root["mentions"]["@id"]]
    assert run["@type"] == "CreateAction" and run["endTime"] == "2026-01-02T05:00:00+00:00"
    assert graph[run["instrument"]["@id"]]["@type"] == "SoftwareApplication"
    objects = {o["@id"] for o in run["object"]}
    assert objects == {"analysis__params.yaml", "#input/data_raw/geo/basin.geojson"}
    assert "1" * 64 in graph["#input/data_raw/geo/basin.geojson"]["description"]
    results = {r["@id"] for r in run["result"]}
    assert results == set(SINGLE) | {"other-outputs.zip", "REPORT-html.zip"}


def test_refuses_dirty_tree_edited_outputs_and_an_oversized_deposit(project, tmp_path, monkeypatch):
    (project / ".gitignore").write_text("changed\n")
    with pytest.raises(ArchiveError, match="uncommitted changes.*--allow-dirty"):
        build_archive(tmp_path, root=project, progress=False)
    d = build_archive(tmp_path, root=project, allow_dirty=True, progress=False)
    assert d.name.endswith("-dirty")
    assert json.loads((d / "PROVENANCE.json").read_text())["git_commit"].endswith("+dirty")
    assert yaml.safe_load((d / "CITATION.cff").read_text())["commit"].endswith("+dirty")
    _git(project, "commit", "-qam", "x")
    (project / "data_derived" / "maps" / "summary.csv").write_text("x\n999\n")
    with pytest.raises(ArchiveError, match=r"edited after generation\): data_derived/maps/summary\.csv"):
        build_archive(tmp_path, root=project, progress=False)
    monkeypatch.setattr(archive, "ZENODO_MAX_FILES", 10)
    with pytest.raises(ArchiveError, match=r"would hold 15 files.*at most 10 files"):
        build_archive(tmp_path, root=project, allow_edited=True, progress=False)
    (project / "paper" / "REPORT.md").unlink()
    with pytest.raises(ArchiveError, match=r"REPORT\.md: missing; run `make all`"):
        build_archive(tmp_path, root=project, allow_edited=True, progress=False)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_deposit_names_that_collide_are_refused(tmp_path):
    root = tmp_path
    a = _write(root, "paper/tables/x__y.csv", "1\n")
    b = _write(root, "paper/tables/x/y.csv", "2\n")
    with pytest.raises(ArchiveError, match=r"deposit name 'tables__x__y\.csv' is already taken by paper/tables/"):
        archive.deposit_plan(root, [a, b])


def test_a_zip_of_the_single_zip_layout_still_verifies(tmp_path):
    z = tmp_path / "tarim-hm-outputs-0.1.0-abc.zip"
    body = b"x\n1\n"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("p/MANIFEST.sha256", f"{hashlib.sha256(body).hexdigest()}  data_derived/a.csv\n")
        zf.writestr("p/data_derived/a.csv", body)
    assert verify_archive(z) == 1
    bad = tmp_path / "bad.zip"
    shutil.copy(z, bad)
    with zipfile.ZipFile(bad, "a") as zf:
        zf.writestr("p/extra.txt", b"?")
    with pytest.raises(ArchiveError, match=r"p/extra\.txt: in the archive but not in MANIFEST\.sha256"):
        verify_archive(bad)


def test_citation_cff_of_the_repository_is_current():
    text = (paths.ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert text == citation_cff("software"), "CITATION.cff is stale: regenerate it with tarimhm.archive.citation_cff()"
    cff = yaml.safe_load(text)
    errors = list(jsonschema.Draft7Validator(CFF_SCHEMA).iter_errors(cff))
    assert not errors, [e.message for e in errors]
    assert cff["type"] == "software" and cff["license"] == "MIT" and cff["authors"] == [{"name": "tarim-hm developers"}]
    pref = cff["preferred-citation"]  # how to cite this software: the software itself, not the article
    assert {k: pref[k] for k in ("title", "authors", "version", "license")} == {
        k: cff[k] for k in ("title", "authors", "version", "license")
    }
    assert pref["type"] == "software" and cff["references"][0]["doi"] == DOI
