"""Shared entry point of the thin figure and table scripts in analysis/ (one script per element)."""
from __future__ import annotations

import argparse
from pathlib import Path

from . import config, reported

__all__ = ["figure_main", "table_main"]


def _params(doc: str, argv):
    ap = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0] if doc else None)
    ap.add_argument("--params", default=None, help="parameter file (default analysis/params.yaml)")
    return config.load(ap.parse_args(argv).params)


def figure_main(name: str, script: str, doc: str = "", argv=None) -> None:
    """Render one figure (Figs 1, 5, 8, 9-15, S1) from saved outputs and print the written files."""
    from . import riskfigs, statsfigs
    params = _params(doc, argv)
    if name == "fig1_study_area":
        from .mapfig import render_fig1
        files = render_fig1(params, Path(script))
    elif name in riskfigs.FIGURES:
        files = riskfigs.render(name, params, Path(script))
    else:
        files = statsfigs.render_figure(name, params, Path(script))
    for f in files:
        print(f)


def table_main(name: str, script: str, doc: str = "", argv=None) -> None:
    """Render one table (Tables 7-8) from saved outputs and print the written files."""
    from . import statsfigs
    for f in statsfigs.render_table(name, _params(doc, argv), reported.load(), Path(script)):
        print(f)
