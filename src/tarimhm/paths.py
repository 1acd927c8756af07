"""Absolute paths of the project folders; scripts never build paths by hand.

The root is found from this file (``src/tarimhm/paths.py`` -> two levels up), so every
script works from any working directory. ``TARIMHM_ROOT`` overrides it (used by tests
that run a stage in a temporary copy of the project); ``TARIMHM_DERIVED`` and
``TARIMHM_FIGURES`` (and ``TARIMHM_AUDIT`` for ``paper/audit``) redirect only the generated outputs
(``make smoke``, tests).
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("TARIMHM_ROOT", Path(__file__).resolve().parents[2])).absolute()
ANALYSIS = ROOT / "analysis"
PARAMS = ANALYSIS / "params.yaml"
PROFILES = ANALYSIS / "profiles"
SITE_LOCATIONS = ANALYSIS / "site_locations.yaml"
DATA_RAW = ROOT / "data_raw"
GEO = DATA_RAW / "geo"
RAW_SITES = DATA_RAW / "sites"
DATA_DERIVED = Path(os.environ.get("TARIMHM_DERIVED", ROOT / "data_derived")).absolute()
SITES = DATA_DERIVED / "sites"
FIGURES = Path(os.environ.get("TARIMHM_FIGURES", ROOT / "figures")).absolute()
PAPER = ROOT / "paper"
REPORTED = PAPER / "reported.yaml"
AUDIT = Path(os.environ.get("TARIMHM_AUDIT", PAPER / "audit")).absolute()
PAPER_GEN = PAPER / "generated"

__all__ = [name for name in dir() if name.isupper()]
