"""analysis/params.yaml and profiles: valid file loads; malformed files fail naming the key."""

from __future__ import annotations

import re

import pytest
import yaml

from tarimhm import config, paths
from tarimhm._errors import ConfigError


def test_params_yaml_validates(params):
    assert params.reconstruction.n_starts >= 1
    assert params.risk.hpi_form in ("normalised", "unnormalised")


def test_tiny_params_validate(tiny):
    assert tiny.reconstruction.n_starts == 1


def test_params_hash_ignores_comments_and_order(tmp_path, params):
    data = yaml.safe_load(paths.PARAMS.read_text(encoding="utf-8"))
    reordered = {k: data[k] for k in reversed(list(data))}
    p = tmp_path / "p.yaml"
    p.write_text("# a comment\n" + yaml.safe_dump(reordered), encoding="utf-8")
    assert config.params_hash(config.load(p)) == config.params_hash(params)
    data["reconstruction"]["seed"] += 1
    p.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert config.params_hash(config.load(p)) != config.params_hash(params)


def _bad(tmp_path, mutate=None, text=None):
    p = tmp_path / "params.yaml"
    if text is None:
        data = yaml.safe_load(paths.PARAMS.read_text(encoding="utf-8"))
        mutate(data)
        text = yaml.safe_dump(data)
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda d: d["reconstruction"].pop("seed"), r"reconstruction\.seed: required key is missing"),
        (
            lambda d: d["reconstruction"].update(n_starts=-1),
            r"reconstruction\.n_starts: Input should be greater than 0 \(got -1\)",
        ),
        (lambda d: d["reconstruction"].update(n_strats=3), r"reconstruction\.n_strats: unknown key \(typo\?\)"),
        (
            lambda d: d["reconstruction"].update(tolerance_rel="1%"),
            r"reconstruction\.tolerance_rel: Input should be a valid number.*'1%'",
        ),
        (
            lambda d: d["risk"].update(hpi_form="mohan"),
            r"risk\.hpi_form: Input should be 'normalised' or 'unnormalised'",
        ),
        (
            lambda d: d["reconstruction"]["weights"].update(mean=0),
            r"reconstruction\.weights\.mean: Input should be greater than 0",
        ),
        (lambda d: d["figures"].update(formats=["jpg"]), r"figures\.formats\.0: Input should be 'pdf', 'png' or 'svg'"),
        (lambda d: d.pop("risk"), r"risk: required key is missing"),
        (lambda d: d["figures"].update(risk_profile="x"), r"figures\.risk_profile: unknown key"),
    ],
)
def test_malformed_params(tmp_path, mutate, message):
    p = _bad(tmp_path, mutate)
    with pytest.raises(ConfigError) as exc:
        config.load(p)
    assert str(p) in str(exc.value)
    assert re.search(message, str(exc.value)), str(exc.value)


def test_yaml_syntax_error_names_line(tmp_path):
    p = _bad(tmp_path, text="figures:\n  dpi: 1\nreconstruction: [1, 2\n")
    with pytest.raises(ConfigError, match=r"params\.yaml: not valid YAML \(line \d+, column \d+\)"):
        config.load(p)


def test_top_level_must_be_mapping(tmp_path):
    with pytest.raises(ConfigError, match="expected a mapping of keys at the top level, got list"):
        config.load(_bad(tmp_path, text="- 1\n- 2\n"))


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found"):
        config.load(tmp_path / "nope.yaml")


def test_environment_yml_mirrors_requirements():
    """Every package pinned in environment.yml has the same version in requirements.txt."""
    req = {}
    for line in (paths.ROOT / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, ver = line.split("==")
            req[name.lower().replace("_", "-")] = ver.strip()
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text())
    pins = [d for d in env["dependencies"] if isinstance(d, str) and "=" in d and not d.startswith("python=")]
    assert len(pins) >= 10
    for d in pins:
        name, ver = d.split("=")
        key = name.lower().replace("_", "-")
        assert req.get(key) == ver, f"environment.yml {d} vs requirements.txt {req.get(key)}"
