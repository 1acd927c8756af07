"""Bad input gets one clear line: file, field, what is allowed; no traceback unless --debug; exit non-zero."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tarimhm import config, paths
from tarimhm._errors import ConfigError

# "billion laughs": 11 levels of 10 aliases each would expand to 10^11 items
BOMB = "a: &a [1, 2]\n" + "".join(
    f"{k}: &{k} [{', '.join(['*' + p] * 10)}]\n" for p, k in zip("abcdefghijk", "bcdefghijkl")
)


@pytest.mark.parametrize(
    "content,message",
    [
        ("a: 1\nb:\n  x: 1\n  x: 2\n", r"t\.yaml: line 4: duplicate key 'x' \(first on line 3\); keep one"),
        ("figures:\n  dpi: 300\nfigures:\n  dpi: 100\n", r"line 3: duplicate key 'figures' \(first on line 1\)"),
        (BOMB, r"line \d+: more than 100 aliases \(a YAML alias bomb\?\); write the values out"),
        ("", r"t\.yaml: the file is empty; expected a mapping"),
        (b"a: \xff\xfe\n", r"t\.yaml: not UTF-8 text \(byte 3\); save the file as UTF-8"),
        ("- 1\n- 2\n", r"expected a mapping of keys at the top level, got list"),
        ("a: [1, 2\n", r"not valid YAML \(line 2, column 1\)"),
    ],
)
def test_yaml_refusals_name_file_and_line(tmp_path, content, message):
    f = tmp_path / "t.yaml"
    (f.write_bytes if isinstance(content, bytes) else f.write_text)(content)
    with pytest.raises(ConfigError, match=message):
        config.load_yaml(f)


def test_yaml_folder_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r": is a folder, not a YAML file; pass a file"):
        config.load_yaml(tmp_path)
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found"):
        config.load_yaml(tmp_path / "nope.yaml")


def test_duplicate_key_in_a_profile_is_refused(tmp_path):
    """A second `BW: 1` in a profile would silently multiply child doses; it is an error."""
    from tarimhm.risk.profiles import load_profile

    text = (paths.PROFILES / "usepa_default.yaml").read_text(encoding="utf-8")
    f = tmp_path / "twice.yaml"
    f.write_text(text + "\ntitle: again\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"twice\.yaml: line \d+: duplicate key 'title'"):
        load_profile(f)


def _run(args, env_extra=None, tmp_path=None):
    env = {**os.environ, **(env_extra or {})}
    env.pop("TARIMHM_DEBUG", None)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=paths.ROOT)


def test_stage_script_prints_one_error_line_and_no_traceback(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("figures:\n  dpi: 300\n  dpi: 100\n")
    out = _run([str(paths.ANALYSIS / "020_statistics.py"), "--params", str(bad)])
    assert out.returncode == 1
    assert out.stderr.splitlines() == [f"error: {bad}: line 3: duplicate key 'dpi' (first on line 2); keep one"]
    debug = _run([str(paths.ANALYSIS / "020_statistics.py"), "--params", str(bad), "--debug"])
    assert debug.returncode != 0 and "Traceback (most recent call last)" in debug.stderr


def test_figure_without_its_inputs_names_the_make_target_and_writes_nothing(tmp_path):
    env = {"TARIMHM_OUTPUT": str(tmp_path)}
    out = _run([str(paths.ANALYSIS / "110_fig10_hi_radar.py"), "--params", str(paths.PARAMS)], env)
    assert out.returncode == 1
    [line] = out.stderr.splitlines()
    assert line.startswith(f"error: {tmp_path}/data_derived/risk/paper_reproducing/site_summary.csv: missing;")
    assert line.endswith("run `make risk PROFILE=paper_reproducing` first")
    assert not (tmp_path / "figures").exists() or not list((tmp_path / "figures").iterdir())


def test_table_from_an_older_output_names_the_columns_and_the_target(tmp_path):
    """A Table 4 audit written before `censored_below` existed: one line, not a KeyError traceback."""
    audit = tmp_path / "paper" / "audit"
    audit.mkdir(parents=True)
    (audit / "rf.csv").write_text("reported_id,indicator,medium,metal,reported,reproduced,data_status\n")
    env = {"TARIMHM_OUTPUT": str(tmp_path)}
    out = _run([str(paths.ANALYSIS / "204_tab4_accuracy.py"), "--params", str(paths.PARAMS)], env)
    assert out.returncode == 1
    [line] = out.stderr.splitlines()
    assert line.startswith(f"error: {audit}/rf.csv: missing columns unit, censored_below")
    assert line.endswith("(written by an older version of the package); run `make rf` again")
    assert not (tmp_path / "paper" / "tables").exists() or not list((tmp_path / "paper" / "tables").iterdir())


def test_cli_error_is_one_line(tmp_path):
    out = _run(["-m", "tarimhm.cli", "risk", "--profile", str(tmp_path / "none.yaml")])
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        f"error: {tmp_path / 'none.yaml'}: file not found; create it or pass an existing file"
    ]


def test_profile_anywhere_on_disk_can_extend_a_shipped_one(tmp_path):
    from tarimhm.risk.profiles import load_profile

    f = tmp_path / "mine.yaml"
    f.write_text("extends: usepa_default\nname: my_site\ntitle: mine\n", encoding="utf-8")
    assert load_profile(f).name == "my_site"
    f.write_text(f"extends: {paths.PROFILES / 'usepa_default.yaml'}\nname: my_site\n", encoding="utf-8")
    assert load_profile(f).title == load_profile("usepa_default").title  # a full path is a path, not a name
    (tmp_path / "a.yaml").write_text("extends: b\nname: a\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("extends: a\nname: b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"a\.yaml: extends: circular chain"):
        load_profile(tmp_path / "a.yaml")


@pytest.mark.parametrize("name", ["../../x", "My Profile", "a/b", ""])
def test_profile_names_that_would_become_odd_paths_are_refused(tmp_path, name):
    from tarimhm.risk.profiles import load_profile

    f = tmp_path / "p.yaml"
    f.write_text(f"extends: usepa_default\nname: {name!r}\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"p\.yaml: name: .*(is not allowed; use lower-case letters|at least 1 character)"
    ):
        load_profile(f)


def test_user_profile_cannot_shadow_a_shipped_one_and_writes_its_own_folder(use_sites, params, rep, tmp_path):
    from tarimhm.risk.stage import run_risk

    script = paths.ANALYSIS / "031_risk_deterministic.py"
    f = tmp_path / "shadow.yaml"
    f.write_text("extends: usepa_default\nname: usepa_default\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"shadow\.yaml: name: 'usepa_default' is a shipped profile"):
        run_risk(params, rep, f, script)
    f.write_text("extends: usepa_default\nname: my_site\n", encoding="utf-8")
    out = run_risk(params, rep, f, script)
    assert out == paths.risk_dir("user") / "my_site" and (out / "site_summary.csv").exists()


def test_a_stage_logs_its_duration_and_the_cli_its_version(tmp_path):
    out = _run([str(paths.ANALYSIS / "000_reported_catalogue.py")], {"TARIMHM_OUTPUT": str(tmp_path)})
    assert out.returncode == 0
    assert re.fullmatch(r"000_reported_catalogue\.py: done in \d+\.\d s", out.stderr.splitlines()[-1])
    assert (tmp_path / "data_derived" / "reported" / "reported.csv").exists()
    from tarimhm import __version__

    v = _run(["-m", "tarimhm.cli", "--version"])
    assert v.returncode == 0 and v.stdout.strip() == f"tarim-hm {__version__}"
