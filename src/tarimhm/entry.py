"""Entry points of the thin scripts in ``analysis/``: one stage, one figure or one table each.

A figure script names its draw function and this module knows no figure by name::

    from tarimhm.entry import figure_main
    from tarimhm.risk.figures import fig10
    figure_main(fig10, __file__, __doc__)

The output name is the script's name without its number (``110_fig10_hi_radar.py`` ->
``figures/fig10_hi_radar.*``).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path

from . import config, reported

__all__ = ["parse_params", "output_name", "figure_main", "table_main"]


def parse_params(doc: str, argv=None, add_arguments: Callable[[argparse.ArgumentParser], None] | None = None):
    """(validated params, parsed arguments) of a script's command line (``--params FILE`` and extras)."""
    ap = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0] if doc else None)
    ap.add_argument("--params", default=None, help="parameter file (default analysis/params.yaml)")
    if add_arguments:
        add_arguments(ap)
    args = ap.parse_args(argv)
    return config.load(args.params), args


def output_name(script: str | Path) -> str:
    """``analysis/110_fig10_hi_radar.py`` -> ``fig10_hi_radar``."""
    stem = Path(script).stem
    m = re.match(r"^\d+_(.+)$", stem)
    if not m:
        raise ValueError(f"{script}: a figure or table script is named NNN_<name>.py")
    return m.group(1)


def figure_main(draw, script: str, doc: str = "", argv=None) -> None:
    """Render one figure with ``draw`` (from a domain's ``figures.py``) and print the written files."""
    from .viz.figures import render_figure

    params, _ = parse_params(doc, argv)
    for f in render_figure(draw, output_name(script), params, Path(script)):
        print(f)


def table_main(table, script: str, doc: str = "", argv=None) -> None:
    """Build one table with ``table`` (from a domain's ``tables.py``) and print the written files."""
    from .viz.tables import render_table

    params, _ = parse_params(doc, argv)
    for f in render_table(table, output_name(script), params, reported.load(), Path(script)):
        print(f)
