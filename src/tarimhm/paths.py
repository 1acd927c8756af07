"""Every folder and every saved artifact of the pipeline, named once; scripts never build paths by hand.

The root is found from this file (``src/tarimhm/paths.py`` -> two levels up), so every script works
from any working directory. ``TARIMHM_ROOT`` overrides it (tests that run a stage in a temporary copy
of the project). Generated outputs can be redirected without touching the inputs:
``TARIMHM_OUTPUT=DIR`` sends ``data_derived/``, ``figures/``, ``paper/audit/``, ``paper/tables/`` and
``paper/REPORT.md`` below ``DIR`` (``make smoke``); ``TARIMHM_DERIVED``, ``TARIMHM_FIGURES`` and
``TARIMHM_AUDIT`` redirect one folder each.

Artifact functions read the folder constants when they are called, so a test that sets
``paths.DATA_DERIVED`` moves every artifact below it. :func:`require` is the one check that a saved
output exists before a figure, table or later stage reads it.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._errors import MissingOutputError

ROOT = Path(os.environ.get("TARIMHM_ROOT", Path(__file__).resolve().parents[2])).absolute()
_OUT = Path(os.environ["TARIMHM_OUTPUT"]).absolute() if os.environ.get("TARIMHM_OUTPUT") else None
# where generated outputs go: the project, or TARIMHM_OUTPUT (a redirected run names them relative to it)
OUTPUT_ROOT = _OUT or ROOT
ANALYSIS = ROOT / "analysis"
PARAMS = ANALYSIS / "params.yaml"
PROFILES = ANALYSIS / "profiles"
UNCERTAINTY_SPECS = ANALYSIS / "uncertainty"
CALIBRATION_GRID = ANALYSIS / "calibration_grid.yaml"
SITE_LOCATIONS = ANALYSIS / "site_locations.yaml"
DATA_RAW = ROOT / "data_raw"
GEO = DATA_RAW / "geo"
RAW_SITES = DATA_RAW / "sites"
DATA_DERIVED = Path(os.environ.get("TARIMHM_DERIVED", (_OUT or ROOT) / "data_derived")).absolute()
FIGURES = Path(os.environ.get("TARIMHM_FIGURES", (_OUT or ROOT) / "figures")).absolute()
PAPER = ROOT / "paper"
REPORTED = PAPER / "reported.yaml"
ELEMENTS = PAPER / "elements.yaml"
AUDIT = Path(os.environ.get("TARIMHM_AUDIT", (_OUT / "paper" if _OUT else PAPER) / "audit")).absolute()
TABLES = ((_OUT / "paper") if _OUT else PAPER) / "tables"
REPORT = ((_OUT / "paper") if _OUT else PAPER) / "REPORT.md"
PAPER_GEN = PAPER / "generated"

__all__ = [name for name in dir() if name.isupper() and not name.startswith("_")] + [
    "require",
    "derived",
    "sites_dir",
    "site_table",
    "stats_dir",
    "risk_dir",
    "calibration",
    "uncertainty_dir",
    "imagery_dir",
    "mosaic",
    "masks",
    "training_table",
    "rf_dir",
    "rf_metrics",
    "rf_model",
    "maps_dir",
    "map_file",
    "map_summary",
    "audit_file",
    "table_file",
    "figure_file",
    "params_stamps",
    "output",
]


def require(path: Path | str, make_target: str) -> Path:
    """``path`` if it exists, else a :class:`MissingOutputError` naming the ``make`` target that writes it."""
    path = Path(path)
    if not path.exists():
        raise MissingOutputError(f"{path}: missing; run `make {make_target}` first")
    return path


STAGED: dict[str, Path] = {}
"""Domains whose stage is running inside :func:`tarimhm.provenance.commit_together`: domain -> staging folder
(``"_audit"`` -> the staging folder of the audit rows). Set and cleared by that context manager only."""


def derived(domain: str) -> Path:
    """``data_derived/<domain>/``: the folder a domain's stage writes (its staging copy while the stage runs)."""
    return STAGED.get(domain, DATA_DERIVED / domain)


def work_dir(name: str) -> Path:
    """``data_derived/.work/<name>/``: a stage's resumable scratch (the maps' finished tiles), kept out of the
    staged domain folder so an interrupted run can resume; never an output."""
    return DATA_DERIVED / ".work" / name


def unstaged(path: Path) -> Path:
    """A path inside a staging folder named as it will be once the stage commits (for provenance records)."""
    path = Path(path)
    for domain, folder in STAGED.items():
        try:
            rel = path.relative_to(folder)
        except ValueError:
            continue
        return (AUDIT if domain == "_audit" else DATA_DERIVED / domain) / rel
    return path


# sites (stage 010)
def sites_dir() -> Path:
    return derived("sites")


def site_table(medium: str, kind: str = "used") -> Path:
    """Site table of one medium. kind: 'real' (data_raw/sites), 'reconstructed' or 'used' (data_derived)."""
    if medium not in ("soil", "water"):
        raise ValueError(f"medium must be 'soil' or 'water', got {medium!r}")
    if kind == "real":
        return RAW_SITES / f"{medium}.csv"
    if kind == "reconstructed":
        return sites_dir() / f"reconstructed_{medium}.csv"
    if kind == "used":
        return sites_dir() / f"{medium}.csv"
    raise ValueError(f"kind must be 'real', 'reconstructed' or 'used', got {kind!r}")


def ensemble(medium: str) -> Path:
    """Every member of the reconstruction ensemble of one medium (NetCDF; member 0 = the used table)."""
    return sites_dir() / f"ensemble_{medium}.nc"


# statistics (stage 020)
def stats_dir() -> Path:
    return derived("stats")


# risk (stages 030-032)
def risk_dir(profile: str | None = None) -> Path:
    """``data_derived/risk/`` or, with a profile name, ``data_derived/risk/<profile>/``."""
    return derived("risk") / profile if profile else derived("risk")


def calibration() -> Path:
    return risk_dir() / "calibration.csv"


# probabilistic risk (stages 040-041)
def uncertainty_dir() -> Path:
    return derived("uncertainty")


# imagery (stage 050)
def imagery_dir() -> Path:
    return derived("imagery")


def mosaic(res: float, source: str = "surrogate") -> Path:
    """The 4-band mosaic at ``res`` metres: the offline surrogate or the real Sentinel-2 L2A median."""
    return imagery_dir() / f"{'surrogate' if source == 'surrogate' else 's2l2a'}_{int(res)}m.tif"


def masks(res: float) -> Path:
    return imagery_dir() / f"masks_{int(res)}m.tif"


def training_table() -> Path:
    return imagery_dir() / "training_table.csv"


# Random-Forest inversion (stages 060-061)
def rf_dir() -> Path:
    return derived("rf")


def rf_metrics() -> Path:
    return rf_dir() / "metrics.csv"


def rf_model(medium: str, metal: str, kind: str = "") -> Path:
    """Exported forest ``models/<medium>_<metal>[_<kind>].npz`` (kind: '', 'loo', 'aoa')."""
    return rf_dir() / "models" / f"{medium}_{metal}{'_' + kind if kind else ''}.npz"


# basin maps (stage 070)
def maps_dir() -> Path:
    return derived("maps")


def map_file(medium: str, kind: str = "maps") -> Path:
    """``<medium>_maps.tif`` (mean, spread, bounds, DI per metal) or ``<medium>_aoa.tif``."""
    return maps_dir() / f"{medium}_{kind}.tif"


def map_summary(medium: str) -> Path:
    return maps_dir() / f"{medium}_summary.json"


# paper-facing outputs
def audit_file(name: str) -> Path:
    return STAGED.get("_audit", AUDIT) / name


def table_file(name: str, suffix: str = ".csv") -> Path:
    return TABLES / f"{name}{suffix}"


def figure_file(name: str, fmt: str) -> Path:
    return FIGURES / f"{name}.{fmt}"


def timing(script: str | Path) -> Path:
    """``data_derived/_timings/<script stem>.json``: wall, CPU and peak memory of a script's last successful run."""
    return DATA_DERIVED / "_timings" / f"{Path(script).stem}.json"


def timings_summary() -> Path:
    """``timings.json`` at the output root: every script's duration record of a ``make all``, collected."""
    return OUTPUT_ROOT / "timings.json"


def params_stamps() -> Path:
    """Folder of the per-section parameter stamps Make rules depend on (``<section>.json``)."""
    return DATA_DERIVED / ".params"


def output(rel: str) -> Path:
    """A generated file named relative to the project (``figures/x.pdf``), wherever outputs are redirected."""
    for prefix, folder in (
        ("data_derived/", DATA_DERIVED),
        ("figures/", FIGURES),
        ("paper/audit/", AUDIT),
        ("paper/tables/", TABLES),
    ):
        if rel.startswith(prefix):
            return folder / rel[len(prefix) :]
    return REPORT if rel == "paper/REPORT.md" else ROOT / rel
