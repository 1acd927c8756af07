"""The reproduction report: element registry, verdict classes, one row per printed number."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tarimhm import ConfigError, paths
from tarimhm.audit import CLASSES
from tarimhm.report import collect_numbers, element_rows, load_elements, render_report


def test_registry_lists_every_numbered_table_and_figure(rep):
    els = load_elements(rep=rep)
    names = [e.element for e in els]
    # the paper numbers Tables 1-10 and Figs 1-16 (captions in ../shared/paper)
    assert [n for n in names if n.startswith("Table ")] == [f"Table {k}" for k in range(1, 11)]
    assert [n for n in names if n.startswith("Fig. ")] == [f"Fig. {k}" for k in range(1, 17)]
    for e in els:
        assert (e.role == "result") == (e.why is None or e.element.startswith("Tables S")), e.element
        assert not e.outputs or e.make, f"{e.element}: outputs without a make target"


@pytest.mark.parametrize(
    "text,message",
    [
        (
            "elements:\n  - {element: 'Table 1', caption: 'x y z', role: result, locators: ['Table 11']}\n",
            r"elements\.yaml: Table 1: locator\(s\) \['Table 11'\] are not in reported\.yaml",
        ),
        ("elements:\n  - {element: 'Table 1', caption: 'x y z', role: figure}\n", r"elements\.0\.role"),
        ("elements:\n  - {element: 'Tab 1', caption: 'x y z', role: result}\n", r"elements\.0\.element"),
    ],
)
def test_registry_errors_name_file_and_field(rep, tmp_path, text, message):
    p = tmp_path / "elements.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_elements(p, rep)
    assert re.search(message, str(exc.value)), str(exc.value)


def _audits(d):
    d.mkdir(parents=True)
    # every audit file has the row schema of tarimhm.audit: the report reads the class, never the text
    st = "reconstructed+surrogate"
    pd.DataFrame(
        [
            {
                "reported_id": "s3.1p1:sum_hm.soil.mean",
                "reported": 118.7,
                "reproduced": 118.71,
                "verdict": "reproduced",
                "verdict_class": "reproduced by construction",
                "basis": "fitted",
                "data_status": st,
            },
            {
                "reported_id": "s3.1p1:sum_hm.soil.min",
                "reported": 95.0,
                "reproduced": 90.0,
                "verdict": "differs by -5 %",
                "verdict_class": "differs",
                "basis": "independent",
                "data_status": st,
            },
        ]
    ).to_csv(d / "statistics.csv", index=False)
    pd.DataFrame(
        [
            {
                "reported_id": "s3.4.3p1:cr.water.adult.As.min",
                "profile": p,
                "reported": 9e-6,
                "reproduced": v,
                "verdict": vd,
                "verdict_class": c,
                "basis": "independent",
                "data_status": st,
            }
            for p, v, vd, c in (
                ("paper_as_stated", 1e-5, "differs by +11 %", "differs"),
                ("paper_reproducing", 8.97e-6, "reproduced", "reproduced"),
            )
        ]
    ).to_csv(d / "risk.csv", index=False)
    pd.DataFrame(
        [
            {
                "reported_id": "tab4:rf_mae.soil.Cd.value",
                "reported": 0.007,
                "reproduced": 0.5,
                "data_status": st,
                "verdict": "cannot be reproduced from what was published: surrogate; differs by +7000 %",
                "verdict_class": "cannot be reproduced",
                "basis": "coincidence",
            }
        ]
    ).to_csv(d / "rf.csv", index=False)
    pd.DataFrame(
        [
            {
                "medium": "soil",
                "metal": "As",
                "class": 1,
                "paper_pct": 34.1,
                "ours_pct": 0.0,
                "reported": 34.1,
                "reproduced": 0.0,
                "reported_id": "tab5:map_class.soil.As.share.c1",
                "verdict": "cannot be reproduced from what was published: surrogate",
                "verdict_class": "cannot be reproduced",
                "basis": "",
                "data_status": st,
                "ours": None,
            },
            {
                "medium": "soil",
                "metal": "As",
                "class": None,
                "paper_pct": None,
                "ours_pct": None,
                "reported": None,
                "reproduced": 1.0,
                "reported_id": None,
                "verdict": "not in the paper",
                "verdict_class": "not audited",
                "basis": "",
                "data_status": st,
                "ours": 1.0,
            },
        ]
    ).to_csv(d / "maps_soil.csv", index=False)


def test_every_printed_number_gets_one_row_and_a_class(rep, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "AUDIT", tmp_path / "audit")
    monkeypatch.setattr(paths, "DATA_DERIVED", tmp_path / "data_derived")
    _audits(paths.AUDIT)
    nums, used, statuses = collect_numbers(rep, "paper_reproducing")
    assert len(nums) == len(rep) and nums.reported_id.is_unique and set(nums["class"]) <= set(CLASSES)
    assert set(statuses) == {"reconstructed+surrogate"}  # every audit row carries its data status
    assert [u.name for u in used] == ["statistics.csv", "risk.csv", "rf.csv", "maps_soil.csv"]
    n = nums.set_index("reported_id")
    assert n.loc["s3.1p1:sum_hm.soil.mean", "class"] == "reproduced by construction"
    assert n.loc["s3.1p1:sum_hm.soil.min", "class"] == "differs"
    # the risk audit is read under the profile asked for, not the first one in the file
    assert n.loc["s3.4.3p1:cr.water.adult.As.min", "class"] == "reproduced"
    # Sect. 3.2.1 prints the Table 4 MAE again: it inherits the verdict of its audited twin
    twin = n.loc["s3.2.1p1:text.rf_mae.soil.Cd.value"]
    assert twin["class"] == "cannot be reproduced" and twin.basis == "coincidence"
    assert twin.basis_detail == "same printed number as tab4:rf_mae.soil.Cd.value"
    # every audited number says on what it rests and in how many members its verdict holds
    assert n.loc["s3.1p1:sum_hm.soil.mean", "basis"] == "fitted"
    assert n.loc["s3.1p1:sum_hm.soil.min", ["holds_k", "n_members"]].tolist() == [1, 1]
    assert n.loc["s3.1p1:sum_hm.soil.min", "invariance"] == "member 0 only"
    assert pd.isna(n.loc["s3.1p1:sum_hm.soil.max", "n_members"])
    assert (n.loc[n.locator == "Table 10", "class"] == "not computable").all()
    assert (n.loc[n.locator == "Table 1", "class"] == "input").all()
    assert n.loc["s3.1p1:sum_hm.soil.max", "class"] == "not audited"
    assert n.loc["tab5:map_class.soil.As.share.c1", "reproduced"] == 0.0
    assert n.loc["tab5:map_class.soil.As.share.c1", "class"] == "cannot be reproduced"
    monkeypatch.setattr(paths, "TABLES", tmp_path / "tables")
    els = element_rows(load_elements(rep=rep), nums).set_index("element")
    assert els.loc["Table 4", "verdict"] == "not built yet (`make tab4`)"
    assert els.loc["Fig. 2", "verdict"].startswith("cannot be reproduced: A workflow drawing")
    assert els.loc["Table 10", "printed_numbers"] == 13


def test_render_report(rep, params, tmp_path, monkeypatch, derived):
    monkeypatch.setattr(paths, "AUDIT", tmp_path / "audit")
    monkeypatch.setattr(paths, "REPORT", tmp_path / "paper" / "REPORT.md")
    _audits(paths.AUDIT)
    files = render_report(params, rep, paths.ANALYSIS / "300_report.py")
    md = files[-1].read_text(encoding="utf-8")
    assert f"## The {len(rep)} printed numbers" in md and "**Data status: reconstructed+surrogate.**" in md
    assert "| Fig. 16 | Policy recommendations (drawing) | - | 19 | cannot be reproduced:" in md
    nums = pd.read_csv(files[0], comment="#")
    assert len(nums) == len(rep) and (files[0].parent / "numbers.csv.provenance.json").exists()


def test_geography_audit_of_sect_2_1(rep):
    """The five-prefecture basin against Sect. 2.1; area checked against an equal-area projection."""
    import numpy as np
    import shapely
    from pyproj import Transformer

    from tarimhm import geo
    from tarimhm.sites.audit import audit_geography

    a = audit_geography(rep).set_index(["quantity", "stat"])
    to_ea = Transformer.from_crs(
        "EPSG:4326", "+proj=aea +lat_1=36 +lat_2=42 +lon_0=84 +datum=WGS84", always_xy=True
    ).transform
    albers = shapely.transform(geo.basin(), lambda xy: np.column_stack(to_ea(xy[:, 0], xy[:, 1]))).area / 1e12
    assert a.loc[("basin_area", "value"), "reproduced"] == pytest.approx(albers, rel=2e-3)
    assert a.loc[("basin_area", "value"), "reproduced"] == pytest.approx(1.0335, rel=1e-3)  # vs printed 1.05
    assert a.loc[("basin_area", "value"), "verdict"] == "reproduced within 3 %"
    assert a.loc[("basin_area", "value"), "verdict_class"] == "within 3 %"
    assert a.loc[("n_prefectures", "value"), "verdict"] == "reproduced"
    assert a.loc[("basin_lon", "min"), "verdict"] == "reproduced"  # 73.50 E -> 73
    assert a.loc[("basin_lon", "max"), "verdict"].startswith("differs: the five-prefecture basin ends at 93.82")


def test_headline_separates_the_bases():
    from tarimhm.report import _basis_table

    nums = pd.DataFrame(
        {
            "basis": ["independent", "independent", "fitted", "calibrated", "coincidence", "input", ""],
            "class": [
                "reproduced",
                "differs",
                "reproduced by construction",
                "reproduced by construction",
                "agrees by coincidence",
                "input",
                "not audited",
            ],
        }
    )
    rows = {ln.split("|")[1].strip(): ln for ln in _basis_table(nums)[2:]}
    # independent: 2 numbers, 1 reproduced, 1 differs; inputs and unaudited numbers are not counted
    assert [c.strip() for c in rows["**independent**"].split("|")[2:-1]] == ["2", "1", "", "", "1"]
    assert [c.strip() for c in rows["**coincidence**"].split("|")[2:-1]] == ["1", "", "", "1", ""]
    assert set(rows) == {f"**{b}**" for b in ("independent", "fitted", "calibrated", "follows_from_fit", "coincidence")}


def test_report_answers_the_validation_question(rep, params, tmp_path, monkeypatch, derived):
    """The report's section on stage 061 reads paper/audit/rf_validation.csv and counts from it."""
    monkeypatch.setattr(paths, "AUDIT", tmp_path / "audit")
    monkeypatch.setattr(paths, "REPORT", tmp_path / "paper" / "REPORT.md")
    _audits(paths.AUDIT)
    row = {
        "medium": "soil", "metal": "As", "n_sites": 10, "printed_R2": 0.408, "p_b": 0.02, "p_c": 0.3,
        "p_c_adj": 0.6, "holdout_R2_ours": -8.0, "LOSO_R2_nested": -0.37, "nested_ci_lo": -4.9,
        "nested_ci_hi": -0.26, "LOSO_R2_nonnested": -0.28, "nonnested_ci_lo": -5.5, "nonnested_ci_hi": -0.1,
        "p_a": 0.9, "p_a_adj": 1.0, "beats_chance": False, "ridge_LOSO_R2": -0.9, "mean_LOSO_R2": -0.235,
        "beats_ridge": False, "NNDM_geographic_R2": -0.97, "NNDM_feature_R2": -0.74, "region_out_R2": -0.47,
        "n_permutations": 999, "n_split_permutations": 199, "n_members": 200, "ci_level": 0.9,
        "data_status": "reconstructed+surrogate", "answer": "printed R² 0.408: ...",
    }  # fmt: skip
    pd.DataFrame([row, {**row, "metal": "Cd", "p_c_adj": 0.01}]).to_csv(paths.AUDIT / "rf_validation.csv", index=False)
    md = render_report(params, rep, paths.ANALYSIS / "300_report.py")[-1].read_text(encoding="utf-8")
    assert "### Could the printed validation R² arise by chance?" in md
    assert "(999 permutations; 199 for the split-selection null" in md
    assert "**1 of the 2 printed R²** are consistent with chance" in md and "**0 of 2 models beat chance**" in md
    assert "| soil As | 0.408 | 0.02 | 0.3 | 0.6 | -0.37 [-4.9, -0.26] | -0.28 | 1 | no | -0.9 | -0.97 |" in md
