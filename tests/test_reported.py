"""paper/reported.yaml: schema, completeness per locator, spot values, malformed files."""

from __future__ import annotations

import pytest
import yaml

from tarimhm import paths, reported
from tarimhm._errors import ReportedError

# Entries per locator. A number deleted or added by mistake changes a count and fails here;
# a deliberate change updates this table in the same commit.
EXPECTED_COUNTS = {
    "Abstract": 17,
    "Sect. 1 ¶4": 4,
    "Sect. 2.1": 9,
    "Sect. 2.2.1": 14,
    "Table 1": 15,
    "Sect. 2.3.1 (1)": 9,
    "Sect. 2.3.1 (2)": 2,
    "Sect. 2.3.1 (3)": 11,
    "Sect. 2.3.1 (4)": 3,
    "Table 4": 30,
    "Sect. 2.3.2 ¶Eq. 11-12": 12,
    "Sect. 2.3.2 ¶HI/TCR": 5,
    "Sect. 2.3.3": 11,
    "Sect. 3.1 ¶1": 11,
    "Sect. 3.1 ¶2": 10,
    "Sect. 3.1 ¶3": 10,
    "Sect. 3.2.1 ¶1": 8,
    "Sect. 3.2.1 ¶2": 6,
    "Sect. 3.2.2": 20,
    "Table 5": 25,
    "Sect. 3.2.3": 17,
    "Table 6": 25,
    "Table 7": 16,
    "Table 8": 8,
    "Sect. 3.3.1 ¶1": 4,
    "Sect. 3.3.1 ¶2": 2,
    "Sect. 3.3.2 ¶1": 5,
    "Sect. 3.3.2 ¶2": 6,
    "Sect. 3.4.1 ¶2": 17,
    "Sect. 3.4.1 ¶3": 4,
    "Sect. 3.4.2 (1) ¶1": 20,
    "Sect. 3.4.2 (1) ¶2": 4,
    "Sect. 3.4.2 (2) ¶1": 8,
    "Sect. 3.4.2 (2) ¶2": 6,
    "Sect. 3.4.3 ¶1": 15,
    "Sect. 4.1 ¶1": 4,
    "Sect. 4.1 ¶2": 2,
    "Sect. 4.1 ¶3": 2,
    "Sect. 4.1.1": 8,
    "Sect. 4.2 ¶1": 2,
    "Sect. 4.2 ¶2": 12,
    "Sect. 4.2 ¶3": 2,
    "Sect. 4.2.1": 19,
    "Table 9": 32,
    "Sect. 4.3": 19,
    "Table 10": 13,
}


def test_at_least_250_numbers(rep):
    assert len(rep) >= 250


def test_counts_per_locator(rep):
    assert rep.counts_by_locator() == EXPECTED_COUNTS


@pytest.mark.parametrize(
    "table,n",
    [
        ("Table 1", 15),
        ("Table 4", 30),
        ("Table 5", 25),
        ("Table 6", 25),
        ("Table 7", 16),
        ("Table 8", 8),
        ("Table 9", 32),
    ],
)
def test_every_table_present(rep, table, n):
    assert len(rep.find(locator=table)) == n


@pytest.mark.parametrize(
    "filters,value",
    [
        ({"locator": "Table 1", "quantity": "background", "metal": "Cd"}, 0.12),
        ({"locator": "Table 1", "quantity": "standard_V", "metal": "Zn"}, 2000),
        ({"locator": "Table 4", "quantity": "rf_r2", "medium": "soil", "metal": "Cd"}, 0.997),
        ({"locator": "Table 4", "quantity": "rf_rmse", "medium": "water", "metal": "Zn"}, 2.443),
        ({"locator": "Table 5", "metal": "Zn", "cls": 2}, 25.10),
        ({"locator": "Table 6", "metal": "Pb", "cls": 5}, 3.34),
        ({"locator": "Table 7", "quantity": "pca_loading", "metal": "Cd", "cls": 1}, -0.225),
        ({"locator": "Table 8", "quantity": "pca_eigenvalue"}, 3.592),
        ({"locator": "Sect. 3.1 ¶1", "medium": "soil", "site": "S1"}, 191.32),
        ({"locator": "Sect. 3.1 ¶1", "medium": "water", "site": "W9"}, 23.43),
        ({"locator": "Sect. 3.4.1 ¶2", "metal": "Cd", "site": "S10"}, 2.85),
        ({"locator": "Sect. 3.4.2 (1) ¶1", "group": "child", "metal": "As", "stat": "max"}, 1.09),
        ({"locator": "Sect. 3.4.3 ¶1", "group": "adult", "metal": "Cd", "stat": "max"}, 6.85e-4),
        ({"locator": "Sect. 3.3.2 ¶2", "metal": "Cu-Cd"}, 0.994),
    ],
)
def test_spot_values(rep, filters, value):
    assert rep.value(**filters) == pytest.approx(value, rel=1e-12)


def test_units_kept_as_printed(rep):
    r = rep.one(locator="Table 6", metal="As", cls=1)
    assert r.unit == "μg/kg" and r.unit_interpreted == "µg/L"


def test_table2_fifth_column_is_zn(rep):
    s = rep.splits
    assert s.header_as_printed[4] == "Cd" and s.header_interpreted[4] == "Zn"
    assert s.soil["Zn"].validation == ["S3", "S4", "S6"]
    for med, n_sites in (("soil", 10), ("water", 9)):
        for metal, sp in getattr(s, med).items():
            assert len(sp.train) + len(sp.validation) == n_sites, (med, metal)
            assert len(set(sp.train) | set(sp.validation)) == n_sites


def test_ids_unique_and_locators_everywhere(rep):
    ids = [r.id for r in rep.records]
    assert len(ids) == len(set(ids))
    assert all(r.locator and r.unit for r in rep.records)


def test_errata_listed(rep):
    assert {"table2_header", "table6_unit", "eq14_unnormalised"} <= {e.id for e in rep.errata}


def test_lookup_errors_are_specific(rep):
    with pytest.raises(ReportedError, match="expected exactly one reported number.*found 0"):
        rep.value(locator="Table 1", quantity="background", metal="Hg")
    with pytest.raises(ReportedError, match="found 5"):
        rep.value(locator="Table 1", quantity="background")


def _write(tmp_path, mutate):
    data = yaml.safe_load(paths.REPORTED.read_text(encoding="utf-8"))
    mutate(data)
    p = tmp_path / "reported.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda d: d["blocks"][0].pop("locator"), r"blocks\.0\.locator: required key is missing"),
        (lambda d: d["blocks"][0]["items"][0].update(value="n/a"), r"blocks\.0\.items\.0\.value: .*number"),
        (
            lambda d: d["blocks"][0].update(medium="air"),
            r"blocks\.0\.medium: Input should be 'soil', 'water' or 'none'",
        ),
        (lambda d: d["blocks"].append(dict(d["blocks"][0])), r"duplicate id abs:abstract\.sum_hm\.soil\.mean"),
        (lambda d: d["blocks"][0].update(unitt="mg"), r"blocks\.0\.unitt: unknown key"),
        (lambda d: d["splits"]["soil"]["As"].update(validation=["S1"]), r"train and validation overlap"),
    ],
)
def test_malformed_reported_yaml(tmp_path, mutate, message):
    p = _write(tmp_path, mutate)
    with pytest.raises(ReportedError, match=message):
        reported.load(p)


def test_unknown_metal_rejected(tmp_path):
    def mutate(d):
        d["blocks"].append(
            {
                "locator": "Table 99",
                "quantity": "x",
                "medium": "soil",
                "unit": "1",
                "stat": "value",
                "values": {"Hg": 1.0},
            }
        )

    with pytest.raises(ReportedError, match=r"Table 99.*metal 'Hg' unknown"):
        reported.load(_write(tmp_path, mutate))
