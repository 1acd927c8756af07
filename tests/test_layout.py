"""The layout of the package (issue 13): per-section parameter stamps, Make rules that depend on them,
import contracts that fail when the convention is broken, one way to name and require saved outputs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tarimhm import config, paths
from tarimhm._errors import MissingOutputError, TarimHMError
from tarimhm.entry import output_name

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def test_require_names_the_make_target(tmp_path):
    with pytest.raises(MissingOutputError, match=r"x\.csv: missing; run `make maps` first") as e:
        paths.require(tmp_path / "x.csv", "maps")
    assert isinstance(e.value, TarimHMError) and isinstance(e.value, FileNotFoundError)
    (tmp_path / "x.csv").write_text("a\n")
    assert paths.require(tmp_path / "x.csv", "maps") == tmp_path / "x.csv"


def test_output_name_from_script():
    assert output_name("analysis/110_fig10_hi_radar.py") == "fig10_hi_radar"
    assert output_name(Path("/x/analysis/209_tab9_exposure.py")) == "tab9_exposure"
    with pytest.raises(ValueError, match="NNN_<name>.py"):
        output_name("analysis/fig10.py")


def test_outputs_redirect_together(tmp_path):
    """TARIMHM_OUTPUT (make smoke) moves every generated folder, the report included, and no input."""
    code = (
        "from tarimhm import paths; print(paths.DATA_DERIVED, paths.FIGURES, paths.AUDIT, paths.TABLES, "
        "paths.REPORT, paths.REPORTED, paths.output('figures/a.pdf'))"
    )
    env = {**os.environ, "TARIMHM_OUTPUT": str(tmp_path)}
    for k in ("TARIMHM_DERIVED", "TARIMHM_FIGURES", "TARIMHM_AUDIT"):
        env.pop(k, None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    d, f, a, t, r, rep, fig = out.stdout.split()
    assert (d, f, a, t, r, fig) == tuple(
        str(tmp_path / p)
        for p in ("data_derived", "figures", "paper/audit", "paper/tables", "paper/REPORT.md", "figures/a.pdf")
    )
    assert rep == str(paths.REPORTED)


def test_section_hash_and_stamps_follow_only_their_section(tmp_path):
    p = config.load()
    q = p.model_copy(update={"figures": p.figures.model_copy(update={"dpi": 150})})
    assert config.section_hash(p, "rf") == config.section_hash(q, "rf")
    assert config.section_hash(p, "figures") != config.section_hash(q, "figures")
    assert config.section_hash(p, "risk.hpi_form") == config.section_hash(q, "risk.hpi_form")
    first = config.write_stamps(p, tmp_path)
    assert set(first) == {*config.SECTIONS, *config.STAMPED_KEYS}
    before = {f.name: f.stat().st_mtime_ns for f in tmp_path.iterdir()}
    assert config.write_stamps(p, tmp_path) == []  # nothing changed: nothing rewritten
    assert config.write_stamps(q, tmp_path) == ["figures"]
    after = {f.name: f.stat().st_mtime_ns for f in tmp_path.iterdir()}
    assert [n for n in before if before[n] != after[n]] == ["figures.json"]
    assert (tmp_path / "make.mk").read_text() == f"REFERENCE_PROFILE := {p.risk.reference_profile}\n"


def _tree(tmp_path: Path) -> Path:
    """The tracked files of the project, copied (Make rules only, nothing is run)."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    dst = tmp_path / "tree"
    for f in files:
        if (ROOT / f).is_file():
            (dst / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, dst / f)
    return dst


def _make(tree: Path, *args: str) -> list[str]:
    stamp = tree / ".venv-stamp"
    stamp.touch()
    cmd = ["make", "--no-print-directory", f"PY={VENV_BIN / 'python'}", f"STAMP={stamp}", *args]
    out = subprocess.run(cmd, cwd=tree, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_changing_a_section_reruns_only_its_rules(tmp_path):
    tree = _tree(tmp_path)
    profiles = [f"risk/{p.stem}" for p in (tree / "analysis" / "profiles").glob("*.yaml")]
    for d in (
        "reported",
        "sites",
        "stats",
        "uncertainty",
        "uncertainty/twod",
        "imagery",
        "rf",
        "maps",
        "ensemble",
        *profiles,
    ):
        (tree / "data_derived" / d).mkdir(parents=True, exist_ok=True)
    for d in ("figures", "paper/audit", "paper/tables", "paper/report/html"):
        (tree / d).mkdir(parents=True, exist_ok=True)
    _make(tree, "-t", "all")  # every output up to date, nothing computed
    assert not [ln for ln in _make(tree, "-n", "all") if "analysis/" in ln]
    text = (tree / "analysis" / "params.yaml").read_text()
    copy = tmp_path / "copy.yaml"
    copy.write_text(text.replace("  dpi: 300 ", "  dpi: 150 "))
    scripts = [ln.split()[1] for ln in _make(tree, "-n", "all", f"PARAMS={copy}") if "analysis/" in ln]
    # figure scripts (1NN) only, and the HTML report, which embeds the figures
    assert scripts[-1] == "analysis/301_report_html.py", scripts
    figs = scripts[:-1]
    assert figs and all(Path(s).name[0] == "1" for s in figs), scripts
    assert len(figs) == len(list((tree / "analysis").glob("1[0-9][0-9]_fig*.py")))
    # a change of the rf section re-runs the RF stages, the maps and what is drawn from them, not the sites
    copy.write_text(text.replace("  seed: 42 ", "  seed: 43 "))
    scripts = {Path(ln.split()[1]).name for ln in _make(tree, "-n", "all", f"PARAMS={copy}") if "analysis/" in ln}
    assert {"060_rf_inversion.py", "061_rf_validation.py", "070_maps.py", "204_tab4_accuracy.py"} <= scripts
    assert not {"010_reconstruct_sites.py", "050_imagery.py", "040_risk_montecarlo.py"} & scripts
    # Figs 9-15 depend on the outputs of the reference profile the parameters name (read by pydantic, not sed)
    copy.write_text(text.replace("reference_profile: paper_reproducing", "reference_profile: usepa_default"))
    shown = _make(tree, "--eval", "show: ; @echo $(RISK_REF)", "show", f"PARAMS={copy}")
    assert shown == ["data_derived/risk/usepa_default/site_summary.csv"]


@pytest.mark.parametrize(
    "module,line,contract",
    [
        ("risk/stage.py", "import matplotlib.pyplot", "Only figures.py modules and viz/ import matplotlib"),
        ("risk/figures.py", "from . import stage", "Figures, tables and stages are independent"),
        ("raster/kernels.py", "from ..rf import inversion", "Layers"),
        ("paths.py", "from . import config", "Layers"),
    ],
)
def test_import_contracts_fail_when_broken(tmp_path, module, line, contract):
    lint = VENV_BIN / "lint-imports"
    if not lint.exists():
        pytest.skip("import-linter not installed")
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "tarimhm", src / "tarimhm", ignore=shutil.ignore_patterns("__pycache__"))
    f = src / "tarimhm" / module
    f.write_text(f.read_text(encoding="utf-8") + f"\n{line}  # injected by the test\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(src), "COLUMNS": "250"}
    out = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0, out.stdout
    assert "Broken contracts" in out.stdout, out.stdout
    assert contract in out.stdout.split("Broken contracts", 1)[1], out.stdout  # the contract that was broken
