"""Structured verdicts (tarimhm.audit): classes worked by hand, the row schema refused when broken."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tarimhm.audit import (
    AUDIT_COLUMNS,
    CLASSES,
    Verdict,
    by_construction,
    check_audit,
    share_verdict,
    verdict,
    within,
)


@pytest.mark.parametrize(
    "reported,reproduced,text,cls",
    [
        (100.0, 100.5, "reproduced", "reproduced"),  # +0.5 % <= 1 %
        (100.0, 100.9, "reproduced", "reproduced"),
        (100.0, 101.0, "reproduced", "reproduced"),  # exactly 1 %: 101 / 100 - 1 = 0.010000000000000009 in floats
        (100.0, 101.01, "reproduced within 3 %", "within 3 %"),  # +1.01 %
        (100.0, 99.0, "reproduced", "reproduced"),
        (100.0, 103.0, "reproduced within 3 %", "within 3 %"),  # exactly 3 %
        (100.0, 103.01, "differs by +3 %", "differs"),
        (100.0, 102.5, "reproduced within 3 %", "within 3 %"),
        (100.0, 97.5, "reproduced within 3 %", "within 3 %"),
        (100.0, 150.0, "differs by +50 %", "differs"),
        (8.0, 2.0, "differs by -75 %", "differs"),
        (0.0, 0.0, "reproduced", "reproduced"),
        (0.0, 0.2, "differs (reproduced 0.2, reported 0)", "differs"),
        (1.0, math.nan, "cannot be reproduced", "cannot be reproduced"),
    ],
)
def test_relative_verdicts_by_hand(reported, reproduced, text, cls):
    assert verdict(reported, reproduced) == Verdict(text, cls)


def test_share_verdicts_compare_whole_sites():
    # 30 % of 10 sites = 3 sites; 31 % rounds to the same 3 sites, 50 % is 5 sites
    assert share_verdict(30.0, 31.0, 10) == ("reproduced", "reproduced")
    assert share_verdict(30.0, 50.0, 10) == ("differs (5 vs 3.0 of 10 sites)", "differs")


def test_absolute_verdicts_and_fitted_basis():
    assert within(0.80, 0.815, 0.02) == ("reproduced", "reproduced")
    assert within(0.80, 0.85, 0.02) == ("differs by +0.050", "differs")
    fitted = "by construction (fitted in the reconstruction)"
    assert by_construction(verdict(1.0, 1.0), fitted).cls == "reproduced by construction"
    assert by_construction(verdict(1.0, 1.0), "independent of the fit").cls == "reproduced"
    assert by_construction(verdict(1.0, 2.0), fitted).cls == "differs"  # a difference stays a difference
    assert {v.cls for v in (verdict(1, 1), verdict(1, 1.02), verdict(1, 2), verdict(1, math.nan))} <= set(CLASSES)


def test_audit_row_schema_is_enforced():
    row = {c: [""] for c in AUDIT_COLUMNS} | {"verdict_class": ["reproduced"]}
    check_audit(pd.DataFrame(row))
    with pytest.raises(ValueError, match=r"x.csv: audit rows lack column\(s\) \['basis'\]"):
        check_audit(pd.DataFrame(row).drop(columns="basis"), "x.csv")
    with pytest.raises(ValueError, match="unknown verdict class"):
        check_audit(pd.DataFrame(row | {"verdict_class": ["close enough"]}))


def test_igeo_verdict_uses_the_printed_rounding(rep):
    """Igeo is printed to two decimals near zero: reproduced when it rounds to the print, not within 1 %."""
    from tarimhm.risk.audit import _row

    r = rep["s3.4.1p2:igeo.soil.As.S1.value"]  # printed 0.33
    assert _row(r, "p", 0.3259, "m")["verdict_class"] == "reproduced"  # 1.2 % off, but rounds to 0.33
    assert _row(r, "p", 0.3249, "m")["verdict_class"] == "differs"  # rounds to 0.32


def test_within_float_edge():
    from tarimhm.audit import within

    assert within(0.80, 0.78, 0.02).cls == "reproduced"  # |d| = 0.020000000000000018 in floating point
    assert within(0.80, 0.7799, 0.02).cls == "differs"
