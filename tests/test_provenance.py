"""Provenance stamps, data-status arithmetic and atomic writes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tarimhm import provenance as pv


@pytest.mark.parametrize(
    "statuses,expected",
    [
        (("real",), "real"),
        (("real", "real"), "real"),
        (("real", "reconstructed"), "reconstructed"),
        (("surrogate", "reconstructed"), "reconstructed+surrogate"),
        (("reconstructed+surrogate", "real"), "reconstructed+surrogate"),
    ],
)
def test_combine_status(statuses, expected):
    assert pv.combine_status(*statuses) == expected


def test_combine_status_rejects_unknown():
    with pytest.raises(ValueError, match="unknown data status 'simulated'"):
        pv.combine_status("real", "simulated")


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError):
        with pv.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_keeps_old_file_until_success(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with pv.atomic_path(target) as tmp:
            tmp.write_text("new")
            raise KeyboardInterrupt
    assert target.read_text() == "old"


def test_sidecar_and_deterministic_table(tmp_path):
    inp = tmp_path / "in.txt"
    inp.write_text("abc")
    prov = pv.make_provenance(tmp_path / "script.py", "h" * 64, [inp], "reconstructed")
    # sha256("abc") is the FIPS 180-2 test vector
    assert prov.inputs[str(inp)] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    df = pd.DataFrame({"a": [1.0, 2.5], "b": ["x", "y"]})
    out = tmp_path / "t.csv"
    pv.write_table(df, out, prov)
    first = out.read_bytes()
    pv.write_table(df, out, prov)
    # every table says what its numbers rest on: the stamp's status is added where the rows do not say it
    assert out.read_bytes() == first == b"a,b,data_status\n1.0,x,reconstructed\n2.5,y,reconstructed\n"
    rows = pd.DataFrame({"a": [1], "data_status": ["real"]})
    pv.write_table(rows, tmp_path / "r.csv", prov)
    assert (tmp_path / "r.csv").read_bytes() == b"a,data_status\n1,real\n"
    side = json.loads(pv.sidecar_path(out).read_text())
    assert side["data_status"] == "reconstructed" and side["sha256"] == pv.sha256_file(out)
    assert side["params_hash"] == "h" * 64 and side["file"] == "t.csv"
    assert (out.stat().st_mode & 0o777) != 0o600


def test_write_json_embeds_provenance(tmp_path):
    prov = pv.make_provenance(tmp_path / "s.py", "0" * 64, [], "real")
    p = pv.write_json({"x": 1}, tmp_path / "o.json", prov)
    body = json.loads(p.read_text())
    assert body["x"] == 1 and body["_provenance"]["data_status"] == "real"
    assert prov.flat()["tarimhm_data_status"] == "real"


def test_output_folders_follow_the_environment(tmp_path):
    """make smoke relies on these: generated outputs (audits included) never land in the repository."""
    import subprocess
    import sys

    env = {
        "TARIMHM_DERIVED": str(tmp_path / "d"),
        "TARIMHM_FIGURES": str(tmp_path / "f"),
        "TARIMHM_AUDIT": str(tmp_path / "a"),
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tarimhm import paths; print(paths.DATA_DERIVED, paths.FIGURES, paths.AUDIT, paths.sites_dir())",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [str(tmp_path / "d"), str(tmp_path / "f"), str(tmp_path / "a"), str(tmp_path / "d" / "sites")]
