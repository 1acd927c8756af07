"""Every figure and table renders from saved outputs, with provenance embedded and data status shown."""

from __future__ import annotations

import json
import re
import zlib

import pytest
from PIL import Image

from tarimhm import paths
from tarimhm.provenance import sidecar_path


@pytest.fixture
def outputs(use_sites, rep, params):
    from tarimhm.risk.stage import run_risk
    from tarimhm.stats.stage import run_statistics

    run_risk(params, rep, params.risk.reference_profile, paths.ROOT / "analysis" / "031_risk_deterministic.py")
    run_statistics(params, rep, paths.ROOT / "analysis" / "020_statistics.py")
    return use_sites


def pdf_measure(pdf: bytes) -> tuple[float, float]:
    """(page width in mm, smallest font size in pt) read off the PDF itself, not from matplotlib.

    Width from the MediaBox; font sizes from the ``/F<n> <size> Tf`` operators of the (zlib-
    compressed) content streams, times any scale of the text matrix ``Tm`` (matplotlib writes 1 0 0 1
    or a rotation, so the size operand is the size in points).
    """
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    sizes = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            body = zlib.decompress(m.group(1))
        except zlib.error:
            body = m.group(1)
        sizes += [float(x) for x in re.findall(rb"/F\d+\s+([\d.]+)\s+Tf", body)]
    return float(box.group(1)) * 25.4 / 72, min(sizes)


def test_journal_format_refuses_small_text_and_shrinks_wide_figures():
    import matplotlib.pyplot as plt

    from tarimhm.viz.figures import fit_journal, use_style

    use_style()
    fig, ax = plt.subplots(figsize=(9.0, 3.0))
    ax.plot([0, 1], [0, 1])
    width, _ = fit_journal(fig)
    assert width <= 180.0 and fig.get_size_inches()[0] < 9.0
    from tarimhm.provenance import make_provenance
    from tarimhm.viz.figures import footer

    footer(fig, make_provenance("x.py", "0" * 64, [], "reconstructed"), "a long note " * 40)
    assert fit_journal(fig)[0] <= 180.0  # the footer wraps instead of widening the page
    ax.set_title("tiny", fontsize=4.5)
    with pytest.raises(ValueError, match=r"\[4\.5\] pt"):
        fit_journal(fig)
    plt.close(fig)


DRAWS = [("risk", f"fig{n}") for n in range(9, 16)] + [("stats", n) for n in ("fig5", "fig8", "figS1")]


@pytest.mark.parametrize("domain,draw", DRAWS)
def test_figure_png_has_provenance(outputs, tiny, domain, draw):
    import importlib

    from tarimhm.viz.figures import render_figure

    fn = getattr(importlib.import_module(f"tarimhm.{domain}.figures"), draw)
    both = tiny.model_copy(update={"figures": tiny.figures.model_copy(update={"formats": ("pdf", "png")})})
    files = render_figure(fn, f"{draw}_test", both, paths.ROOT / "analysis" / "x.py")
    png = [f for f in files if f.suffix == ".png"][0]
    width_mm, min_pt = pdf_measure([f for f in files if f.suffix == ".pdf"][0].read_bytes())
    assert width_mm <= 180.0 and min_pt >= 5.0, (width_mm, min_pt)
    meta = Image.open(png).text
    assert meta["tarimhm_data_status"] == "reconstructed"
    assert len(meta["tarimhm_params_hash"]) == 64
    side = json.loads(sidecar_path(png).read_text())
    assert side["data_status"] == "reconstructed" and side["inputs"]


def test_pdf_metadata(outputs, params):
    from tarimhm.risk.figures import fig10
    from tarimhm.viz.figures import render_figure

    files = render_figure(fig10, "fig10_hi_radar", params, paths.ROOT / "analysis" / "110_fig10_hi_radar.py")
    pdf = [f for f in files if f.suffix == ".pdf"][0].read_bytes()
    assert b"tarimhm_data_status=reconstructed" in pdf


@pytest.mark.parametrize("name", ["tab7_pca_soil", "tab8_pca_water"])
def test_tables(outputs, params, rep, name, monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "TABLES", tmp_path / "paper" / "tables")
    from tarimhm.stats import tables
    from tarimhm.viz.tables import render_table

    csv, tex = render_table(getattr(tables, name[:4]), name, params, rep, paths.ROOT / "analysis" / f"x_{name}.py")
    text = tex.read_text()
    assert "Site data: reconstructed" in text and "paper" in text and "this work" in text
    import pandas as pd

    df = pd.read_csv(csv)
    assert (df.loc[df.variable.isin(["As", "Cd", "Pb", "Cu", "Zn"]), "difference"].abs() < 0.05).all()


def test_fig1_study_area(use_sites, tiny, rep):
    from tarimhm.sites.audit import audit_geography
    from tarimhm.sites.figures import fig1
    from tarimhm.viz.figures import render_figure

    files = render_figure(fig1, "fig1_study_area", tiny, paths.ROOT / "analysis" / "101_fig1_study_area.py")
    png = [f for f in files if f.suffix == ".png"][0]
    assert Image.open(png).text["tarimhm_data_status"] == "reconstructed"
    side = json.loads(sidecar_path(png).read_text())
    assert any(k.endswith("tarim_basin_5prefecture_union.geojson") for k in side["inputs"])
    geo_audit = audit_geography(rep).set_index("quantity")  # Sect. 2.1 beside the polygon (stage 010)
    assert geo_audit.loc["basin_area", "reported"] == 1.05 and geo_audit.loc["basin_area", "unit"] == "million km2"
    assert round(geo_audit.loc["basin_area", "reproduced"], 5) == 1.03354


@pytest.mark.parametrize("draw", ["figU4", "figU5", "figU6"])
def test_twod_figures_name_their_make_target(derived, params, draw):
    """The stage-042 figures read saved outputs only: without them, one clear error naming `make risk-twod`."""
    from tarimhm._errors import MissingOutputError
    from tarimhm.uncertainty import figures

    with pytest.raises(MissingOutputError, match=r"twod/\S+: missing; run `make risk-twod` first"):
        getattr(figures, draw)(params)
