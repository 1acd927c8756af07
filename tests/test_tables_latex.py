"""Every table's .tex is a booktabs float that LaTeX can read: checked by a small parser here, and by pdflatex
when the machine has it (skipped otherwise).

The tables are built from the session's reconstructed sites (Tables 7-9: stages 020/031 and the printed numbers)
and from stand-ins of the RF and map outputs (Tables 4-6), so no RF or map stage runs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tarimhm import paths

TABLES = {
    "tab4_accuracy": ("rf", "tab4", "Table 4"),
    "tab5_soil_classes": ("maps", "tab5", "Table 5"),
    "tab6_water_classes": ("maps", "tab6", "Table 6"),
    "tab7_pca_soil": ("stats", "tab7", "Table 7"),
    "tab8_pca_water": ("stats", "tab8", "Table 8"),
    "tab9_exposure": ("risk", "tab9", "Table 9"),
}


def _stand_ins(rep) -> None:
    """Saved outputs of stages 032, 060 and 070 that Tables 4, 5, 6 and 9 read, made without running them."""
    import numpy as np

    from tarimhm.config import params_hash
    from tarimhm.domain import TABLE_METALS
    from tarimhm.maps.audit import TABLE, class_shares
    from tarimhm.provenance import make_provenance, write_table
    from tarimhm.rf.audit import audit_rf
    from tarimhm.risk.audit import table9
    from test_rf_metrics import SURROGATE, _metrics

    prov = make_provenance(paths.ROOT / "analysis" / "x.py", params_hash({}), [paths.REPORTED], "real")
    paths.risk_dir().mkdir(parents=True, exist_ok=True)
    write_table(table9(rep), paths.risk_dir() / "table9.csv", prov, float_format="%.6g")
    paths.AUDIT.mkdir(parents=True, exist_ok=True)
    note = "undefined: variance of the validation values 0 (mg/kg)² below the floor 1.5e-08 (mg/kg)²"
    m = _metrics(SURROGATE, {("soil", "Cd"): (np.nan, note), ("water", "Zn"): (-138479.0, "")})
    audit_rf(rep, m).to_csv(paths.audit_file("rf.csv"), index=False)
    paths.maps_dir().mkdir(parents=True, exist_ok=True)
    for med in ("soil", "water"):
        metals = {}
        for mt in TABLE_METALS:  # one count per class edge of the paper, and one above its top class
            ups = sorted(r.upper for r in rep.find(locator=TABLE[med], quantity="map_class", metal=mt))
            counts = list(range(1, len(ups) + 2))
            n = sum(counts)
            metals[mt] = {"edges": ups, "counts": counts, "n_valid": n, "n_domain": n + 3, "n_removed": 3}
            metals[mt]["p99_training"] = 1.1 * ups[-1]
        paths.map_summary(med).write_text(json.dumps({"data_status": SURROGATE, "metals": metals}))
        write_table(class_shares(rep, med), paths.maps_dir() / f"{med}_classes.csv", prov)


@pytest.fixture(scope="module")
def built(full, params, rep, tmp_path_factory):
    """{name: (csv, tex)} of the six tables, rendered into a temporary folder."""
    import importlib

    from tarimhm.risk.stage import run_risk
    from tarimhm.stats.stage import run_statistics
    from tarimhm.viz.tables import render_table

    tmp = tmp_path_factory.mktemp("tables")
    d = tmp / "data_derived"
    shutil.copytree(full[1], d / "sites")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "DATA_DERIVED", d)
        mp.setattr(paths, "RAW_SITES", d / "no_real_sites")
        mp.setattr(paths, "AUDIT", tmp / "audit")
        mp.setattr(paths, "TABLES", tmp / "paper" / "tables")
        run_risk(params, rep, params.risk.reference_profile, paths.ROOT / "analysis" / "031_risk_deterministic.py")
        run_statistics(params, rep, paths.ROOT / "analysis" / "020_statistics.py")
        _stand_ins(rep)
        out = {}
        for name, (domain, fn, _) in TABLES.items():
            table = getattr(importlib.import_module(f"tarimhm.{domain}.tables"), fn)
            out[name] = render_table(table, name, params, rep, paths.ROOT / "analysis" / f"2xx_{name}.py")
    return out


# ---- a parser of the LaTeX the tables write ---------------------------------------------------------------


def _unescaped(text: str, ch: str) -> list[int]:
    """Positions of ``ch`` not escaped by a backslash (``\\%`` is escaped, ``\\\\%`` is not)."""
    out = []
    for m in re.finditer(re.escape(ch), text):
        k, i = 0, m.start() - 1
        while i >= 0 and text[i] == "\\":
            k, i = k + 1, i - 1
        if k % 2 == 0:
            out.append(m.start())
    return out


def _group(text: str, start: int) -> tuple[str, int]:
    """The brace group opening at ``text[start] == "{"``: (its content, the index after it)."""
    assert text[start] == "{", text[start : start + 20]
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif text[i] == "}" and text[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
    raise AssertionError("unbalanced braces")


def _columns(spec: str) -> int:
    """Number of columns of a tabular preamble: l, c, r and p{..}/m{..}/b{..}; | and @{..} are not columns."""
    n, i = 0, 0
    while i < len(spec):
        ch = spec[i]
        if ch in "lcr":
            n, i = n + 1, i + 1
        elif ch in "pmb@":
            _, i = _group(spec, i + 1)
            n += ch != "@"
        elif ch in "| ":
            i += 1
        else:
            raise AssertionError(f"unknown column type {ch!r} in {spec!r}")
    return n


def _token(text: str, i: int) -> int:
    """End of the token at ``text[i]``: a control word (``\\toprule``), a control symbol (``\\&``, ``\\\\``)
    or one character."""
    if text[i] != "\\" or i + 1 == len(text):
        return i + 1
    j = i + 1
    while j < len(text) and text[j].isalpha():
        j += 1
    return max(j, i + 2)


def _split_top(text: str, sep: str) -> list[str]:
    """``text`` split at the token ``sep`` (``&`` or ``\\\\``) outside braces: ``\\shortstack{a\\\\b}`` stays one
    piece, ``\\&`` is no ``&``, and the ``\\\\`` of ``\\let\\\\\\tabularnewline`` is an argument, no row end."""
    out, depth, start, i = [], 0, 0, 0
    while i < len(text):
        j = _token(text, i)
        tok = text[i:j]
        if tok == "\\let":  # \let<cs><cs>: both tokens are arguments
            for _ in range(2):
                while j < len(text) and text[j] == " ":
                    j += 1
                j = _token(text, j)
        depth += (tok == "{") - (tok == "}")
        if tok == sep and depth == 0:
            out.append(text[start:i])
            start = j
        i = j
    return [*out, text[start:]]


RULES = re.compile(r"^\s*(\\(toprule|midrule|bottomrule|addlinespace)|\\cmidrule(\([lr]+\))?\{\d+-\d+\})\s*")


def check_tex(text: str) -> dict:
    """Structural checks of one table's .tex; returns what it read (columns, rows, caption, label)."""
    body = "\n".join(ln for ln in text.splitlines() if not ln.startswith("%"))  # the provenance comment
    assert text.startswith("% Table ") and "Do not edit." in text.splitlines()[0]
    assert all(ord(c) < 128 for c in body), "non-ASCII characters: pdflatex needs them spelled out"
    assert not _unescaped(body, "%"), "unescaped % (starts a LaTeX comment)"
    assert not _unescaped(body, "#"), "unescaped #"
    assert len(_unescaped(body, "$")) % 2 == 0, "unbalanced $"
    assert len(_unescaped(body, "{")) == len(_unescaped(body, "}")), "unbalanced braces"
    for env in ("table", "tabular"):
        assert body.count(rf"\begin{{{env}}}") == body.count(rf"\end{{{env}}}") == 1, env
        assert body.index(rf"\begin{{{env}}}") < body.index(rf"\end{{{env}}}"), env
    assert body.index(r"\begin{table}") < body.index(r"\begin{tabular}") < body.index(r"\end{tabular}")
    assert body.index(r"\end{tabular}") < body.index(r"\end{table}")
    assert r"\centering" in body and r"\hline" not in body
    top, mid, bottom = (body.find(r) for r in (r"\toprule", r"\midrule", r"\bottomrule"))
    assert -1 < top < mid < bottom, "booktabs rules missing or out of order"
    assert body.count(r"\caption{") == 1 and body.count(r"\label{tab:") == 1
    caption, _ = _group(body, body.index(r"\caption{") + len(r"\caption"))
    label, _ = _group(body, body.index(r"\label{") + len(r"\label"))
    start = body.index(r"\begin{tabular}") + len(r"\begin{tabular}")
    spec, after = _group(body, start)
    ncol = _columns(spec)
    inner = body[after : body.index(r"\end{tabular}")]
    rows = []
    for chunk in _split_top(inner, r"\\"):
        while (m := RULES.match(chunk)) is not None:
            chunk = chunk[m.end() :]
        if not chunk.strip():
            continue
        cells = _split_top(chunk, "&")
        spans = [int(m.group(1)) for c in cells if (m := re.match(r"\s*\\multicolumn\{(\d+)\}", c))]
        width = len(cells) + sum(s - 1 for s in spans)
        assert width == ncol, f"{ncol} columns but {len(cells) - 1} & (spans {spans}) in: {chunk.strip()[:120]}"
        rows.append([c.strip() for c in cells])
    assert rows, "no rows"
    cells = " ".join(c for r in rows for c in r)  # not the \\cmidrule{3-4} between them
    assert not re.search(r"\d-\d", cells), "a numeric range with a hyphen: write 0.1--0.5 (en-dash)"
    return {"columns": ncol, "spec": spec, "rows": rows, "caption": caption, "label": label, "body": body}


# ---- tests -------------------------------------------------------------------------------------------------


def test_parser_catches_broken_tables():
    good = (
        "% Table 0 x. Do not edit.\n\\begin{table}\n\\centering\n\\caption{A 5\\% share. Data: real.}\n"
        "\\label{tab:x}\n\\begin{tabular}{lp{2cm}r}\n\\toprule\na & \\shortstack{b\\\\c} & d \\\\\n\\midrule\n"
        "\\multicolumn{2}{c}{x \\& y} & 1--2 \\\\\n\\bottomrule\n\\end{tabular}\n\\end{table}\n"
    )
    t = check_tex(good)
    assert t["columns"] == 3 and len(t["rows"]) == 2 and t["label"] == "tab:x"
    for bad in (
        good.replace("& d", "& d & e"),  # a column too many
        good.replace("5\\%", "5%"),  # a comment
        good.replace("\\toprule", "\\hline"),  # no booktabs
        good.replace("1--2", "1-2"),  # a range with a hyphen
        good.replace("\\label{tab:x}\n", ""),
        good.replace("\\end{table}", ""),
        good.replace("{b\\\\c}", "b\\\\c"),  # a row break inside a cell
    ):
        with pytest.raises(AssertionError):
            check_tex(bad)


@pytest.mark.parametrize("name", list(TABLES))
def test_table_tex_is_a_booktabs_float(built, name):
    from tarimhm.viz.tables import element_caption, tex_text

    csv, tex = built[name]
    t = check_tex(tex.read_text())
    element = TABLES[name][2]
    assert t["label"] == f"tab:{name}"
    assert t["caption"].startswith(tex_text(element_caption(element))) and f"the paper's {element}" in t["caption"]
    status = json.loads(csv.with_name(csv.name + ".provenance.json").read_text())["data_status"]
    assert t["caption"].rstrip(".").endswith(status), t["caption"]
    header = " ".join(" ".join(r) for r in t["rows"][:3])
    units = {
        "tab4_accuracy": ["MAE (mg/kg)", r"RMSE ($\mu$g/L)"],
        "tab5_soil_classes": ["Content (mg/kg)", r"Paper (\%)", "Difference (pp)"],
        "tab6_water_classes": [r"Content ($\mu$g/L)", r"This work (\%)"],
        "tab7_pca_soil": [r"Variance (\%)", r"Cumulative (\%)"],
        "tab8_pca_water": [r"Variance (\%)"],
        "tab9_exposure": ["Parameter (unit)", "Body weight (kg)", r"(mg/cm\textsuperscript{2})"],
    }[name]
    assert all(u in t["body"] for u in units), (name, header)


def test_ranges_escapes_and_the_page_layout_of_table_9(built):
    t5 = check_tex(built["tab5_soil_classes"][1].read_text())
    assert re.search(r"^ & \d+\.\d+--\d+\.\d+ & ", "\n".join(" & ".join(r) for r in t5["rows"]), re.M)
    t9 = check_tex(built["tab9_exposure"][1].read_text())
    ragged = "\\raggedright\\let\\\\\\tabularnewline "  # a p{} cell: ragged right, \\\\ still ends the row
    assert [r[4] for r in t9["rows"][2:4]] == [ragged + "14--22", ragged + "58--63"]  # China / Xinjiang
    assert "differs by +7 \\%" in t9["body"] and "paper\\_reproducing" in t9["body"]
    # p{} columns whose widths add up to the line width (column gaps included), text ragged right, \small
    widths = [float(w) for w in re.findall(r"p\{\\dimexpr ([\d.]+)\\linewidth-2\\tabcolsep\\relax\}", t9["spec"])]
    assert len(widths) == t9["columns"] == 7 and sum(widths) == pytest.approx(1.0)
    assert "\\small\n" in t9["body"]
    t4 = check_tex(built["tab4_accuracy"][1].read_text())
    assert r"\cmidrule(lr){3-4}" in t4["body"] and r"\multicolumn{2}{c}{As}" in t4["body"]


PREAMBLE = r"""\documentclass{article}
\usepackage{booktabs,longtable}
\setlength{\paperwidth}{210mm}\setlength{\paperheight}{297mm}
\setlength{\textwidth}{160mm}\setlength{\oddsidemargin}{0mm}\setlength{\evensidemargin}{0mm}
\setlength{\textheight}{240mm}\setlength{\topmargin}{-10mm}
"""


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_tables_compile_with_pdflatex(built, tmp_path):
    """All six in one A4 document with a 160 mm text width: no error, nothing wider than the line, and each
    table (Table 9 included) on a page of its own (a float taller than the page would be 'too large')."""
    names = []
    for name, (_, tex) in built.items():
        shutil.copy(tex, tmp_path / f"{name}.tex")
        names.append(name)
    body = "\n\\clearpage\n".join(rf"\input{{{n}}}" for n in names)
    (tmp_path / "doc.tex").write_text(PREAMBLE + "\\begin{document}\n" + body + "\n\\end{document}\n")
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "Overfull \\hbox" not in log, re.findall(r"Overfull \\hbox.*", log)
    assert "Float too large" not in log
    assert re.search(rf"Output written on doc\.pdf \({len(names)} pages", log), log[-500:]
