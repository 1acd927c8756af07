"""Citable archive: deterministic bytes, manifest verification, refusals that name the fix."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile

import pytest
import yaml

from tarimhm import paths
from tarimhm._errors import ArchiveError
from tarimhm.archive import build_archive, citation_cff, verify_archive


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


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    (root / "paper" / "audit").mkdir(parents=True)
    (root / "figures").mkdir()
    (root / "data_derived" / "maps").mkdir(parents=True)
    (root / ".gitignore").write_text("/paper/REPORT.md\n/paper/audit/\n/figures/\n/data_derived/\n")
    (root / "paper" / "REPORT.md").write_text("# Reproduction report\n")
    (root / "paper" / "audit" / "numbers.csv").write_text("reported_id,verdict\na,reproduced\n")
    (root / "figures" / "fig6.png").write_bytes(bytes(range(256)) * 50)
    csv = root / "data_derived" / "maps" / "summary.csv"
    csv.write_text("x\n1\n")
    side = {
        "file": "summary.csv",
        "sha256": hashlib.sha256(b"x\n1\n").hexdigest(),
        "data_status": "surrogate",
        "script": "analysis/070_maps.py",
        "params_hash": "abc",
    }
    (root / "data_derived" / "maps" / "summary.csv.provenance.json").write_text(json.dumps(side))
    (root / "data_derived" / "maps" / ".tmp-half-written.tif").write_bytes(b"partial")
    _git(root, "init", "-q")
    _git(root, "add", ".gitignore")
    _git(root, "commit", "-qm", "init")
    return root


def test_same_outputs_same_bytes_and_manifest_verifies(project, tmp_path):
    a = build_archive(tmp_path / "a", root=project, progress=False)
    b = build_archive(tmp_path / "b", root=project, progress=False)
    assert a.read_bytes() == b.read_bytes()
    assert a.with_name(a.name + ".sha256").read_text().split()[0] == hashlib.sha256(a.read_bytes()).hexdigest()
    # 5 outputs incl. the sidecar (the .tmp- file of an interrupted write is left out) + CITATION.cff,
    # .zenodo.json and PROVENANCE.json
    assert verify_archive(a) == 8
    with zipfile.ZipFile(a) as zf:
        names = zf.namelist()
        prefix = names[0].split("/")[0]
        assert prefix.startswith("tarim-hm-outputs-0.1.0-") and not any(".tmp-" in n for n in names)
        cff = yaml.safe_load(zf.read(f"{prefix}/CITATION.cff"))
        prov = json.loads(zf.read(f"{prefix}/PROVENANCE.json"))
        zen = json.loads(zf.read(f"{prefix}/.zenodo.json"))
        info = zf.getinfo(f"{prefix}/figures/fig6.png")
    assert cff["type"] == "dataset" and cff["date-released"] == "2026-01-02"
    assert cff["references"][0]["doi"] == "10.1038/s41598-026-38887-9"
    assert prov["data_status"] == "surrogate" and "data_derived/maps/summary.csv" in prov["sidecars"]
    assert zen["related_identifiers"][0]["relation"] == "isSupplementTo"
    assert info.date_time == (2026, 1, 2, 3, 4, 4) and info.compress_type == zipfile.ZIP_STORED  # zip: 2-s resolution


def test_tampered_member_fails_verification(project, tmp_path):
    a = build_archive(tmp_path, root=project, progress=False)
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(a) as src, zipfile.ZipFile(bad, "w") as dst:
        for zi in src.infolist():
            data = src.read(zi)
            dst.writestr(zi, b"x\n2\n" if zi.filename.endswith("summary.csv") else data)
    with pytest.raises(ArchiveError, match=r"maps/summary\.csv: sha256 .* differs from the manifest"):
        verify_archive(bad)


def test_refuses_dirty_tree_and_edited_outputs(project, tmp_path):
    (project / ".gitignore").write_text("changed\n")
    with pytest.raises(ArchiveError, match="uncommitted changes.*--allow-dirty"):
        build_archive(tmp_path, root=project, progress=False)
    a = build_archive(tmp_path, root=project, allow_dirty=True, progress=False)
    with zipfile.ZipFile(a) as zf:
        prov = json.loads(zf.read(zf.namelist()[0].split("/")[0] + "/PROVENANCE.json"))
    assert prov["git_commit"].endswith("+dirty")
    _git(project, "commit", "-qam", "x")
    (project / "data_derived" / "maps" / "summary.csv").write_text("x\n999\n")
    with pytest.raises(ArchiveError, match=r"edited after generation\): data_derived/maps/summary\.csv"):
        build_archive(tmp_path, root=project, progress=False)
    (project / "paper" / "REPORT.md").unlink()
    with pytest.raises(ArchiveError, match=r"REPORT\.md: missing; run `make all`"):
        build_archive(tmp_path, root=project, allow_edited=True, progress=False)


def test_citation_cff_of_the_repository_is_current():
    text = (paths.ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert text == citation_cff("software"), "CITATION.cff is stale: regenerate it with tarimhm.archive.citation_cff()"
    cff = yaml.safe_load(text)
    assert {"cff-version", "message", "title", "authors", "type", "version"} <= set(cff)
