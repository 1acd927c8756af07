"""Reviewer mode (tarimhm.review): one exhibit rebuilt from a deposit, compared, certified; a tampered deposit refused."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tarimhm import paths
from tarimhm._errors import ArchiveError
from tarimhm.review import FOOTER_FRACTION, compare_png, review

TINY = paths.ROOT / "tests" / "data" / "params_tiny.yaml"


def _png(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return buf.getvalue()


def test_png_comparison_tells_identical_footer_only_and_real_differences():
    a = np.full((100, 50, 3), 255, np.uint8)
    assert compare_png(_png(a), _png(a)) == ("identical pixels", True)
    b = a.copy()
    b[99, 3] = 0  # bottom row: the provenance footer band
    what, ok = compare_png(_png(a), _png(b))
    assert ok and what.startswith("identical except the provenance footer (1 px")
    c = a.copy()
    c[10, 10] = 0
    what, ok = compare_png(_png(a), _png(c))
    assert not ok and what == "1 px differ (0.020 %), rows 10-10"
    assert int(100 * (1 - FOOTER_FRACTION)) == 94
    assert compare_png(_png(a), _png(a[:90]))[1] is False


def _run(script: str, out, *extra):
    env = {**os.environ, "TARIMHM_OUTPUT": str(out)}
    r = subprocess.run(
        [sys.executable, str(paths.ANALYSIS / script), "--params", str(TINY), *extra],
        env=env,
        cwd=paths.ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-2000:]


@pytest.fixture(scope="module")
def deposit(tmp_path_factory):
    """A tiny run's Fig. 10 and its inputs, archived as make archive does."""
    from tarimhm.archive import build_archive
    from test_archive import _git

    proj = tmp_path_factory.mktemp("proj")
    for s, extra in [
        ("010_reconstruct_sites.py", ()),
        ("030_risk_calibration.py", ()),
        ("031_risk_deterministic.py", ("--profile", "paper_reproducing")),
        ("110_fig10_hi_radar.py", ()),
    ]:
        _run(s, proj, *extra)
    (proj / "paper").mkdir(exist_ok=True)
    (proj / "paper" / "REPORT.md").write_text("# report\n")
    (proj / "analysis").mkdir()
    shutil.copy(TINY, proj / "analysis" / "params.yaml")
    (proj / ".gitignore").write_text("data_derived/\nfigures/\npaper/\n")
    _git(proj, "init", "-q")
    _git(proj, "add", ".gitignore", "analysis/params.yaml")
    _git(proj, "commit", "-qm", "init")
    return build_archive(tmp_path_factory.mktemp("dist"), root=proj, progress=False)


@pytest.mark.slow
def test_a_figure_rebuilt_from_its_deposit_is_certified_reproduced(deposit, tmp_path):
    cert = review("fig10", deposit, tmp_path)
    assert cert["result"] == "REPRODUCED", cert["problems"]
    assert [o["compared"] for o in cert["outputs"]] == ["identical pixels"]
    assert any(i["from"] == "deposit" and i["path"].startswith("data_derived/risk/") for i in cert["inputs"])
    assert all(i["match"] for i in cert["inputs"])
    saved = json.loads((tmp_path / "fig10-certificate.json").read_text())
    assert saved["deposit_entries_verified"] > 5 and saved["reviewer"]["cpus"] >= 1
    assert "REPRODUCED" in (tmp_path / "fig10-certificate.md").read_text()


@pytest.mark.slow
def test_a_tampered_deposit_is_refused_before_anything_is_rebuilt(deposit, tmp_path):
    bad = tmp_path / deposit.name
    shutil.copytree(deposit, bad)
    z = bad / "other-outputs.zip"
    data = bytearray(z.read_bytes())
    data[len(data) // 2] ^= 0xFF
    z.write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="other-outputs.zip"):
        review("fig10", bad, tmp_path / "cert")
    assert not (tmp_path / "cert").exists()


def test_an_unknown_exhibit_name_is_one_clear_line(deposit, tmp_path):
    with pytest.raises(ArchiveError, match=r"'figure six' is no exhibit"):
        review("figure six", deposit, tmp_path)
