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
    monkeypatch.setattr(paths, "SITES", d / "sites")
    monkeypatch.setattr(paths, "FIGURES", tmp_path / "figures")
    monkeypatch.setattr(paths, "RAW_SITES", tmp_path / "raw_sites")
    return d
