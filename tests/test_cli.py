"""Logs and command line (issue 18 item 6): `tarimhm --version`, `risk --out`, `profiles new`, profiles found
anywhere on disk, one line per bad input, progress bars only on a terminal, dependency notices filtered."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from conftest import TINY, run_reconstruction_into
from tarimhm import __version__, config, paths
from tarimhm._errors import ConfigError
from tarimhm.cli import main
from tarimhm.entry import DEPENDENCY_NOISE, progress_enabled, quiet_dependency_warnings
from tarimhm.provenance import sha256_file
from tarimhm.risk.profiles import (
    CONST_UNITS,
    GROUP_UNITS,
    TOX_UNITS,
    list_profiles,
    load_profile,
    profile_path,
)

IDENTITY = {"name", "title", "description"}
"""What a new profile changes of its base as written."""


def _env():
    env = dict(os.environ)
    env.pop("TARIMHM_DEBUG", None)
    env.pop("PYTHONWARNINGS", None)
    return env


def _one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def tiny_sites(tmp_path_factory, rep):
    """Site tables from the tiny reconstruction (seconds, not the full one of `use_sites`)."""
    with warnings.catch_warnings():
        # R-hat of a parameter the 6-member tiny ensemble leaves constant: 0/0 in arviz.stats.diagnostics
        warnings.filterwarnings("ignore", r"(invalid value|divide by zero)", RuntimeWarning, r"arviz\.stats")
        return run_reconstruction_into(config.load(TINY), rep, tmp_path_factory.mktemp("tiny") / "data_derived")[1]


@pytest.fixture
def sites(tiny_sites, monkeypatch, tmp_path):
    d = tiny_sites.parent
    monkeypatch.setattr(paths, "DATA_DERIVED", d)
    monkeypatch.setattr(paths, "RAW_SITES", d / "no_real_sites")
    monkeypatch.setattr(paths, "AUDIT", tmp_path / "audit")
    return d


# --- version ---------------------------------------------------------------------------------------------------


def test_version_in_process(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"tarim-hm {__version__}\n"


def test_version_of_the_installed_command():
    """There is no ``tarimhm/__main__.py`` (``python -m tarimhm``); the console script and ``-m tarimhm.cli`` run."""
    script = Path(sys.executable).with_name("tarimhm")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "tarimhm.cli"]
    out = subprocess.run([*cmd, "--version"], capture_output=True, text=True, env=_env(), timeout=120)
    assert out.returncode == 0 and out.stdout == f"tarim-hm {__version__}\n" and out.stderr == ""


# --- bad input: one line, non-zero, traceback only with --debug ---------------------------------------------------


@pytest.mark.parametrize(
    "argv,pattern",
    [
        ([], r"error: tarimhm: the following arguments are required: COMMAND; see `tarimhm --help`"),
        (["risk"], r"error: tarimhm risk: the following arguments are required: --profile"),
        (["risk", "--profile", "x", "--medium", "air"], r"error: tarimhm risk: argument --medium: invalid choice"),
        (["nonsense"], r"error: tarimhm: argument COMMAND: invalid choice: 'nonsense'"),
        (["risk", "--profile", "nope"], r"error: no profile 'nope' in .*; name one of china_xinjiang, .*usepa_default"),
        (["profiles", "new"], r"error: tarimhm profiles new: the following arguments are required: NAME"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, pattern):
    assert main(argv) == 2
    cap = capsys.readouterr()
    assert re.match(pattern, _one_error_line(cap.err)) and cap.out == ""


def test_debug_shows_the_error_itself(capsys):
    for argv in (["--debug", "risk", "--profile", "nope"], ["risk", "--profile", "nope", "--debug"]):
        with pytest.raises(ConfigError, match="no profile 'nope'"):
            main(argv)


def test_risk_out_refuses_other_suffixes_before_computing(tmp_path, capsys):
    for name in ("table.txt", "table", "table.xlsx"):
        assert main(["risk", "--profile", "usepa_default", "--out", str(tmp_path / name)]) == 2
        cap = capsys.readouterr()
        line = _one_error_line(cap.err)
        assert line.startswith(f"error: {tmp_path / name}: --out: cannot write") and ".csv or .json" in line
        assert cap.out == ""  # nothing computed, nothing printed
    assert list(tmp_path.iterdir()) == []


# --- risk --out ----------------------------------------------------------------------------------------------------


def test_risk_out_writes_the_printed_table_as_csv_and_json(sites, tmp_path, capsys):
    args = ["risk", "--profile", "usepa_default", "--medium", "soil"]
    assert main(args) == 0
    screen = capsys.readouterr().out
    assert main([*args, "--out", str(tmp_path / "cmp.csv")]) == 0
    cap = capsys.readouterr()
    assert cap.out == screen  # the screen output does not change
    assert cap.err == f"wrote {tmp_path / 'cmp.csv'}\n"
    csv = pd.read_csv(tmp_path / "cmp.csv")
    assert list(csv.columns) == ["medium", "site_id", "group", "HI_base", "TCR_base", "HI_new", "TCR_new"] + [
        "HI_ratio",
        "TCR_ratio",
    ]
    assert set(csv.medium) == {"soil"} and len(csv) > 0
    assert f"{csv.HI_new.iloc[0]:.4g}" in screen

    assert main([*args, "--out", str(tmp_path / "cmp.json")]) == 0
    assert capsys.readouterr().out == screen
    text = (tmp_path / "cmp.json").read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text  # strict JSON: no ratio is null
    body = json.loads(text)
    assert body["tarimhm_version"] == __version__
    assert body["profile"]["name"] == "usepa_default" and body["against"]["name"] == "paper_as_stated"
    for role, name in (("profile", "usepa_default"), ("against", "paper_as_stated")):
        f = paths.PROFILES / f"{name}.yaml"
        assert body[role]["file"] == str(f.resolve()) and body[role]["file_sha256"] == sha256_file(f)
        assert body[role]["resolved_sha256"] == load_profile(name).hash()
    assert body["medium"] == "soil" and body["columns"] == list(csv.columns)
    rec = pd.DataFrame(body["records"])
    pd.testing.assert_frame_equal(rec, csv, check_dtype=False, rtol=1e-12)
    assert not list(tmp_path.glob(".tmp-*"))  # written atomically: no temporary left behind


def test_risk_with_a_profile_given_by_its_full_path(sites, tmp_path, capsys, monkeypatch):
    """``--profile /abs/x.yaml`` is that file (never ``x.yaml.yaml``); it may extend a shipped profile by name."""
    f = tmp_path / "elsewhere" / "my_site.yaml"
    f.parent.mkdir()
    f.write_text(
        "extends: usepa_default\nname: my_site\ngroups:\n  child:\n"
        '    BW: {value: 30, unit: kg, source: "twice the default, for the test"}\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)  # not the profile's folder, not the project's
    assert profile_path(str(f)) == f and profile_path(f) == f
    assert main(["risk", "--profile", str(f), "--against", "usepa_default", "--out", "r.json"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("profile 'my_site' vs 'usepa_default'")
    body = json.loads((tmp_path / "r.json").read_text())
    assert body["profile"]["file"] == str(f) and body["profile"]["file_sha256"] == sha256_file(f)
    rec = pd.DataFrame(body["records"])
    child, adult = rec[rec.group == "child"], rec[rec.group == "adult"]
    assert (child.HI_ratio < 1).all() and np.allclose(adult.HI_ratio, 1)  # only the child's body weight changed


# --- extends ---------------------------------------------------------------------------------------------------------


def test_a_profile_anywhere_extends_a_shipped_one_by_name(tmp_path, monkeypatch):
    f = tmp_path / "p.yaml"
    f.write_text("extends: usepa_default\nname: p_site\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    p, base = load_profile(f), load_profile("usepa_default")
    assert p.name == "p_site" and p.model_dump(exclude={"name"}) == base.model_dump(exclude={"name"})
    assert load_profile("p.yaml").name == "p_site"  # a relative path is relative to the working folder


def test_a_relative_extends_path_is_relative_to_the_file(tmp_path, monkeypatch):
    (tmp_path / "base").mkdir()
    (tmp_path / "site").mkdir()
    (tmp_path / "base" / "b.yaml").write_text(
        'extends: usepa_default\nname: b\nconstants:\n  LT: {value: 75, unit: y, source: "test"}\n', encoding="utf-8"
    )
    (tmp_path / "site" / "s.yaml").write_text("extends: ../base/b.yaml\nname: s\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "base")  # the working folder plays no part
    s = load_profile(tmp_path / "site" / "s.yaml")
    assert s.constants.LT.value == 75 and s.groups["child"].BW.value == 15


def test_profile_names_and_paths():
    assert profile_path("usepa_default") == paths.PROFILES / "usepa_default.yaml"
    assert profile_path("/x/y/my.yaml") == Path("/x/y/my.yaml")
    assert profile_path("/x/y/my.YML") == Path("/x/y/my.YML")
    assert profile_path("dir/plain") == Path("dir/plain")  # a folder in it: a path, used as given
    with pytest.raises(ConfigError, match=r"no profile 'usepa_default\.bak' in .*or give the path of a \.yaml"):
        profile_path("usepa_default.bak")


# --- profiles new ------------------------------------------------------------------------------------------------------


def _uncomment_all(text: str) -> str:
    """The template with every commented key switched on (each line after ``description:`` is ``# `` + YAML)."""
    head, tail = text.split("\ndescription: ", 1)
    desc, rest = tail.split("\n", 1)
    assert all(line == "" or line.startswith("# ") for line in rest.splitlines()), "a line that is not '# ' + YAML"
    return head + "\ndescription: " + desc + "\n" + "\n".join(line[2:] for line in rest.splitlines()) + "\n"


@pytest.mark.parametrize("base", ["usepa_default", "paper_as_stated", "china_xinjiang"])
def test_profiles_new_writes_a_template_that_loads_as_its_base(tmp_path, capsys, base):
    out = tmp_path / "mine"
    assert main(["profiles", "new", "my_site", "--extends", base, "--out", str(out)]) == 0
    f = out / "my_site.yaml"
    assert capsys.readouterr().out == f"{f}\n"
    text = f.read_text(encoding="utf-8")
    b, p = load_profile(base), load_profile(f)
    assert p.name == "my_site" and p.model_dump(exclude=IDENTITY) == b.model_dump(exclude=IDENTITY)
    assert f'\nextends: "{base}"\n' in text
    # every overridable key is there, commented out, with its unit and the base's value
    for g in ("child", "adult"):
        for k, unit in GROUP_UNITS.items():
            q = getattr(b.groups[g], k)
            assert re.search(rf"^#     {k}: +\{{value: [^,]+, unit: \"{re.escape(unit)}\"", text, re.M)
            assert any(f'unit: "{unit}"' in line and line.lstrip("# ").startswith(k) for line in text.splitlines())
            assert q.source in text
    for k in [*CONST_UNITS, *TOX_UNITS, "dermal_af", "at_carcinogenic_soil", "at_carcinogenic_water"]:
        assert re.search(rf"^# +{k}: ", text, re.M), k
    assert "bioaccessibility:" in text
    # switching every commented key on changes nothing either: the values shown are the base's, exactly
    g = tmp_path / "all_on.yaml"
    g.write_text(_uncomment_all(text), encoding="utf-8")
    assert load_profile(g).model_dump(exclude=IDENTITY) == b.model_dump(exclude=IDENTITY)


def test_profiles_new_refuses_to_overwrite(tmp_path, capsys):
    assert main(["profiles", "new", "my_site", "--out", str(tmp_path)]) == 0
    f = tmp_path / "my_site.yaml"
    f.write_text(f.read_text() + "# my edits\n")
    before = f.read_text()
    capsys.readouterr()
    assert main(["profiles", "new", "my_site", "--out", str(tmp_path)]) == 2
    assert _one_error_line(capsys.readouterr().err) == f"error: {f}: exists; not overwritten " + (
        "(delete it, or choose another name or folder)"
    )
    assert f.read_text() == before


def test_profiles_new_extends_a_user_profile_by_path(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["profiles", "new", "first"]) == 0  # default: this folder, extends usepa_default
    first = tmp_path / "first.yaml"
    assert first.exists() and load_profile(first).model_dump(exclude=IDENTITY) == load_profile(
        "usepa_default"
    ).model_dump(exclude=IDENTITY)
    assert main(["profiles", "new", "second", "--extends", "first.yaml", "--out", "sub"]) == 0
    second = tmp_path / "sub" / "second.yaml"
    assert f'\nextends: "{first}"\n' in second.read_text()  # absolute: valid wherever the file goes
    assert load_profile(second).name == "second"


@pytest.mark.parametrize(
    "argv,pattern",
    [
        (["profiles", "new", "My Site"], r"error: 'My Site': not a profile name; use lower-case letters"),
        (["profiles", "new", "usepa_default"], r"error: 'usepa_default': is a shipped profile"),
        (["profiles", "new", "x", "--extends", "nope"], r"error: --extends: no profile 'nope' \(.*nope\.yaml not"),
        (["profiles", "new", "x", "--out", "x.yaml"], r"error: x\.yaml: not a folder; --out names the folder"),
    ],
)
def test_profiles_new_refusals(tmp_path, capsys, monkeypatch, argv, pattern):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert re.match(pattern, _one_error_line(capsys.readouterr().err))
    assert list(tmp_path.iterdir()) == []


def test_profiles_lists_the_shipped_ones(capsys):
    assert main(["profiles"]) == 0
    listed = capsys.readouterr().out
    assert [line.split()[0] for line in listed.splitlines()] == list_profiles()
    assert main(["profiles", "list"]) == 0 and capsys.readouterr().out == listed


# --- logs: progress bars, duration line, dependency warnings --------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_enabled_only_on_a_terminal():
    assert progress_enabled(True, _Terminal()) is True
    assert progress_enabled(False, _Terminal()) is False
    assert progress_enabled(True, io.StringIO()) is False
    assert progress_enabled(True, object()) is False  # no isatty at all
    closed = io.StringIO()
    closed.close()
    assert progress_enabled(True, closed) is False


@pytest.mark.parametrize("stream,drawn", [(io.StringIO, False), (_Terminal, True)])
def test_a_stage_bar_draws_only_on_a_terminal(monkeypatch, stream, drawn):
    """The reconstruction's bar with progress=True (the default of every stage): no redraws into a log file."""
    from tarimhm.sites.reconstruct import _fit_starts

    err = stream()
    monkeypatch.setattr(sys, "stderr", err)
    best, costs, _ = _fit_starts(lambda x: x - 1.0, [np.zeros(2)] * 3, SimpleNamespace(max_nfev=20), "soil", True)
    assert np.allclose(best.x, 1.0) and len(costs) == 3
    assert ("\r" in err.getvalue()) is drawn
    err = stream()
    monkeypatch.setattr(sys, "stderr", err)
    _fit_starts(lambda x: x - 1.0, [np.zeros(2)], SimpleNamespace(max_nfev=20), "soil", False)
    assert err.getvalue() == ""  # progress=False: never


def test_figure_and_table_scripts_log_their_duration(monkeypatch, capsys, tmp_path):
    import tarimhm.viz.figures as vf
    import tarimhm.viz.tables as vt
    from tarimhm.entry import figure_main, table_main

    monkeypatch.setattr(paths, "DATA_DERIVED", tmp_path)
    monkeypatch.setattr(vf, "render_figure", lambda *a, **k: [Path("figures/x.png")])
    monkeypatch.setattr(vt, "render_table", lambda *a, **k: [Path("paper/tables/x.md")])
    argv = ["--params", str(paths.PARAMS)]
    figure_main(None, str(paths.ANALYSIS / "110_fig10_hi_radar.py"), "Fig. 10.", argv)
    cap = capsys.readouterr()
    assert cap.out == "figures/x.png\n"
    assert re.fullmatch(r"110_fig10_hi_radar\.py: done in \d+\.\d s\n", cap.err)
    table_main(None, str(paths.ANALYSIS / "204_tab4_accuracy.py"), "Table 4.", argv)
    assert re.fullmatch(r"204_tab4_accuracy\.py: done in \d+\.\d s\n", capsys.readouterr().err)
    # each run leaves its duration record, which `tarimhm timings` collects with the totals
    rec = json.loads((tmp_path / "_timings" / "110_fig10_hi_radar.json").read_text())
    assert rec["script"] == "analysis/110_fig10_hi_radar.py" and rec["wall_s"] >= 0 and rec["cpu_s"] >= 0
    assert rec["peak_rss_mb"] > 10 and rec["started_utc"] <= rec["finished_utc"]
    out = tmp_path / "timings.json"
    assert main(["timings", "--out", str(out)]) == 0
    t = json.loads(out.read_text())
    assert [r["script"] for r in t["scripts"]] == ["analysis/110_fig10_hi_radar.py", "analysis/204_tab4_accuracy.py"]
    assert t["total_cpu_s"] == round(sum(r["cpu_s"] for r in t["scripts"]), 1)
    assert "204_tab4_accuracy.py" in capsys.readouterr().out


def test_timing_records_only_for_analysis_scripts(monkeypatch, tmp_path):
    from tarimhm.entry import record_timing

    monkeypatch.setattr(paths, "DATA_DERIVED", tmp_path)
    assert record_timing("tarimhm risk", 1.0, 1.0, "2026-01-01T00:00:00+00:00") is None
    assert record_timing("pytest", 1.0, 1.0, "2026-01-01T00:00:00+00:00") is None
    assert not (tmp_path / "_timings").exists()
    p = record_timing("061_rf_validation.py", 12.345, 20.0, "2026-01-01T00:00:00+00:00")
    assert p == tmp_path / "_timings" / "061_rf_validation.json"
    assert json.loads(p.read_text())["wall_s"] == 12.35


def _shown(category, module):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        quiet_dependency_warnings()
        warnings.warn_explicit("notice", category, "f.py", 1, module=module)
    return len(rec) == 1


def test_dependency_notices_are_filtered_by_module_and_category(monkeypatch):
    monkeypatch.setattr(sys, "warnoptions", [])
    assert not _shown(FutureWarning, "arviz")
    assert not _shown(FutureWarning, "arviz.stats.diagnostics")
    assert _shown(FutureWarning, "arvizlike")  # the module, not a prefix of its name
    assert _shown(FutureWarning, "tarimhm.uncertainty.bayes")  # ours still show
    assert _shown(UserWarning, "arviz")  # other categories of ArviZ still show
    assert _shown(UserWarning, "pytensor.link.c.cmodule")  # only the BLAS notice of PyTensor is filtered
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        quiet_dependency_warnings()
        warnings.warn_explicit(
            "PyTensor could not link to a BLAS installation.", UserWarning, "c.py", 1, module="pytensor.link.c.cmodule"
        )
    assert rec == []
    assert {c for c, _, _ in DEPENDENCY_NOISE} == {FutureWarning, UserWarning}
    monkeypatch.setattr(sys, "warnoptions", ["default"])  # `python -W ...`: the user chooses, nothing is added
    assert _shown(FutureWarning, "arviz")


def test_a_stage_run_does_not_show_the_arviz_refactor_notice(tmp_path):
    """ArviZ prints its FutureWarning once a day per cache folder: a fresh one makes it print for sure."""
    code = "from tarimhm.entry import guard\nguard(lambda: __import__('arviz'), [], 'stage.py')\n"
    env = {**_env(), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0
    assert re.fullmatch(r"stage\.py: done in \d+\.\d s\n", out.stderr), out.stderr
    assert (tmp_path / "cache" / "arviz" / "daily_warning").exists()  # ArviZ did reach its notice
