"""The reviewer's HTML report: jupytext notebooks under ``paper/report/`` executed and rendered by nbconvert.

``make report`` first writes ``paper/REPORT.md`` and the audit tables (:mod:`tarimhm.report`), then
this module executes the notebook sources (jupytext percent-format ``.py`` files, so diffs stay
readable) with nbclient and renders each with nbconvert's HTML exporter into
``paper/report/html/``:

* ``index.html``: data status, the printed numbers by basis and verdict, one row per paper element
  linking to its page, and links to the findings and to the package's own products;
* ``<slug>.html`` per element of ``paper/elements.yaml`` (``fig-6.html``, ``table-4.html`` ...): the
  figure inline, the table, every printed number beside ours with its verdict, basis and robustness
  over the reconstruction ensemble, why it cannot be reproduced where it cannot, the rebuild command
  and a provenance card (commit, parameter hash, input hashes of every output);
* ``findings.html``: every difference and every contradiction, from the audits (not hand-written);
* ``extras.html``: the package's products beyond the paper (uncertainty, validation nulls, 2-D risk).

Pages are self-contained and offline: figures are embedded as PNG data, and the template
(``paper/report/templates/offline``) drops the CDN scripts of nbconvert's lab template (MathJax,
require.js, mermaid, widgets), which no page needs.

The notebooks only display; this module computes what they show (so it is testable without a
kernel), and :func:`build_html` executes them.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import paths
from ._errors import MissingOutputError
from .config import Params
from .provenance import atomic_write_text, read_sidecar, sha256_file, sidecar_path

__all__ = [
    "SOURCES",
    "slug",
    "ElementPage",
    "findings",
    "extras",
    "index_tables",
    "index_header_md",
    "card_html",
    "figure_html",
    "build_html",
    "check_links",
]

SOURCES = paths.PAPER / "report"
TEMPLATES = SOURCES / "templates"
NUMBER_COLS = [
    "reported_id",
    "quantity",
    "medium",
    "group",
    "metal",
    "site",
    "stat",
    "reported",
    "reproduced",
    "unit",
    "class",
    "basis",
    "robustness",
    "verdict",
]
# figures of the package's own (not in the paper): file stem -> what it shows
EXTRA_FIGURES = {
    "fig6unc_soil_uncertainty": "Soil maps: ensemble spread and interval width (companion of Fig. 6)",
    "fig6aoa_soil_aoa": "Soil maps: dissimilarity index and area of applicability (companion of Fig. 6)",
    "fig7unc_water_uncertainty": "Water maps: ensemble spread and interval width (companion of Fig. 7)",
    "fig7aoa_water_aoa": "Water maps: dissimilarity index and area of applicability (companion of Fig. 7)",
    "figU1_risk_montecarlo": "Monte Carlo HI/TCR per site (one-dimensional, stage 040)",
    "figU2_risk_drivers": "Which exposure inputs drive the Monte Carlo spread",
    "figU3_bayes_exposure": "Bayesian calibration of the exposure factors to the printed endpoints",
    "figU4_twod_cdf": "2-D Monte Carlo (RAGS III): variability CDFs with their uncertainty, per site",
    "figU5_sobol": "Sobol first-order and total indices of HI and TCR (SALib)",
    "figU6_bioaccessibility": "Bioaccessibility and exposure parameters: prior and posterior",
    "figV1_validation_nulls": "No-signal R² of the paper's validation protocol beside the printed R²",
}


def html_dir() -> Path:
    return paths.REPORT.parent / "report" / "html"


def slug(element: str) -> str:
    """``Fig. 6`` -> ``fig-6``; ``Tables S1-S2`` -> ``tables-s1-s2`` (a file name for the element's page)."""
    return re.sub(r"[^a-z0-9]+", "-", element.lower()).strip("-")


def _rel(p: Path) -> str:
    """A path as the project (or the output folder of a redirected run) names it."""
    for base in (paths.ROOT, paths.REPORT.parent.parent):
        try:
            return str(p.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return p.name


def _numbers() -> pd.DataFrame:
    f = paths.audit_file("numbers.csv")
    if not f.exists():
        raise MissingOutputError(f"{_rel(f)}: missing; run `make report` (it writes the audits first)")
    n = pd.read_csv(f, comment="#", keep_default_na=False, na_values=[""])
    hk, nm = n.get("holds_k"), n.get("n_members")
    rob = []
    for i in range(len(n)):
        k = hk.iloc[i] if hk is not None else None
        m = nm.iloc[i] if nm is not None else None
        inv = str(n["invariance"].iloc[i]) if "invariance" in n and pd.notna(n["invariance"].iloc[i]) else ""
        if pd.isna(k) or pd.isna(m):
            rob.append("")
        elif int(m) == 1:
            rob.append(inv or "member 0 only")
        else:
            rob.append(f"holds in {int(k)}/{int(m)} members" + (f" ({inv})" if inv else ""))
    n["robustness"] = rob
    return n


def png_data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def figure_html(path: Path, alt: str) -> str:
    """A PNG embedded in the page (self-contained, offline), with alternative text."""
    return f'<img alt="{html.escape(alt)}" src="{png_data_uri(path)}" style="max-width:100%">'


@dataclass
class Card:
    """Provenance of one output, read off its sidecar (``<file>.provenance.json``)."""

    file: str
    sha256: str
    commit: str
    params_hash: str
    data_status: str
    created_utc: str
    script: str
    inputs: dict[str, str]
    runtime: str = ""


def runtime_of(script: str, created_utc: str) -> str:
    """``"93.2 s wall, 180.1 CPU-s, 1.2 GB peak"`` of the run of ``script`` that wrote a file at ``created_utc``.

    Read from the script's duration record (:func:`tarimhm.entry.record_timing`); empty when there is none or
    it belongs to another run (the file was not created between that run's start and end).
    """
    if not script or not created_utc:
        return ""
    path = paths.timing(script)
    try:
        t = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    if not (t.get("started_utc", "") <= created_utc <= t.get("finished_utc", "")):
        return ""
    return f"{t['wall_s']:.1f} s wall, {t['cpu_s']:.1f} CPU-s, {t['peak_rss_mb'] / 1024:.2f} GB peak"


def card(path: Path) -> Card | None:
    if not path.exists():
        return None
    if sidecar_path(path).exists():
        s = read_sidecar(path)
        commit = s.get("git_commit", "") + ("+dirty" if s.get("git_dirty") else "")
        return Card(
            _rel(path),
            sha256_file(path),
            commit,
            s.get("params_hash", ""),
            s.get("data_status", ""),
            s.get("created_utc", ""),
            s.get("script", ""),
            dict(s.get("inputs", {})),
            runtime_of(s.get("script", ""), s.get("created_utc", "")),
        )
    return Card(_rel(path), sha256_file(path), "", "", "", "", "", {})  # an output without a sidecar


def card_html(cards: list[Card]) -> str:
    if not cards:
        return "<p><em>No output of this element exists yet.</em></p>"
    rows = []
    for c in cards:
        ins = "".join(f"<li><code>{html.escape(k)}</code> {v[:12]}</li>" for k, v in sorted(c.inputs.items()))
        rows.append(
            "<tr>"
            f"<td><code>{html.escape(c.file)}</code><br>sha256 {c.sha256[:16]}</td>"
            f"<td>{html.escape(c.data_status)}</td>"
            f"<td><code>{html.escape(c.commit[:10])}</code></td>"
            f"<td><code>{html.escape(c.params_hash[:12])}</code></td>"
            f"<td>{html.escape(c.script)}<br>{html.escape(c.created_utc)}"
            + (f"<br>{html.escape(c.runtime)}" if c.runtime else "")
            + "</td>"
            f"<td><ul>{ins}</ul></td>"
            "</tr>"
        )
    return (
        '<table class="provenance"><thead><tr><th>file</th><th>data status</th><th>commit</th>'
        "<th>parameter hash</th><th>made by, at (UTC), runtime</th><th>input hashes</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


class ElementPage:
    """What one element's page shows: read from elements.csv/yaml, numbers.csv and the outputs."""

    def __init__(self, element: str):
        from .report import load_elements

        els = {e.element: e for e in load_elements()}
        if element not in els:
            raise KeyError(f"{element!r} is not in paper/elements.yaml; known: {', '.join(els)}")
        self.e = els[element]
        numbers = _numbers()
        self.numbers = numbers[numbers.locator.isin(self.e.locators)]
        rows = pd.read_csv(paths.audit_file("elements.csv"), comment="#", keep_default_na=False)
        row = rows[rows.element == element]
        self.verdict = str(row.verdict.iloc[0]) if len(row) else ""
        self.outputs = [paths.output(o) for o in self.e.outputs]

    @property
    def title(self) -> str:
        return f"{self.e.element}: {self.e.caption}"

    def header_md(self) -> str:
        lines = [
            f"# {self.title}",
            "",
            "[← all elements](index.html) · [findings](findings.html)",
            "",
            f"**Verdict:** {self.verdict or '-'}",
            "",
            f"**Role in the paper:** {self.e.role}",
        ]
        if self.e.why:
            lines += ["", f"**Why:** {self.e.why}"]
        if self.e.make:
            lines += ["", f"**Rebuild:** `make {self.e.make}` (from archived outputs: `make review FIG={self.e.make}`)"]
        status = sorted({c.data_status for c in self.cards() if c.data_status})
        if status:
            lines += ["", f"**Data status of the outputs:** {', '.join(status)}"]
        return "\n".join(lines)

    def figures(self) -> list[Path]:
        return [o.with_suffix(".png") for o in self.outputs if o.suffix == ".pdf" and o.with_suffix(".png").exists()]

    def tables(self) -> list[tuple[str, pd.DataFrame]]:
        out = []
        for o in self.outputs:
            if o.suffix == ".csv" and o.exists() and o.parent.name == "tables":
                out.append((_rel(o), pd.read_csv(o, comment="#")))
        return out

    def number_table(self) -> pd.DataFrame:
        cols = [c for c in NUMBER_COLS if c in self.numbers.columns]
        return self.numbers[cols].reset_index(drop=True)

    def cards(self) -> list[Card]:
        return [c for c in (card(o) for o in self.outputs) if c is not None]


def findings() -> dict[str, pd.DataFrame]:
    """Every difference (class 'differs') and every contradiction among the printed numbers."""
    n = _numbers()
    cols = [c for c in ["locator", *NUMBER_COLS, "audit"] if c in n.columns]
    out = {"differs": n[n["class"] == "differs"][cols].reset_index(drop=True)}
    f = paths.sites_dir() / "consistency.csv"
    if f.exists():
        c = pd.read_csv(f, comment="#", keep_default_na=False, na_values=[""])
        if "ok" in c.columns:
            bad = c[~c["ok"].astype(str).str.lower().isin(["true", "1"])]
        elif "holds" in c.columns:
            bad = c[~c["holds"].astype(str).str.lower().isin(["true", "1"])]
        else:
            bad = c
        out["contradictions"] = bad.reset_index(drop=True)
    return out


def extras() -> list[tuple[str, str, Path | None]]:
    """(file, what it is, PNG to show or None) for every product of the package beyond the paper."""
    from .report import EXTRAS

    rows = []
    for stem, what in EXTRA_FIGURES.items():
        png = paths.figure_file(stem, "png")
        rows.append((_rel(png), what, png if png.exists() else None))
    for p, what in EXTRAS:
        if not p.startswith("figures/"):
            rows.append((p, what, None))
    return rows


def timings_md() -> str:
    """Markdown table of every script's last run (wall, CPU, peak memory), from ``data_derived/_timings``."""
    from .provenance import collect_timings

    t = collect_timings()
    if not t["scripts"]:
        return "*No duration record yet: the scripts write one when they finish (`tarimhm timings`).*"
    lines = ["| script | wall (s) | CPU (s) | peak memory (MB) | finished (UTC) |", "|---|---:|---:|---:|---|"]
    for r in t["scripts"]:
        lines.append(
            f"| `{r['script']}` | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_rss_mb']:.0f} | {r['finished_utc']} |"
        )
    lines.append(
        f"| **sum** | **{t['total_wall_s']:.1f}** | **{t['total_cpu_s']:.1f}** | **{t['peak_rss_mb']:.0f}** (largest) | |"
    )
    return "\n".join(lines)


def index_header_md() -> str:
    """Title, article, data status and the commit the audits were made at."""
    c = card(paths.audit_file("numbers.csv"))
    status = c.data_status if c else "unknown"
    warn = (
        "The site tables are reconstructed from the printed statistics and the imagery is a surrogate: an "
        "agreement with a number that depends on them is never evidence (basis *fitted*, *calibrated* or "
        "*coincidence*); only an *independent* agreement counts."
        if status != "real"
        else "The inputs are the measured site tables."
    )
    return "\n".join(
        [
            "# tarim-hm: reproduction report",
            "",
            "Zhao, Mu, Luo et al. (2026), *Integrating multi-spectral remote sensing and machine learning for "
            "quantifying and mapping heavy metal contamination in the Tarim River Basin, China*, Sci Rep, "
            "[doi:10.1038/s41598-026-38887-9](https://doi.org/10.1038/s41598-026-38887-9).",
            "",
            f"**Data status: {status.upper()}.** {warn}",
            "",
            f"Audits made at commit `{(c.commit if c else '')[:10]}`, parameters `{(c.params_hash if c else '')[:12]}`.",
            "",
            "[Findings: every difference and contradiction](findings.html) · "
            "[Beyond the paper: the package's own products](extras.html) · "
            "the same report as text: `paper/REPORT.md`",
        ]
    )


def index_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(numbers by basis x class, elements with their page links)."""
    n = _numbers()
    basis = pd.crosstab(n["basis"].fillna("").replace("", "(none)"), n["class"], margins=True, margins_name="all")
    els = pd.read_csv(paths.audit_file("elements.csv"), comment="#", keep_default_na=False)
    pages = [f"{slug(e)}.html" for e in els.element]
    els = els.assign(page=[p if (html_dir() / p).exists() else "" for p in pages])
    return basis, els[["element", "caption", "role", "make", "printed_numbers", "verdict", "page"]]


# --- execution -----------------------------------------------------------------------------------------


_REDIRECTED = ("DATA_DERIVED", "FIGURES", "AUDIT", "TABLES", "REPORT", "RAW_SITES")


def _notebook(src: Path, inject: dict):
    """The jupytext source as a notebook, with a cell of ``inject`` values after the parameters cell."""
    import jupytext
    import nbformat

    nb = jupytext.read(src)
    # the kernel is a fresh process: it gets this process's output folders (which tests and
    # TARIMHM_OUTPUT redirect) explicitly rather than recomputing them
    where = {k: str(getattr(paths, k)) for k in _REDIRECTED}
    code = "\n".join(
        [
            "import tarimhm.paths as _paths",
            "from pathlib import Path as _Path",
            f"for _k, _v in {where!r}.items():",
            "    setattr(_paths, _k, _Path(_v))",
            *(f"{k} = {v!r}" for k, v in inject.items()),
        ]
    )
    nb.metadata["title"] = f"tarim-hm report: {inject.get('ELEMENT', src.stem)}"
    at = next((i + 1 for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])), 0)
    cell = nbformat.v4.new_code_cell(code, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(at, cell)
    return nb


def _html(nb) -> str:
    from nbconvert import HTMLExporter

    exp = HTMLExporter(
        template_name="offline",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exp.from_notebook_node(nb)
    return body


def build_html(params: Params | None = None, only: list[str] | None = None, progress: bool = False) -> list[Path]:
    """Execute every page's notebook (one kernel for all) and write ``paper/report/html/``.

    ``only``: element names to rebuild (plus the index); default every page. Returns the files written.
    """
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from tqdm.auto import tqdm

    from .report import load_elements

    out_dir = html_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    # element pages first: the index links the pages that exist when it runs
    pages: list[tuple[Path, dict, Path]] = [
        (SOURCES / "element.py", {"ELEMENT": e.element}, out_dir / f"{slug(e.element)}.html")
        for e in load_elements()
        if only is None or e.element in only
    ]
    pages += [
        (SOURCES / "findings.py", {}, out_dir / "findings.html"),
        (SOURCES / "extras.py", {}, out_dir / "extras.html"),
        (SOURCES / "index.py", {}, out_dir / "index.html"),
    ]
    # One kernel for every page (imports once; ~0.3 s a page instead of ~2 s), over IPC rather than TCP.
    # The pages only display what this module computes, so nothing a page leaves behind changes the next.
    # IPC socket paths are relative to the working directory unless absolute: put them in a temporary folder
    sockets = tempfile.mkdtemp(prefix="tarimhm-kernel-")
    km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "kernel"))
    km.start_kernel(cwd=str(paths.ROOT), extra_arguments=["--HistoryManager.enabled=False"])
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    written = []
    try:
        for src, inject, dest in tqdm(pages, desc="report pages", disable=None if progress else True, leave=False):
            nb = _notebook(src, inject)
            try:
                client = NotebookClient(nb, km=km, timeout=600, resources={"metadata": {"path": str(paths.ROOT)}})
                client.kc = kc  # one client for every page (kc is no constructor argument)
                client.execute()
            except CellExecutionError as e:
                # the kernel's traceback (ANSI-coloured, many frames) stays behind --debug: one line names the page
                what = f"{src.name}" + (f" for {inject['ELEMENT']}" if "ELEMENT" in inject else "")
                raise MissingOutputError(f"report page {dest.name} ({what}): {e.ename}: {e.evalue}") from e
            written.append(atomic_write_text(dest, _html(nb)))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        shutil.rmtree(sockets, ignore_errors=True)
    return written


def check_links(folder: Path) -> list[str]:
    """Problems of the HTML pages in ``folder``: local links or images that do not resolve, remote assets.

    A page may link to the web (the article's DOI), but no script, stylesheet or image may load from
    it: the report must open offline.
    """
    from html.parser import HTMLParser

    problems = []

    class P(HTMLParser):
        def __init__(self, page: Path):
            super().__init__()
            self.page = page

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            for key in ("src", "href"):
                v = a.get(key)
                if not v:
                    continue
                remote = v.startswith(("http://", "https://", "//"))
                if remote and (tag in ("script", "img", "iframe") or (tag == "link" and key == "href")):
                    problems.append(f"{self.page.name}: <{tag} {key}={v}> loads from the network")
                    continue
                if remote or v.startswith(("#", "mailto:", "data:")):
                    if v.startswith("data:image/png;base64,"):
                        try:
                            raw = base64.b64decode(v.split(",", 1)[1], validate=True)
                        except ValueError:
                            problems.append(f"{self.page.name}: an embedded image is not valid base64")
                            continue
                        if not raw.startswith(b"\x89PNG\r\n\x1a\n"):
                            problems.append(f"{self.page.name}: an embedded image is not a PNG")
                    continue
                target = (self.page.parent / v.split("#", 1)[0]).resolve()
                if not target.exists():
                    problems.append(f"{self.page.name}: <{tag} {key}={v}> does not resolve")

    for page in sorted(folder.glob("*.html")):
        P(page).feed(page.read_text(encoding="utf-8"))
    return problems
