"""The consistency checks measured as an instrument: typos must be flagged, rounding must not."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

from tarimhm.reported import Record, Reported
from tarimhm.sites import checker
from tarimhm.sites.consistency import CHECKS, checks_frame, run_checks

SOIL = {"Zn": 64.67, "Cu": 21.73, "Pb": 18.39, "As": 13.65, "Cd": 0.27}  # Sect. 3.1 ¶2, mg/kg; sum 118.71
WATER = {"Zn": 7.74, "As": 4.38, "Cu": 3.98, "Cd": 2.29, "Pb": 1.07}  # µg/L; sum 19.46


def _rec(rid, locator, quantity, medium, value, metal=None, stat="mean"):
    return Record(
        id=rid,
        locator=locator,
        quantity=quantity,
        medium=medium,
        group="none",
        metal=metal,
        site=None,
        stat=stat,
        cls=None,
        lower=None,
        upper=None,
        value=value,
        unit="mg/kg" if medium == "soil" else "µg/L",
        unit_interpreted="mg/kg" if medium == "soil" else "µg/L",
        note=None,
    )


@pytest.fixture(scope="module")
def tiny():
    """Only the ΣHMs identity (check 1-2): ten metal means and the two ΣHMs means, both consistent."""
    recs = [_rec(f"mean.soil.{m}", "Sect. 3.1 ¶2", "concentration", "soil", v, m) for m, v in SOIL.items()]
    recs += [_rec(f"mean.water.{m}", "Sect. 3.1 ¶2", "concentration", "water", v, m) for m, v in WATER.items()]
    recs += [
        _rec("sum.soil", "Sect. 3.1 ¶1", "sum_hm", "soil", 118.71),
        _rec("sum.water", "Sect. 3.1 ¶1", "sum_hm", "water", 19.46),
    ]
    return Reported(recs, None, [], {}, Path("no-such-reported.yaml"))


def _case(rep, rid, value, kind="digit_swap"):
    i = next(j for j, r in enumerate(rep.records) if r.id == rid)
    return checker.Case("mutant" if kind != "rounding" else "clean", kind, i, rid, "", value)


def test_tiny_typo_flagged_rounding_not(tiny):
    inst = checker._instrument(tiny, 0.01)
    assert "_sum_vs_means" not in inst.skipped and "_hpi_w3_vs_standard" in inst.skipped  # no Table 1 here
    # the only passing checks: the two ΣHMs identities (class shares of an empty Table 5/6 sum to 0, not 100)
    assert {cid for cid in inst.base if inst.passing(cid)} == {
        "soil.sum_mean_vs_metal_means",
        "water.sum_mean_vs_metal_means",
    }
    assert inst.texts[0] == "64.67"  # no YAML behind this catalogue: repr(value)
    # Zn 64.67 -> 46.67 (digit swap): sum 100.71 vs 118.71, |rel| = 18/100.71 = 17.9 % > 1 %
    assert ("digit_swap", "64.67 -> 46.67", 46.67) in checker.typos("64.67")
    row = checker._evaluate_case(inst, _case(tiny, "mean.soil.Zn", 46.67))
    assert row["flagged"] and row["flagged_by"] == "soil.sum_mean_vs_metal_means"
    assert row["families"] == ("sums",) and not row["masked"]
    # Zn 64.67 -> 64.674 prints as 64.67: sum 118.714, |rel| = 0.004 %: no alarm
    assert checker._half_unit("64.67") == pytest.approx(0.005)
    row = checker._evaluate_case(inst, _case(tiny, "mean.soil.Zn", 64.674, "rounding"))
    assert not row["flagged"] and not row["warned"] and row["families"] == ("sums",)
    # wrong unit on the water sum (19.46 -> 0.01946): flagged; a dropped trailing digit of Cd (0.27 -> 0.2)
    # moves the soil sum by 0.07 / 118.64 = 0.06 %, inside the 1 % tolerance: escapes
    assert checker._evaluate_case(inst, _case(tiny, "sum.water", 0.01946, "wrong_unit"))["flagged"]
    assert not checker._evaluate_case(inst, _case(tiny, "mean.soil.Cd", 0.2, "dropped_digit"))["flagged"]


def test_typos_of_printed_text():
    t = checker.typos("118.71")
    assert {(k, v) for k, _, v in t if k == "digit_swap"} == {("digit_swap", 181.71), ("digit_swap", 118.17)}
    assert {v for k, _, v in t if k == "dropped_digit"} == {18.71, 11.71, 118.1, 118.7}  # either leading 1: one typo
    assert {v for k, _, v in t if k == "decimal_shift"} == {1187.1, 11.871}
    assert {v for k, _, v in t if k == "wrong_unit"} == {118710.0, 0.11871}
    assert [v for k, _, v in t if k == "sign_flip"] == [-118.71]
    assert not [x for x in checker.typos("0.33") if x[0] == "digit_swap"]  # 33 swapped is 33
    assert 0.5 not in {v for _, _, v in checker.typos("0.5")}  # ".5" is 0.5: skipped
    assert {v for k, _, v in checker.typos("1.0e-4") if k == "dropped_digit"} == {0.0}  # "1.e-4" is unchanged
    assert checker._half_unit("1.0e-4") == pytest.approx(5e-6)
    assert checker._half_unit("99.00") == pytest.approx(0.005)


def test_printed_texts_keep_trailing_zeros(rep):
    texts = checker.printed_texts(rep)
    assert len(texts) == len(rep.records)
    by_id = dict(zip((r.id for r in rep.records), texts, strict=True))
    assert by_id["abs:abstract.sum_hm.water.max"] == "99.00"
    assert all(float(t) == r.value for t, r in zip(texts, rep.records, strict=True))


def test_sections_equal_run_checks_and_fast_catalogue_equals_plain(rep):
    assert checks_frame([c for f in CHECKS for c in f(rep, 0.01)]).equals(checks_frame(run_checks(rep)))
    assert {f.__name__ for f in CHECKS} == set(checker.FAMILIES)  # every check section has a family
    inst = checker._instrument(rep, 0.01)
    assert inst.skipped == []
    for c in checker.mutants(rep, 25, 3, _inst=inst):
        fast = checker._with_value(rep, c.index, c.value, inst.memo)
        plain = checker._with_value(rep, c.index, c.value)
        assert type(plain) is Reported and isinstance(fast, Reported)
        try:
            want = checks_frame(run_checks(plain))
        except Exception as exc:  # noqa: BLE001 - then the fast catalogue must raise the same
            with pytest.raises(type(exc)):
                run_checks(fast)
            continue
        pd.testing.assert_frame_equal(checks_frame(run_checks(fast)), want)


def test_clopper_pearson_equals_scipy():
    lo, hi = checker.clopper_pearson(807, 994)
    ci = stats.binomtest(807, 994).proportion_ci(method="exact")
    assert (lo, hi) == (ci.low, ci.high)
    # k = n: lower bound (alpha/2)^(1/n) = 0.025^(1/10) = 0.69150
    assert checker.clopper_pearson(10, 10) == pytest.approx((0.025 ** (1 / 10), 1.0))
    assert checker.clopper_pearson(0, 0) != checker.clopper_pearson(0, 0)  # NaN


def test_deterministic(rep):
    a = checker.validate_checker(rep, 0.01, n=150, seed=7)
    b = checker.validate_checker(rep, 0.01, n=150, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert [c.value for c in checker.mutants(rep, 50, 7)] == [c.value for c in checker.mutants(rep, 50, 7)]
    assert [c.value for c in checker.mutants(rep, 50, 7)] != [c.value for c in checker.mutants(rep, 50, 8)]


@pytest.fixture(scope="module")
def cases(rep):
    return checker.evaluate(rep, 0.01, checker.N_MUTANTS, checker.SEED)


@pytest.fixture(scope="module")
def summary(cases):
    return checker.summarise(cases, list(dict.fromkeys(checker.FAMILIES.values())))


def test_cases_on_the_paper(rep, cases, summary):
    mut = cases[cases["case"] == "mutant"]
    assert len(mut) == checker.N_MUTANTS >= 1000
    assert set(mut["kind"]) == set(checker.TYPO_KINDS)
    assert (mut["value"] != mut["record_id"].map({r.id: r.value for r in rep.records})).all()
    clean = cases[cases["case"] == "clean"]
    assert len(clean) == checker.N_MUTANTS and (cases["case"] == "paper").sum() == 1
    assert not cases.loc[cases["case"] == "paper", "flagged"].any()
    a = summary.set_index(["family", "typo_kind"]).loc[("all", "all")]
    assert a.mutants + a.masked == (mut["n_checks"] > 0).sum()
    # the checks the paper fails are listed apart and can raise no alarm
    fails = checker.baseline_failures(rep, 0.01)
    assert set(fails["check_id"]) == {c.check_id for c in run_checks(rep) if c.verdict == "contradiction"}
    flagged_by = {cid for s in cases["flagged_by"] for cid in s.split(";") if cid}
    assert not flagged_by & set(fails["check_id"])


@pytest.mark.xfail(
    reason="measured on the paper (n = 1200, seed 14): sensitivity 0.812 [0.786, 0.836]; escapes: pearson_vs_loadings "
    "can only say 'approximate', map min/max checks are one-sided bounds, risk ratios are graded (within 5 tol is "
    "'approximate'), and 1 % relative tolerances let dropped or swapped last digits through (dropped_digit 0.73, "
    "digit_swap 0.80, sign_flip 0.81, decimal_shift 0.87, wrong_unit 0.90)",
    strict=True,
)
def test_sensitivity_for_identity_changing_typos(summary):
    a = summary.set_index(["family", "typo_kind"]).loc[("all", "all")]
    assert a.sensitivity >= 0.95


def test_measured_values(summary):
    s = summary.set_index(["family", "typo_kind"])
    assert s.loc[("duplicates", "all"), "sensitivity"] == 1.0
    assert s.loc[("duplicates", "all"), "specificity"] == 0.0  # exact equality: rounding noise always fails
    assert s.loc[("hpi_bounds", "all"), "mutants"] == 0  # every HPI check already fails on the paper
