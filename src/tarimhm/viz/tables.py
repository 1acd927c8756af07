"""Writers of the paper's tables: CSV beside a LaTeX fragment, both stamped; Markdown tables for the audits.

Every table of the package is a *table function* in its domain's ``tables.py``: it reads saved outputs
and returns a :class:`Tabled` (the frame, a LaTeX builder, the files it read and their data status).
:func:`render_table` writes ``paper/tables/<name>.{csv,tex}`` with provenance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import paths
from ..config import Params, params_hash
from ..provenance import Provenance, atomic_write_text, make_provenance, write_table
from ..reported import Reported

__all__ = ["Tabled", "render_table", "md_table"]


@dataclass
class Tabled:
    frame: pd.DataFrame
    latex: Callable[[Provenance], str]
    inputs: list[Path]
    data_status: str
    note: str
    float_format: str | None = "%.6g"


def render_table(
    table: Callable[[Params, Reported], Tabled], name: str, params: Params, rep: Reported, script: Path
) -> list[Path]:
    """Build one table from saved outputs and write its CSV and LaTeX with provenance."""
    t = table(params, rep)
    # a table reads saved outputs and printed numbers only: no parameter section
    prov = make_provenance(script, params_hash({}), t.inputs, t.data_status, note=t.note)
    csv = write_table(t.frame, paths.table_file(name, ".csv"), prov, float_format=t.float_format)
    tex = atomic_write_text(paths.table_file(name, ".tex"), t.latex(prov))
    return [csv, tex]


def md_table(header: list[str], rows: list[list]) -> list[str]:
    """Lines of a Markdown table; ``|`` and newlines inside cells are escaped."""

    def esc(s) -> str:
        return str(s).replace("|", "\\|").replace("\n", " ")

    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
        "| " + " | ".join(esc(c) for c in r) + " |" for r in rows
    ]
