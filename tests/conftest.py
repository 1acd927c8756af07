"""Shared fixtures. Tests never touch the network; matplotlib runs headless."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tarimhm import config, reported  # noqa: E402

TESTS = Path(__file__).resolve().parent
TINY = TESTS / "data" / "params_tiny.yaml"


@pytest.fixture(scope="session")
def rep():
    return reported.load()


@pytest.fixture(scope="session")
def params():
    return config.load()


@pytest.fixture(scope="session")
def tiny():
    return config.load(TINY)


@pytest.fixture
def derived(tmp_path, monkeypatch):
    """Redirect generated outputs (data_derived, figures) to a temporary folder."""
    from tarimhm import paths

    d = tmp_path / "data_derived"
    monkeypatch.setattr(paths, "DATA_DERIVED", d)
    monkeypatch.setattr(paths, "FIGURES", tmp_path / "figures")
    monkeypatch.setattr(paths, "RAW_SITES", tmp_path / "raw_sites")
    monkeypatch.setattr(paths, "AUDIT", tmp_path / "audit")
    monkeypatch.setattr(paths, "TABLES", tmp_path / "paper" / "tables")
    monkeypatch.setattr(paths, "REPORT", tmp_path / "paper" / "REPORT.md")
    return d


def run_reconstruction_into(params, rep, out: Path):
    """Run stage 010 with outputs redirected to ``out``; returns (summary, sites folder)."""
    from tarimhm import paths
    from tarimhm.sites.stage import run_reconstruction

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "DATA_DERIVED", out)
        mp.setattr(paths, "RAW_SITES", out / "no_real_sites")
        mp.setattr(paths, "AUDIT", out.parent / "audit")
        summary = run_reconstruction(
            params, rep, TESTS.parent / "analysis" / "010_reconstruct_sites.py", progress=False
        )
    return summary, out / "sites"


@pytest.fixture(scope="session")
def full(params, rep, tmp_path_factory):
    """The reconstruction exactly as `make sites` runs it (analysis/params.yaml), once per session."""
    return run_reconstruction_into(params, rep, tmp_path_factory.mktemp("full") / "data_derived")


@pytest.fixture
def use_sites(full, monkeypatch, tmp_path):
    """Point the pipeline at the session's reconstructed site tables; other outputs go to tmp_path."""
    from tarimhm import paths

    d = full[1].parent
    monkeypatch.setattr(paths, "DATA_DERIVED", d)
    monkeypatch.setattr(paths, "RAW_SITES", d / "no_real_sites")
    monkeypatch.setattr(paths, "FIGURES", tmp_path / "figures")
    monkeypatch.setattr(paths, "AUDIT", tmp_path / "audit")
    monkeypatch.setattr(paths, "PAPER", tmp_path / "paper")
    monkeypatch.setattr(paths, "TABLES", tmp_path / "paper" / "tables")
    monkeypatch.setattr(paths, "REPORT", tmp_path / "paper" / "REPORT.md")
    return d
