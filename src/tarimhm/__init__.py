"""tarim-hm: reproducibility package for Zhao, Mu, Luo et al. (2026), Sci Rep,
doi:10.1038/s41598-026-38887-9 (heavy metals in the Tarim River Basin).

Public API; implementation lives in the submodules.
"""

from __future__ import annotations

from . import config, paths, provenance, reported
from ._errors import ConfigError, ReportedError, SiteTableError, TarimHMError
from ._version import __version__

__all__ = [
    "__version__",
    "config",
    "paths",
    "provenance",
    "reported",
    "ConfigError",
    "ReportedError",
    "SiteTableError",
    "TarimHMError",
]
