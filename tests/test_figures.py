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


def _series_lines(ax, skip: tuple[str, ...] = ()) -> list:
    """The Line2D of the chart's series: labelled, not a reference circle or threshold line."""
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_") and ln.get_label() not in skip]


def _assert_colour_blind_safe(lines) -> None:
    from matplotlib.colors import to_hex

    colours = [to_hex(ln.get_color()) for ln in lines]
    assert len(set(colours)) <= 8, colours
    styles = [(c, ln.get_linestyle(), ln.get_marker()) for c, ln in zip(colours, lines)]
    assert len(set(styles)) == len(styles), styles  # same colour -> another line style or marker


def test_radar_beyond_eight_series_differs_by_line_style_and_marker():
    import matplotlib.pyplot as plt

    from tarimhm.viz.figures import SITE_COLORS, radar

    fig = plt.figure()
    ax = fig.add_subplot(projection="polar")
    radar(ax, list("ABCDE"), {f"S{i}": [1, 2, 3, 4, 5] for i in range(20)}, ref=[1, 2], ref_label=["one", "two"])
    lines = _series_lines(ax, skip=("one", "two"))
    assert len(lines) == 20 and len(SITE_COLORS) == 8
    _assert_colour_blind_safe(lines)
    plt.close(fig)


@pytest.mark.parametrize("draw", ["fig9", "fig10"])
def test_ten_site_radars_use_at_most_eight_colours(outputs, params, draw):
    from tarimhm.risk import figures

    d = getattr(figures, draw)(params)
    polar = [ax for ax in d.fig.axes if ax.name == "polar"]
    sites = [ln for ln in _series_lines(polar[0]) if ln.get_label().startswith("S")]
    assert len(sites) == 10  # the ten soil sites
    for ax in polar:
        lines = [ln for ln in _series_lines(ax) if "=" not in ln.get_label()]
        _assert_colour_blind_safe(lines)
    import matplotlib.pyplot as plt

    plt.close(d.fig)


def _hlines(ax) -> set[float]:
    """y of the horizontal lines spanning the axes (``axhline``: x 0..1 in axes coordinates, one y)."""
    out = set()
    for ln in ax.get_lines():
        x, y = list(ln.get_xdata()), list(ln.get_ydata())
        if x == [0, 1] and len(y) == 2 and y[0] == y[1]:
            out.add(float(y[0]))
    return out


@pytest.mark.parametrize(
    "draw,panels,lines",
    [
        ("fig11", 2, {1.0: "HI = 1"}),
        ("fig13", 2, {1e-6: "TCR = 1e-6", 1e-4: "TCR = 1e-4"}),
        ("fig15", 2, {1e-6: "TCR = 1e-6", 1e-4: "TCR = 1e-4"}),
    ],
)
def test_risk_bars_draw_the_thresholds_of_the_text(outputs, params, draw, panels, lines):
    import matplotlib.pyplot as plt

    from tarimhm.risk import figures

    d = getattr(figures, draw)(params)
    for ax in d.fig.axes[:panels]:  # children, adults (not the exposure-route shares)
        assert set(lines) <= _hlines(ax), (draw, _hlines(ax))
        labels = {t.get_text() for t in ax.texts}
        assert set(lines.values()) <= labels
        dashed = [ln for ln in ax.get_lines() if float(ln.get_ydata()[0]) in lines and len(ln.get_xdata()) == 2]
        assert all(ln.get_linestyle() == "--" for ln in dashed)
    if draw != "fig11":
        assert all(ax.get_yscale() == "log" for ax in d.fig.axes[:panels])  # 1e-6 and 1e-4 apart
    plt.close(d.fig)


@pytest.mark.parametrize(
    "draw,circles",
    [
        ("fig9", {"Igeo = 0": 0.0, "Igeo = 1": 1.0, "Igeo = 2": 2.0, "HPI = 100": 2.0}),
        ("fig10", {"HI = 1": 0.0}),
        ("fig12", {"CR = 1e-6": -6.0, "CR = 1e-4": -4.0}),
        ("fig14", {"CR = 1e-6": -6.0, "CR = 1e-4": -4.0}),
    ],
)
def test_risk_radars_draw_the_thresholds_of_the_text(outputs, params, draw, circles):
    """Reference circles (radius in the radar's units: log10 for HI, CR and HPI) at every threshold the text uses."""
    import matplotlib.pyplot as plt
    import numpy as np

    from tarimhm.risk import figures

    d = getattr(figures, draw)(params)
    drawn = {
        ln.get_label(): float(ln.get_ydata()[0])
        for ax in d.fig.axes
        for ln in ax.get_lines()
        if ln.get_label() in circles and np.ptp(ln.get_ydata()) == 0
    }
    assert drawn == pytest.approx(circles)
    plt.close(d.fig)


def _fake_bayes(out) -> None:
    """Stage-041 outputs figU3 reads (bayes_endpoints.csv, bayes_posterior.nc), made up: no PyMC run."""
    import numpy as np
    import pandas as pd
    import xarray as xr

    from tarimhm.config import params_hash
    from tarimhm.provenance import make_provenance, write_sidecar, write_table

    out.mkdir(parents=True, exist_ok=True)
    prov = make_provenance(paths.ROOT / "analysis" / "041_risk_bayes.py", params_hash({}), [paths.REPORTED], "real")
    ep = pd.DataFrame(
        [
            {"quantity": q, "group": g, "metal": m, "stat": s, "reported": 1e-5, "posterior_median": 1.02e-5}
            for q in ("hi", "cr")
            for g in ("child", "adult")
            for m in ("As", "Cd")
            for s in ("min", "max")
        ]
    ).assign(posterior_p3=0.9e-5, posterior_p97=1.2e-5, posterior_rel_error_pct=2.0)
    write_table(ep, out / "bayes_endpoints.csv", prov, float_format="%.6g")
    rng = np.random.default_rng(0)
    data = {}
    for n, v in {"child.BW": 16, "child.IngR": 200, "adult.BW": 70, "adult.ED": 26, "adult.IngR": 100}.items():
        data[n] = (("chain", "draw"), rng.normal(v, 0.1 * v, (2, 50)))
        data[f"prior_{n}"] = (("prior_draw",), rng.normal(v, 0.2 * v, 100))
    data["s_model"] = (("chain", "draw"), rng.uniform(0.01, 0.1, (2, 50)))
    data["prior_s_model"] = (("prior_draw",), rng.uniform(0.01, 0.1, 100))
    xr.Dataset(data).to_netcdf(out / "bayes_posterior.nc", engine="scipy", format="NETCDF3_64BIT")
    write_sidecar(out / "bayes_posterior.nc", prov)


def test_figU3_has_units_on_every_axis(derived, params):
    import matplotlib.pyplot as plt

    from tarimhm.uncertainty.figures import figU3

    _fake_bayes(paths.uncertainty_dir())
    d = figU3(params)
    *hists, endpoints = d.fig.axes
    want = {"BW": "kg", "IngR": "mg/day", "ED": "years"}
    assert len(hists) == 5
    for ax in hists:
        factor = ax.get_title().split()[-1]
        assert ax.get_xlabel() == f"{factor} ({want[factor]})"
        assert ax.get_ylabel().startswith("density (1/") and ax.get_ylabel().endswith(")")
    assert endpoints.get_ylabel() == "posterior vs printed (%)" and "dimensionless" in endpoints.get_xlabel()
    plt.close(d.fig)
