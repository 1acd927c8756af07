"""The schemas of tables a stage reads back: a good table passes unchanged, every kind of damage is one line."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from tarimhm import paths
from tarimhm._errors import DerivedTableError, MissingOutputError
from tarimhm.imagery.grid import BANDS
from tarimhm.schemas import SPECTRAL_BANDS, calibration_schema, metrics_schema, read_checked, training_schema


def _training() -> pd.DataFrame:
    rows = []
    for med, prefix in (("soil", "S"), ("water", "W")):
        for i in (1, 2, 3):
            rows.append(
                {"site_id": f"{prefix}{i}", "medium": med, "B02": 0.04, "B03": 0.08, "B04": 0.06, "B08": 0.3,
                 "As": 10.0 * i, "Cd": 0.1, "Pb": 20.0, "Cu": 30.0, "Zn": 70.0, "unit": "mg/kg",
                 "data_status": "reconstructed+surrogate"}
            )  # fmt: skip
    return pd.DataFrame(rows)


def test_the_bands_are_the_imagery_bands():
    assert SPECTRAL_BANDS == BANDS


def test_a_good_table_is_returned_as_read(tmp_path):
    f = tmp_path / "training_table.csv"
    _training().to_csv(f, index=False)
    got = read_checked(f, training_schema(), "imagery")
    pd.testing.assert_frame_equal(got, pd.read_csv(f))


@pytest.mark.parametrize(
    "damage, line",
    [
        (lambda d: d.drop(columns="Zn"), r"training_table\.csv: missing column Zn; .*run `make imagery` again$"),
        (lambda d: d.assign(B03=[0.1, -0.2, 0.1, 0.1, 0.1, 0.1]), r"column B03: fails in_range\(0\.0, 1\.6\) \(1 case: -0\.2 at line 3\)"),
        (lambda d: d.assign(medium=["soil"] * 5 + ["air"]), r"column medium: fails isin.* \(1 case: 'air' at line 7\)"),
        (lambda d: d.assign(As=[1.0, 2.0, -3.0, 4.0, 5.0, 6.0]), r"column As: fails greater_than_or_equal_to\(0\.0\) .*line 4"),
        (lambda d: d.assign(data_status="measured"), r"column data_status: fails str_matches.* \(6 cases"),
        (lambda d: pd.concat([d, d.iloc[[0]]]), r"rows repeat \(medium, site_id\) at lines 2, 8;"),
        (lambda d: d.assign(B02="dark"), r"column B02: fails coerce_dtype\('float64'\)"),
    ],
)  # fmt: skip
def test_every_damage_is_one_line_naming_file_column_and_target(tmp_path, damage, line):
    f = tmp_path / "training_table.csv"
    damage(_training()).to_csv(f, index=False)
    with pytest.raises(DerivedTableError) as exc:
        read_checked(f, training_schema(), "imagery")
    lines = str(exc.value).splitlines()
    assert len(lines) == 1, lines
    assert pytest.importorskip("re").search(line, lines[0]), lines[0]


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(MissingOutputError, match=r"metrics\.csv: missing; run `make rf` first"):
        read_checked(tmp_path / "metrics.csv", metrics_schema(), "rf")
    (tmp_path / "calibration.csv").write_bytes(b"")
    with pytest.raises(DerivedTableError, match=r"calibration\.csv: not a readable CSV .*run `make calibration` again"):
        read_checked(tmp_path / "calibration.csv", calibration_schema(), "calibration")


def test_calibration_ranking_must_be_in_rank_order(tmp_path):
    d = pd.DataFrame(
        {"rank": [1, 2, 3], "rms_raw": [1.0, 2, 3], "scale": [1.0, 1, 1], "rms_scaled": [0.1, 0.2, 0.3],
         "max_abs_scaled_pct": [1.0, 2, 3], "max_abs_raw_pct": [1.0, 2, 3]}
    )  # fmt: skip
    f = tmp_path / "calibration.csv"
    d.to_csv(f, index=False)
    assert len(read_checked(f, calibration_schema(), "calibration")) == 3
    d.iloc[::-1].to_csv(f, index=False)
    with pytest.raises(DerivedTableError, match=r"the table: fails rows ordered by rank"):
        read_checked(f, calibration_schema(), "calibration")


def test_a_stage_refuses_a_damaged_training_table_in_one_line(tmp_path):
    derived = tmp_path / "data_derived"
    (derived / "imagery").mkdir(parents=True)
    _training().drop(columns="B08").to_csv(derived / "imagery" / "training_table.csv", index=False)
    env = {**os.environ, "TARIMHM_DERIVED": str(derived), "TARIMHM_AUDIT": str(tmp_path / "audit")}
    r = subprocess.run(
        [sys.executable, str(paths.ANALYSIS / "060_rf_inversion.py"), "--params", str(paths.PARAMS)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        f"error: {derived}/imagery/training_table.csv: missing column B08; the file was edited or written by "
        "another version; run `make imagery` again"
    ]
    assert not (derived / "rf").exists()
