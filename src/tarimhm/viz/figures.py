"""One figure style, provenance-stamped saving, one ``render_figure``, and the chart types the paper uses.

Every figure of the package is a *draw function* in its domain's ``figures.py``: it reads saved
outputs, draws, and returns a :class:`Drawn` (the figure, the files it read, their data status,
a note and the footer text). :func:`render_figure` stamps provenance, adds the footer and saves
every format; ``tarimhm.entry.figure_main`` calls it for the thin scripts in ``analysis/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.text  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402
from matplotlib.path import Path as MPath  # noqa: E402

from .. import paths  # noqa: E402
from ..config import Params, section_hash  # noqa: E402
from ..provenance import Provenance, atomic_path, make_provenance, write_sidecar  # noqa: E402

__all__ = [
    "Drawn",
    "render_figure",
    "use_style",
    "save_figure",
    "footer",
    "radar",
    "stacked_bars",
    "patch",
    "fit_journal",
    "MAX_WIDTH_MM",
    "MIN_FONT_PT",
    "METAL_COLORS",
    "PATHWAY_COLORS",
    "SITE_COLORS",
    "REF_COLOR",
    "REF_LINESTYLES",
    "series_style",
]

# Okabe-Ito colour-blind-safe palette
METAL_COLORS = {"As": "#D55E00", "Cd": "#0072B2", "Pb": "#009E73", "Cu": "#E69F00", "Zn": "#CC79A7"}
PATHWAY_COLORS = {"ingestion": "#0072B2", "dermal": "#E69F00", "inhalation": "#009E73"}
# series of a chart (sites of a radar): the Okabe-Ito colours above, sky blue, black and grey (yellow is left
# out: too light for thin lines on white). Beyond 8 series colours repeat; line style and marker tell them apart.
SITE_COLORS = (*METAL_COLORS.values(), "#56B4E9", "#000000", "#999999")
SERIES_LINESTYLES = ("-", (0, (4, 1.5)), (0, (1, 1)), (0, (4, 1, 1, 1)))
SERIES_MARKERS = ("o", "s", "^", "D", "v")
REF_COLOR = "#555555"  # reference circles and threshold lines (HI = 1, CR = 1e-4 ...)
REF_LINESTYLES = ("--", (0, (7, 2)), (0, (2, 1.5)))  # dashes, long dashes, short dashes


def series_style(i: int) -> dict:
    """Colour, line style and marker of the ``i``-th series of a chart.

    Colours cycle through :data:`SITE_COLORS` (8); every block of 8 series has its own line style, and markers
    cycle through 5 shapes, so two series of the same colour differ in line style and in marker.
    """
    n = len(SITE_COLORS)
    return {
        "color": SITE_COLORS[i % n],
        "ls": SERIES_LINESTYLES[(i // n) % len(SERIES_LINESTYLES)],
        "marker": SERIES_MARKERS[i % len(SERIES_MARKERS)],
    }


def use_style() -> None:
    plt.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 8,
            "axes.titlesize": 9,
            "axes.labelsize": 8,
            "legend.fontsize": 7,
            "xtick.labelsize": 7,
            "ytick.labelsize": 7,
            "axes.linewidth": 0.6,
            "lines.linewidth": 1.0,
            "savefig.bbox": "tight",
            "savefig.pad_inches": 0.05,
            "pdf.fonttype": 42,
            "svg.fonttype": "none",
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )


def footer(fig, prov: Provenance, extra: str = "") -> None:
    """Bottom line: data status (in capitals when not real), profile/extra, commit."""
    status = prov.data_status
    label = status if status == "real" else f"{status.upper()} DATA (not the paper's measurements)"
    text = f"Data: {label}" + (f" · {extra}" if extra else "") + f" · tarim-hm {prov.git_commit[:8]}"
    # below the axes (negative figure y): bbox_inches="tight" grows the canvas to include it
    # wrap=True: a long footer (many Monte Carlo runs, a long profile note) breaks at the figure's edge
    # instead of widening the saved page beyond the journal's 180 mm
    # monospace: the width of the line does not depend on the glyphs of the commit hash, so a rebuild at
    # another commit has the same page size (tarimhm review compares pixels)
    fig.text(0.01, -0.01, text, fontsize=6, color="#555555", ha="left", va="top", wrap=True, family="monospace")


# Scientific Reports: double-column figures are at most 180 mm wide; no text below 5 pt.
MAX_WIDTH_MM = 180.0
MIN_FONT_PT = 5.0


def fit_journal(fig) -> tuple[float, float]:
    """Shrink ``fig`` until its tight bounding box is at most 180 mm wide; refuse text below 5 pt.

    ``savefig.bbox = "tight"`` makes the saved width depend on what was drawn (labels, footer,
    legends outside the axes), so the width is measured on the rendered figure rather than taken
    from ``figsize``. Returns (width, height) of the saved page in mm.
    """
    small = sorted(
        {
            round(t.get_fontsize(), 2)
            for t in fig.findobj(matplotlib.text.Text)
            if t.get_visible() and t.get_text().strip() and t.get_fontsize() < MIN_FONT_PT
        }
    )
    if small:
        raise ValueError(f"figure text at {small} pt; journal figures need >= {MIN_FONT_PT} pt")
    pad = 2 * plt.rcParams["savefig.pad_inches"]
    for _ in range(6):
        bbox = fig.get_tightbbox(fig.canvas.get_renderer())
        width_mm = (bbox.width + pad) * 25.4
        if width_mm <= MAX_WIDTH_MM + 1e-6:
            return width_mm, (bbox.height + pad) * 25.4
        w, h = fig.get_size_inches()
        fig.set_size_inches(w - (width_mm - MAX_WIDTH_MM + 0.5) / 25.4, h)
    raise ValueError(f"figure is {width_mm:.1f} mm wide after shrinking; at most {MAX_WIDTH_MM:.0f} mm allowed")


def save_figure(fig, name: str, prov: Provenance, formats=("pdf", "png"), dpi: int = 300) -> list[Path]:
    """Write figures/<name>.<fmt> atomically, with provenance in the metadata and a JSON sidecar.

    The figure is first fitted to the journal's format (:func:`fit_journal`).
    """
    fit_journal(fig)
    out = []
    flat = prov.flat()
    for fmt in formats:
        path = paths.figure_file(name, fmt)
        if fmt == "pdf":
            meta = {
                "Title": name,
                "Creator": "tarim-hm " + prov.tarimhm_version,
                "Subject": flat["tarimhm_data_status"],
                "Keywords": "; ".join(f"{k}={v}" for k, v in flat.items() if k != "tarimhm_inputs"),
                "CreationDate": None,
                "ModDate": None,
            }
        elif fmt == "png":
            meta = {"Title": name, "Software": "tarim-hm " + prov.tarimhm_version, **flat}
        else:
            meta = {"Title": name}
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta)
        write_sidecar(path, prov)
        out.append(path)
    plt.close(fig)
    return out


def radar(ax, categories, series: dict, log: bool = False, colors=None, fill_alpha=0.08, ref=None, ref_label=None):
    """Radar chart on a polar axis: one polygon per entry of ``series`` (name -> values per category).

    ``log`` draws log10 of the values (risk values span orders of magnitude); ``ref`` draws a
    reference circle (e.g. HI = 1, CR = 1e-4); a sequence of values (and of ``ref_label``) draws one
    circle each, told apart by their dash pattern (:data:`REF_LINESTYLES`). Series take
    :func:`series_style` (at most 8 colour-blind-safe colours; line style and marker beyond);
    ``colors`` (name -> colour) overrides the colour of a series.
    """
    n = len(categories)
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ang_c = np.concatenate([ang, ang[:1]])
    tr = (lambda v: np.log10(np.asarray(v, dtype=float))) if log else (lambda v: np.asarray(v, dtype=float))
    for i, (name, vals) in enumerate(series.items()):
        v = tr(vals)
        style = series_style(i)
        c = (colors or {}).get(name, style["color"])
        vc = np.concatenate([v, v[:1]])
        ax.plot(ang_c, vc, color=c, lw=0.9, ls=style["ls"], marker=style["marker"], ms=2.5, label=name)
        ax.fill(ang_c, vc, color=c, alpha=fill_alpha)
    refs = [] if ref is None else [ref] if np.isscalar(ref) else list(ref)
    labels = ref_label if isinstance(ref_label, (list, tuple)) else [ref_label] * len(refs)
    th = np.linspace(0, 2 * np.pi, 200)
    for k, (value, lab) in enumerate(zip(refs, labels)):
        r = float(tr([value])[0])
        ls = REF_LINESTYLES[k % len(REF_LINESTYLES)]
        ax.plot(th, np.full_like(th, r), ls=ls, color=REF_COLOR, lw=0.8, label=lab)
    ax.set_xticks(ang)
    ax.set_xticklabels(categories)
    if log:
        ticks = ax.get_yticks()
        ax.set_yticks(ticks)
        whole = [t for t in ticks if float(t).is_integer()]
        step = max(1, -(-len(whole) // 5))  # at most about 5 labels: the radial labels sit close together
        ax.set_yticklabels(
            [f"1e{t:.0f}" if float(t).is_integer() and int(t) % step == 0 else "" for t in ticks], fontsize=6
        )
    ax.tick_params(axis="y", labelsize=6)
    return ax


def stacked_bars(ax, df, colors: dict, ylabel: str = "", pct: bool = False):
    """Stacked bars: rows of ``df`` are bars (sites), columns are stacked parts (metals or pathways)."""
    data = df.div(df.sum(axis=1), axis=0) * 100 if pct else df
    bottom = np.zeros(len(data))
    x = np.arange(len(data))
    for col in data.columns:
        ax.bar(
            x,
            data[col].to_numpy(),
            bottom=bottom,
            color=colors.get(col, "#999999"),
            width=0.75,
            label=col,
            edgecolor="white",
            linewidth=0.3,
        )
        bottom += data[col].to_numpy()
    ax.set_xticks(x)
    ax.set_xticklabels(data.index, rotation=0)
    ax.set_ylabel(ylabel)
    return ax


def patch(geom, **kw) -> PathPatch:
    """A matplotlib patch of a (multi)polygon, holes included."""
    polys = getattr(geom, "geoms", [geom])
    verts, codes = [], []
    for p in polys:
        for ring in [p.exterior, *p.interiors]:
            xy = np.asarray(ring.coords)
            verts.append(xy)
            codes += [MPath.MOVETO] + [MPath.LINETO] * (len(xy) - 2) + [MPath.CLOSEPOLY]
    return PathPatch(MPath(np.concatenate(verts), codes), **kw)


@dataclass
class Drawn:
    """What a draw function returns: the figure and what :func:`render_figure` needs to stamp it."""

    fig: object
    inputs: list[Path]
    data_status: str
    note: str
    footer: str
    sections: tuple[str, ...] = field(default=())  # parameter sections the drawing read besides ``figures``


def render_figure(draw: Callable[[Params], Drawn], name: str, params: Params, script: Path) -> list[Path]:
    """Draw one figure from saved outputs, stamp provenance, add the footer and write every format."""
    use_style()
    d = draw(params)
    prov = make_provenance(script, section_hash(params, "figures", *d.sections), d.inputs, d.data_status, note=d.note)
    footer(d.fig, prov, d.footer)
    return save_figure(d.fig, name, prov, params.figures.formats, params.figures.dpi)
