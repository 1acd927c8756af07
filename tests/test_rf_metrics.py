"""Table 4 metrics and the basis of the RF, map, geography and sensitivity audits, worked by hand (issue 14)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score

from tarimhm.audit import BASES, CLASSES, check_audit
from tarimhm.domain import METALS, TABLE_METALS
from tarimhm.rf.audit import R2_TOL, audit_rf, metric_verdict
from tarimhm.rf.validation import R2_VARIANCE_FLOOR, accuracy, r2_undefined

SURROGATE = "reconstructed+surrogate"


def test_r2_undefined_for_equal_validation_values():
    # three soil Cd validation values of the reconstruction, equal to 4 significant digits (0.1212 mg/kg):
    # deviations from the mean 0.12119867 are +1/3, +1/3, -2/3 x 1e-6 -> s² = (6/9 x 1e-12) / 2 = 3.33e-13,
    # far below the floor 1e-6 x 0.1212² = 1.47e-8; R² would be -2.7e11 with a prediction of 0.37
    y = [0.121199, 0.121199, 0.121198]
    a = accuracy(y, [0.366, 0.366, 0.366], "mg/kg")
    assert math.isnan(a["R2"])
    assert a["R2_note"].startswith("undefined: variance of the validation values 3.3e-13 (mg/kg)² below the floor")
    assert r2_score(y, [0.366] * 3) < -1e10  # what the formula alone gives
    assert a["MAE"] == pytest.approx(0.366 - np.mean(y)) and a["RMSE"] == pytest.approx(a["MAE"], rel=1e-6)
    assert math.isnan(accuracy([0.1212] * 3, [0.1, 0.2, 0.3])["R2"])  # exactly equal: variance 0
    assert r2_undefined([5.0]).startswith("undefined: 1 validation value")


@pytest.mark.parametrize("e,undefined", [(9e-4, True), (1.1e-3, False)])
def test_r2_variance_floor_edge(e, undefined):
    # y = (1 - e, 1, 1 + e): s² = e², mean² = 1 -> undefined iff e² <= 1e-6, i.e. a CV of at most 0.1 %
    assert R2_VARIANCE_FLOOR == 1e-6
    assert bool(r2_undefined([1 - e, 1.0, 1 + e])) is undefined


def test_r2_of_three_points_by_hand_equals_sklearn():
    # y = (1, 2, 3), prediction (1.5, 2, 2): SS_res = 0.25 + 0 + 1 = 1.25, SS_tot = 2 -> R² = 1 - 0.625 = 0.375
    y, p = [1.0, 2.0, 3.0], [1.5, 2.0, 2.0]
    a = accuracy(y, p, "µg/L")
    assert a["R2"] == pytest.approx(0.375, abs=1e-15) == r2_score(y, p)
    assert a["MAE"] == pytest.approx(0.5) and a["RMSE"] == pytest.approx(math.sqrt(1.25 / 3))
    assert a["R2_note"] == "" and a["sd_observed"] == pytest.approx(1.0)


def test_r2_difference_is_absolute_never_a_percentage():
    assert R2_TOL == 0.02
    v = metric_verdict("R2", 0.997, 0.587, "1", "real")
    assert v.cls == "differs" and v.text.startswith("differs by -0.410 (absolute; R² 0.587 vs printed 0.997")
    assert "%" not in v.text
    assert metric_verdict("R2", 0.408, 0.42, "1", "real") == ("reproduced", "reproduced")  # +0.012 <= 0.02
    assert metric_verdict("R2", 0.408, 0.43, "1", "real").text.startswith("differs by +0.022")
    # a relative comparison would have called 0.997 -> 0.976 "within 3 %": it is 8 x the unexplained variance
    assert metric_verdict("R2", 0.997, 0.976, "1", "real").cls == "differs"
    assert metric_verdict("R2", 0.997, 0.977, "1", "real").cls == "reproduced"  # |d| = 0.02 exactly
    v = metric_verdict("R2", 0.997, math.nan, "1", "real", "undefined: variance of the validation values 0")
    assert v == ("cannot be reproduced: R² undefined: variance of the validation values 0", "cannot be reproduced")


def test_mae_rmse_verdicts_carry_units():
    v = metric_verdict("MAE", 1.555, 4.12102, "mg/kg", "real")
    assert v == ("differs by +165 % (4.12 vs printed 1.555 mg/kg)", "differs")
    v = metric_verdict("RMSE", 0.024, 4.00981, "µg/L", SURROGATE)
    assert v.cls == "cannot be reproduced" and v.text.endswith("(4.01 vs printed 0.024 µg/L)")


def test_surrogate_agreement_is_coincidence():
    v = metric_verdict("R2", 0.408, 0.42, "1", SURROGATE)
    assert v.cls == "agrees by coincidence" and "surrogate" in v.text
    assert metric_verdict("MAE", 1.555, 1.56, "mg/kg", SURROGATE).cls == "agrees by coincidence"
    assert metric_verdict("MAE", 1.555, 1.58, "mg/kg", "reconstructed").cls == "agrees by coincidence"  # within 3 %


def _metrics(status: str, r2: dict | None = None) -> pd.DataFrame:
    """A metrics.csv of stage 060 whose values equal the paper's Table 4 (read back from reported.yaml)."""
    from tarimhm import reported

    rep = reported.load()
    rows = []
    for med in ("soil", "water"):
        for m in TABLE_METALS:
            v = {c: rep.value(locator="Table 4", quantity=q, medium=med, metal=m) for c, q in
                 (("MAE", "rf_mae"), ("RMSE", "rf_rmse"), ("R2", "rf_r2"))}  # fmt: skip
            rows.append({"medium": med, "metal": m, **v, "R2_note": "", "sd_observed": 1.0, "data_status": status})
    m = pd.DataFrame(rows)
    for (med, metal), (val, note) in (r2 or {}).items():
        hit = (m.medium == med) & (m.metal == metal)
        m.loc[hit, "R2"], m.loc[hit, "R2_note"] = val, note
    return m


def test_audit_rf_basis_units_and_undefined(rep):
    note = "undefined: variance of the validation values 3.3e-13 (mg/kg)² below the floor 1.5e-08 (mg/kg)²"
    a = check_audit(audit_rf(rep, _metrics(SURROGATE, {("soil", "Cd"): (math.nan, note)})))
    assert len(a) == 30 and set(a.basis) == {"coincidence"} and set(a.basis) <= set(BASES)
    assert list(a.columns)[-1] == "basis_detail" and a.basis_detail.str.contains("surrogate").all()
    assert "reproduced" not in set(a.verdict_class)  # never on surrogate data
    assert (a.verdict_class.drop(a.index[a.reproduced.isna()]) == "agrees by coincidence").all()
    cd = a[(a.indicator == "R2") & (a.medium == "soil") & (a.metal == "Cd")].iloc[0]
    assert math.isnan(cd.reproduced) and cd.verdict_class == "cannot be reproduced" and note in cd.verdict
    units = a.groupby(["indicator", "medium"]).unit.first().to_dict()
    assert units[("MAE", "soil")] == "mg/kg" and units[("RMSE", "water")] == "µg/L" and units[("R2", "soil")] == "1"
    real = audit_rf(rep, _metrics("real"))
    assert set(real.basis) == {"independent"} and set(real.verdict_class) == {"reproduced"}


def test_table4_latex_units_and_undefined(rep, tiny, derived):
    from tarimhm import paths
    from tarimhm.rf.tables import tab4

    note = "undefined: variance of the validation values 0 (mg/kg)² below the floor 1.5e-08 (mg/kg)²"
    m = _metrics(SURROGATE, {("soil", "Cd"): (math.nan, note), ("water", "Zn"): (-138479.0, "")})
    paths.AUDIT.mkdir(parents=True)
    audit_rf(rep, m).to_csv(paths.audit_file("rf.csv"), index=False)
    t = tab4(tiny, rep)
    tex = t.latex(type("P", (), {"script": "x.py", "git_commit": "0" * 40})())
    assert r"MAE (mg/kg) & soil" in tex and r"RMSE ($\mu$g/L) & water" in tex
    assert "& 0.997 & -- &" in tex and "$R^2$ undefined" in tex  # soil Cd
    assert "$<-10$" in tex and "-138479" not in tex  # metrics.csv keeps the value
    assert "unit" in t.frame.columns
    zn = t.frame[(t.frame.indicator == "R2") & (t.frame.medium == "water") & (t.frame.metal == "Zn")].iloc[0]
    assert math.isnan(zn.reproduced) and zn.censored_below == -10  # no |R2| > 10 in tables or audits


def _r2_rows(a: pd.DataFrame) -> pd.DataFrame:
    return a[a.indicator == "R2"] if "indicator" in a else a.iloc[0:0]


def check_table4_outputs(files) -> int:
    """Invariants of the written Table 4 files; returns the number of R² rows checked.

    No R² of rounding noise: a finite R² is at most 1 and comes from a validation set above the variance
    floor, an undefined one is NaN with its reason; a difference is absolute (no %); no |R²| > 10: an R²
    below -10 is censored (``censored_below`` -10, the RMSE stated as a multiple of the spread of the
    validation values; the exact value stays in data_derived/rf/metrics.csv).
    """
    n = 0
    for f in files:
        r = _r2_rows(pd.read_csv(f, comment="#"))
        n += len(r)
        fin = r[r.reproduced.notna()]
        assert (fin.reproduced <= 1 + 1e-12).all(), f
        cens = r.censored_below.notna() if "censored_below" in r else pd.Series(False, index=r.index)
        assert r[r.reproduced.isna() & ~cens].verdict.str.contains("undefined").all(), f
        assert not r.verdict.str.contains("%", regex=False).any(), f
        assert (fin.reproduced.abs() <= 10).all(), (f, fin.reproduced.tolist())
        assert r[cens].verdict.str.contains("times the sd").all(), (f, r[cens].verdict.tolist())
    return n


def test_no_r2_of_rounding_noise_in_stored_table4():
    """paper/tables/tab4*.csv and paper/audit/rf.csv as `make all` wrote them (skipped when not built)."""
    from tarimhm import paths

    files = [*sorted(paths.TABLES.glob("tab4*.csv")), paths.audit_file("rf.csv")]
    files = [f for f in files if f.exists()]
    if not files:
        pytest.skip("Table 4 not built (make tab4)")
    assert check_table4_outputs(files) > 0


# ---------------------------------------------------------------- basis of the map, geography, sensitivity audits


@pytest.mark.parametrize(
    "status,basis", [(SURROGATE, "coincidence"), ("reconstructed", "coincidence"), ("real", "independent")]
)
def test_map_audit_basis_and_reported(rep, monkeypatch, status, basis):
    from tarimhm.maps import audit as ma
    from tarimhm.maps.stage import class_edges

    def summary(medium):
        metals = {}
        for m in TABLE_METALS:
            e = class_edges(rep, medium, m)["edges"]
            metals[m] = {"edges": e, "counts": [1] * (len(e) + 1), "n_valid": len(e) + 1, "n_domain": len(e) + 1,
                         "n_removed": 0, "p99_training": e[-1], "min": e[0], "max": e[-1]}  # fmt: skip
        return {"data_status": status, "metals": metals}

    monkeypatch.setattr(ma, "load_summary", summary)
    for med in ("soil", "water"):
        a = check_audit(ma.map_audit(rep, med, ma.class_shares(rep, med)))
        assert set(a.basis) == {basis} and a.basis_detail.str.len().gt(0).all()
        cls = a[a.quantity.isna()]  # the Table 5/6 class rows
        printed = cls[cls.reported_id.astype(bool)]
        assert len(printed) and (printed.reported == printed.paper_pct).all()  # the printed class share
        assert cls[~cls.reported_id.astype(bool)].reported.isna().all()  # "above" and "removed>P99" print none
        if status != "real":
            assert not a.verdict_class.isin(["reproduced", "within 3 %"]).any()
            agree = a[a.verdict_class == "agrees by coincidence"]
            assert agree.verdict.str.startswith("cannot be reproduced from what was published").all()


def test_geography_basis(rep):
    from tarimhm.sites.audit import audit_geography

    a = check_audit(audit_geography(rep)).set_index("quantity")
    assert set(a.basis) <= set(BASES) and a.loc["n_prefectures", "basis"] == "input"
    assert (a.drop(index="n_prefectures").basis == "independent").all()
    assert a.basis_detail.str.contains("real basin polygon|five prefectures").all()


def test_sensitivity_basis_by_hand():
    """Per-metal bounds by hand under paper_reproducing: HI and TCR are linear in C, so a site's change is a
    weighted mean of the changes of the metals alone. Water HI at -20 % IRw: exactly -20 % for every metal;
    soil TCR at +20 % ED (lifetime AT): +20 % for every carcinogen; soil child HI at IngR 330: 65 % of each
    metal's ingestion share, which differs between metals (Cd has a large dermal share)."""
    from tarimhm.risk.profiles import load_profile
    from tarimhm.uncertainty.sensitivity import claim_basis, metal_bounds

    prof = load_profile("paper_reproducing")
    w = metal_bounds(prof, ("ingestion_minus_20",), "water", None, ("HI",))
    np.testing.assert_allclose(w[["min", "max"]].to_numpy(), -20.0, rtol=1e-12)
    ed = metal_bounds(prof, ("ed_plus_20",), "soil", None, ("TCR",))
    np.testing.assert_allclose(ed[["min", "max"]].to_numpy(), 20.0, rtol=1e-12)
    assert claim_basis(prof, ("ed_plus_20",), None, None, ("TCR",), "reconstructed")[0] == "independent"
    ing = metal_bounds(prof, ("ingr_child_330",), "soil", "child", ("HI",)).iloc[0]
    assert ing["min"] < 30 and ing["max"] <= 65 + 1e-9 and ing["max"] - ing["min"] > 1
    b, detail = claim_basis(prof, ("ingr_child_330",), "soil", "child", ("HI",), "reconstructed")
    assert b == "follows_from_fit" and "reconstructed site tables" in detail
    assert claim_basis(prof, ("ingr_child_330",), "soil", "child", ("HI",), "real")[0] == "independent"


def test_sensitivity_audit_rows_carry_a_basis(rep):
    from tarimhm.risk.profiles import load_profile
    from tarimhm.uncertainty.sensitivity import audit_sensitivity, run_scenarios

    # any site table will do for the basis; two synthetic sites with the five metals
    t = pd.DataFrame({"site_id": ["A", "B"], **{m: [1.0 + i, 2.0 * (i + 1)] for i, m in enumerate(METALS)}})
    prof = load_profile("paper_reproducing")
    a = check_audit(audit_sensitivity(rep, run_scenarios(prof, t, t), "reconstructed", prof)).set_index("quantity")
    assert set(a.basis) <= set(BASES) and a.basis_detail.str.len().gt(0).all()
    assert set(a.loc["risk_change_longer_duration", "basis"]) == {"independent"}
    assert set(a.loc["hi_change_ingr330", "basis"]) == {"follows_from_fit"}
    assert set(a.loc["overestimation_factor", "basis"]) == {"independent"}
    assert set(a.verdict_class) <= set(CLASSES)
