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
    """Render one figure (Figs 1, 4-15, S1 and the map companions) from saved outputs and print the written files."""
    from . import riskfigs, statsfigs
    params = _params(doc, argv)
    if name == "fig4_importance":
        from .rf.report import render_fig4
        files = render_fig4(params, Path(script))
    elif name.startswith(("fig6", "fig7")):
        from .raster.figures import render_maps
        files = render_maps(name, params, reported.load(), Path(script))
    elif name.startswith("figU"):
        from .uncertaintyfigs import render
        files = render(name, params, Path(script))
    elif name == "fig1_study_area":
        from .mapfig import render_fig1
        files = render_fig1(params, Path(script))
    elif name in riskfigs.FIGURES:
        files = riskfigs.render(name, params, Path(script))
    else:
        files = statsfigs.render_figure(name, params, Path(script))
    for f in files:
        print(f)


def table_main(name: str, script: str, doc: str = "", argv=None) -> None:
    """Render one table (Tables 4-9) from saved outputs and print the written files."""
    from . import statsfigs
    params = _params(doc, argv)
    if name == "tab4_accuracy":
        from .rf.report import render_table4
        files = render_table4(params, reported.load(), Path(script))
    elif name in ("tab5_soil_classes", "tab6_water_classes"):
        from .raster.report import render_class_table
        files = render_class_table(params, reported.load(), "soil" if name.startswith("tab5") else "water",
                                   Path(script))
    elif name == "tab9_exposure":
        from .risk.table9 import render_table9
        files = render_table9(params, reported.load(), Path(script))
    else:
        files = statsfigs.render_table(name, params, reported.load(), Path(script))
    for f in files:
        print(f)
