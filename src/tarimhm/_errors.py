"""Error types. Every message names the file, the field and the fix."""

from __future__ import annotations


class TarimHMError(Exception):
    """Base class of the package's user-facing errors."""


class ConfigError(TarimHMError, ValueError):
    """A parameter or profile file is malformed."""


class SiteTableError(TarimHMError, ValueError):
    """A site concentration table is malformed."""


class ReportedError(TarimHMError, ValueError):
    """paper/reported.yaml is malformed or a lookup is ambiguous."""


class ImageryError(TarimHMError, ValueError):
    """A mosaic or its inputs do not fit what the site spectra need."""


class ArchiveError(TarimHMError, ValueError):
    """An archive cannot be built (dirty tree, edited outputs) or does not verify."""


class DerivedTableError(TarimHMError, ValueError):
    """A saved table that a stage reads back does not fit its schema (edited, truncated, another version)."""


class MissingOutputError(TarimHMError, FileNotFoundError):
    """A saved output that a stage, figure or table reads has not been made yet (the message names the make target)."""


def format_pydantic(path, exc) -> str:
    """Turn a pydantic ValidationError into lines 'file: key.path: problem (got X)'."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(top level)"
        got = err.get("input")
        got_s = repr(got)
        if len(got_s) > 80:
            got_s = got_s[:77] + "..."
        msg = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            msg = "unknown key (typo?); remove it or check the spelling against the schema"
        elif err.get("type") == "missing":
            msg = "required key is missing; add it"
        lines.append(f"{path}: {loc}: {msg} (got {got_s})")
    return "\n".join(lines)
