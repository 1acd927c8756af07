"""Writers of the paper's tables: CSV beside a LaTeX fragment, both stamped; Markdown tables for the audits.

Every table of the package is a *table function* in its domain's ``tables.py``: it reads saved outputs
and returns a :class:`Tabled` (the frame, a LaTeX builder, the files it read and their data status).
:func:`render_table` writes ``paper/tables/<name>.{csv,tex}`` with provenance.

The LaTeX is made by :func:`latex_table` with pandas' ``Styler.to_latex``: a ``table`` float (booktabs
rules, centred) with the caption of the element in ``paper/elements.yaml`` plus the data status, the label
``tab:<name>``, text cells escaped (``Styler.format(escape="latex")``), numeric ranges with an en-dash and
table notes below the tabular. A document that inputs it needs ``\\usepackage{booktabs}`` only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import paths
from ..config import Params, load_yaml, params_hash
from ..provenance import Provenance, atomic_write_text, make_provenance, write_table
from ..reported import Reported

__all__ = [
    "Tabled",
    "render_table",
    "md_table",
    "latex_table",
    "element_caption",
    "tex_text",
    "tex_num",
    "tex_width",
]


@dataclass
class Tabled:
    frame: pd.DataFrame
    latex: Callable[..., str]  # latex(prov, label=None) -> the .tex text
    inputs: list[Path]
    data_status: str
    note: str
    float_format: str | None = "%.6g"


def render_table(
    table: Callable[[Params, Reported], Tabled], name: str, params: Params, rep: Reported, script: Path
) -> list[Path]:
    """Build one table from saved outputs and write its CSV and LaTeX (label ``tab:<name>``) with provenance."""
    t = table(params, rep)
    # a table reads saved outputs and printed numbers only: no parameter section
    # the LaTeX caption is read from paper/elements.yaml, so it is an input of the table too
    prov = make_provenance(script, params_hash({}), [*t.inputs, paths.ELEMENTS], t.data_status, note=t.note)
    csv = write_table(t.frame, paths.table_file(name, ".csv"), prov, float_format=t.float_format)
    tex = atomic_write_text(paths.table_file(name, ".tex"), t.latex(prov, label=f"tab:{name}"))
    return [csv, tex]


def md_table(header: list[str], rows: list[list]) -> list[str]:
    """Lines of a Markdown table; ``|`` and newlines inside cells are escaped."""

    def esc(s) -> str:
        return str(s).replace("|", "\\|").replace("\n", " ")

    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
        "| " + " | ".join(esc(c) for c in r) + " |" for r in rows
    ]


# ---- LaTeX ----------------------------------------------------------------------------------------------

# characters outside ASCII that the tables' texts use, spelled for pdflatex without extra packages
_UNICODE = {
    "µ": r"$\mu$",
    "μ": r"$\mu$",
    "²": r"\textsuperscript{2}",
    "³": r"\textsuperscript{3}",
    "×": r"$\times$",
    "±": r"$\pm$",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
    "°": r"$^{\circ}$",
    "−": r"$-$",
    "–": "--",
    "—": "---",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "·": r"$\cdot$",
}
_RANGE = re.compile(r"(?<=\d)-(?=\d)")  # 0.1-0.5 -> 0.1--0.5 (en-dash); a minus sign has no digit before it


def _escape(s: str) -> str:
    """LaTeX-escape ``& % $ # _ { } ~ ^ \\`` as ``Styler.format(escape="latex")`` does (pandas' rules)."""
    mark = "\x00"  # stands for a backslash until the braces are escaped
    s = s.replace("\\", mark).replace(mark + " ", mark + "\\space ")
    for ch in "&%$#_{}":
        s = s.replace(ch, "\\" + ch)
    s = s.replace("~ ", "~\\space ").replace("~", "\\textasciitilde ")
    s = s.replace("^ ", "^\\space ").replace("^", "\\textasciicircum ")
    return s.replace(mark, "\\textbackslash ")


def _typeset(s: str) -> str:
    """Finish an *escaped* text: numeric ranges with an en-dash, a lone hyphen as a dash, Unicode in ASCII."""
    if s.strip() == "-":
        return "--"
    s = _RANGE.sub("--", s)
    return "".join(_UNICODE.get(ch, ch) for ch in s)


def _text_cell(v) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else _typeset(str(v))


def tex_text(s) -> str:
    """Plain text as LaTeX: special characters escaped, numeric ranges with an en-dash, Unicode spelled out."""
    return _typeset(_escape(str(s)))


def tex_num(v, fmt: str = ".3f", signed: bool = False, missing: str = "--") -> str:
    """A number as LaTeX: a true minus sign (``$-$``), ``$+$`` when ``signed``, ``missing`` for NaN/empty."""
    if v is None or v == "" or (isinstance(v, float) and not math.isfinite(v)):
        return missing
    s = format(float(v), ("+" if signed else "") + fmt)
    return f"${s[0]}${s[1:]}" if s[0] in "+-" else s


def tex_width(fraction: float) -> str:
    """``p{}`` width of a column taking ``fraction`` of the line, its column separation included.

    Widths whose fractions add up to 1 fill the line exactly, whatever the document's text width.
    """
    return rf"p{{\dimexpr {fraction:g}\linewidth-2\tabcolsep\relax}}"


def element_caption(element: str) -> str:
    """The caption of ``element`` ("Table 4") in ``paper/elements.yaml``."""
    els = {e["element"]: e for e in load_yaml(paths.ELEMENTS)["elements"]}
    if element not in els:
        raise KeyError(f"{element!r} is not in {paths.ELEMENTS}; known: {', '.join(els)}")
    return els[element]["caption"]


def _cells(row: str) -> list[str]:
    """Cells of one tabular row (its text before ``\\\\``): split at ``&`` outside braces, ``\\&`` kept."""
    out, depth, cur, i = [], 0, "", 0
    while i < len(row):
        ch = row[i]
        if ch == "\\" and i + 1 < len(row):
            cur += row[i : i + 2]
            i += 2
            continue
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "&" and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    return [*out, cur]


_MULTICOL = re.compile(r"^\s*\\multicolumn\{(\d+)\}\{[^}]*\}\{(.*)\}\s*$")


def _cmidrule(header_row: str) -> str | None:
    r"""``\cmidrule(lr){a-b}`` under every non-empty ``\\multicolumn`` of a header row (booktabs style)."""
    rules, col = [], 1
    for cell in _cells(header_row.rsplit(r"\\", 1)[0]):
        m = _MULTICOL.match(cell)
        span = int(m.group(1)) if m else 1
        if m and m.group(2).strip():
            rules.append(rf"\cmidrule(lr){{{col}-{col + span - 1}}}")
        col += span
    return " ".join(rules) or None


RAGGED = r"\raggedright\let\\\tabularnewline "
r"""Prefix of a ``p{}`` cell: ragged right, and ``\\`` still ends the row (``\arraybackslash`` without array.sty)."""

_COLSPEC = re.compile(r"[lcr]|p\{(?:[^{}]|\{[^{}]*\})*\}")


def column_specs(column_format: str) -> list[str]:
    """The columns of a tabular preamble (``l``, ``c``, ``r``, ``p{..}``); ``|`` and ``@{}`` are not columns."""
    return _COLSPEC.findall(re.sub(r"@\{[^{}]*\}|\|", "", column_format))


def _ragged(row: str, para: set[int]) -> str:
    """``row`` with :data:`RAGGED` before the non-empty cells of paragraph (``p{}``) columns."""
    if not para or not row.rstrip().endswith("\\\\"):
        return row
    cells, col = _cells(row.rstrip()[:-2]), 0
    for i, cell in enumerate(cells):
        m = _MULTICOL.match(cell)
        if not m and col in para and cell.strip():
            cells[i] = " " + RAGGED + cell.strip() + " "
        col += int(m.group(1)) if m else 1
    return "&".join(cells).strip() + " \\\\"


def latex_table(
    df: pd.DataFrame,
    *,
    element: str,
    status: str,
    prov: Provenance,
    label: str | None,
    column_format: str,
    text: Sequence = (),
    extra: str = "",
    status_label: str = "Data",
    notes: Sequence[str] = (),
    size: str | None = None,
    tabcolsep: str | None = None,
    rules: Mapping[int, str] | None = None,
) -> str:
    """A booktabs ``table`` float of ``df`` (its index hidden) via ``Styler.to_latex``.

    ``df``'s column labels (strings, or 2-tuples for a two-level header whose top level spans) and the
    cells of columns not in ``text`` are LaTeX written by the table function (numbers from :func:`tex_num`);
    cells of the ``text`` columns are escaped (``Styler.format(escape="latex")``) and finished with
    en-dashes for numeric ranges. Caption: the element's caption in ``paper/elements.yaml``, ``extra``
    (LaTeX) and ``<status_label>: <status>``; ``notes`` (LaTeX) go in a footnote-size paragraph below the
    tabular; ``size`` (e.g. ``"small"``) and ``tabcolsep`` set the tabular's font size and column gap;
    ``rules`` puts a rule (``\\midrule``, ``\\addlinespace``) before body rows by their 0-based position.
    """
    caption = f"{tex_text(element_caption(element))} (the paper's {element}). " + (f"{extra} " if extra else "")
    caption += f"{status_label}: {tex_text(status)}."
    label = label or "tab:" + re.sub(r"\W+", "", element.lower())
    if len(df.columns) and all(isinstance(c, tuple) for c in df.columns):
        df = df.set_axis(pd.MultiIndex.from_tuples(df.columns), axis=1)
        text = [tuple(c) for c in text]
    st = df.style.hide(axis="index")
    if len(text):
        st = st.format(_text_cell, escape="latex", subset=list(text))
    tex = st.to_latex(
        hrules=True,
        environment="table",
        position_float="centering",
        caption=caption,
        label=label,
        column_format=column_format,
        multicol_align="c",
    )
    para = {i for i, c in enumerate(column_specs(column_format)) if c.startswith("p")}
    rules = rules or {}
    out, part, row = [], "preamble", 0
    for line in tex.rstrip("\n").split("\n"):
        if line.startswith(r"\begin{tabular}"):
            out += [f"\\{size}"] if size else []
            out += [rf"\setlength{{\tabcolsep}}{{{tabcolsep}}}"] if tabcolsep else []
        elif line == r"\end{table}" and notes:
            out += [r"\par\smallskip", r"{\raggedright\footnotesize " + " ".join(notes) + r"\par}"]
        elif line == r"\toprule":
            part = "head"
        elif line == r"\midrule" and part == "head":
            part = "body"
        elif line == r"\bottomrule":
            part = "end"
        elif part == "head":
            line = _ragged(line, para)
            out += [line, *filter(None, [_cmidrule(line)])]
            continue
        elif part == "body":
            out += [rules[row]] if row > 0 and row in rules else []
            line, row = _ragged(line, para), row + 1
        out.append(line)
    head = f"% {element} generated by {prov.script} at {prov.git_commit[:10]}; data status {status}. Do not edit."
    return "\n".join([head, *out]) + "\n"
