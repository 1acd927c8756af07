"""Sobol indices of HI (tarimhm.uncertainty.sobol) against the analytic indices of a known model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tarimhm.domain import METALS
from tarimhm.risk.assess import concentrations, soil_terms
from tarimhm.risk.profiles import load_profile
from tarimhm.uncertainty.sobol import inputs_for, sobol_indices
from tarimhm.uncertainty.twod import validate_twod

BASE = "usepa_default"


def _sites():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({m: rng.lognormal(np.log(s), 0.5, 4) for m, s in zip(METALS, [10, 0.3, 30, 30, 80])})
    df.insert(0, "site_id", [f"S{i}" for i in range(1, 5)])
    return df


def _spec(m_bw=17.0, s_bw=1.2, m_ing=50.0, s_ing=2.3):
    ln = lambda med, gsd, unit: {"dist": "lognormal", "median": med, "gsd": gsd, "unit": unit, "source": "test"}  # noqa: E731
    return validate_twod(
        {
            "name": "t",
            "title": "t",
            "base_profile": BASE,
            "variability": {"child": {"BW": ln(m_bw, s_bw, "kg"), "IngR": ln(m_ing, s_ing, "mg/d")}},
            "uncertainty": {
                "bioaccessibility": {m: {"dist": "fixed", "value": 1.0, "unit": "1", "source": "total"} for m in METALS}
            },
        }
    )


def _lognormal_moments(median, gsd):
    s2 = np.log(gsd) ** 2
    m1 = median * np.exp(s2 / 2)
    return m1, m1**2 * np.exp(s2)  # E[X], E[X^2]


def test_sobol_indices_of_hi_equal_the_analytic_indices():
    r"""Child soil HI = (a IngR + b) / BW (ingestion is linear in IngR; every term has 1/BW).

    With X = IngR and W = 1/BW independent lognormals: V_X = a^2 Var X (E W)^2, V_W = (a E X + b)^2 Var W,
    Var Y = E[(aX+b)^2] E[W^2] - (a E X + b)^2 (E W)^2; S1 = V_i / Var Y, ST_X = 1 - V_W / Var Y.
    a, b come from the deterministic equations at IngR = 1, 0 and BW = 1.
    """
    spec, prof, sites = _spec(), load_profile(BASE), _sites()
    assert inputs_for(spec, "soil", "child", 1, {}) == ["BW", "IngR"]
    c = concentrations(sites)
    ba = np.ones((1, 1, len(METALS)))

    def hi(ingr):
        t = soil_terms(c, prof, "child", {"IngR": ingr, "BW": 1.0}, ba)
        return sum(t[(pw, "nc")].sum(axis=-1) for pw in ("ingestion", "dermal", "inhalation")).ravel()

    b = hi(0.0)
    a = hi(1.0) - b
    ex, ex2 = _lognormal_moments(50.0, 2.3)
    ew, ew2 = _lognormal_moments(1 / 17.0, 1.2)
    vx, vw = ex2 - ex**2, ew2 - ew**2
    v_x = a**2 * vx * ew**2
    v_w = (a * ex + b) ** 2 * vw
    var = (a**2 * ex2 + 2 * a * b * ex + b**2) * ew2 - (a * ex + b) ** 2 * ew**2
    truth = {"IngR": (v_x / var, 1 - v_w / var), "BW": (v_w / var, 1 - v_x / var)}

    df = sobol_indices(spec, prof, {"soil": [sites], "water": [sites]}, {}, 8192, 100, 0.95, seed=7)
    d = df[(df.medium == "soil") & (df.group == "child") & (df.output == "HI")]
    assert len(d) == 2 * len(sites)
    for r in d.itertuples():
        s1, st = (x[list(sites.site_id).index(r.site_id)] for x in truth[r.input])
        assert abs(r.S1 - s1) <= max(3 * r.S1_conf, 0.02), (r.site_id, r.input, r.S1, s1)
        assert abs(r.ST - st) <= max(3 * r.ST_conf, 0.02), (r.site_id, r.input, r.ST, st)
    # the two inputs interact (the product), so S1 sums below 1 and ST above it
    tot = d.groupby("site_id")[["S1", "ST"]].sum()
    assert (tot.S1 < 1).all() and (tot.ST > 1).all()


def test_sobol_refuses_a_base_sample_that_is_not_a_power_of_two():
    with pytest.raises(ValueError, match="power of 2"):
        sobol_indices(_spec(), load_profile(BASE), {"soil": [_sites()], "water": [_sites()]}, {}, 1000, 10, 0.9, 1)


def test_a_linked_toxicity_choice_is_no_input_of_its_own_and_follows_its_lead():
    """twod_default links the As slope factor to the As RfD (one assessment): Sobol sees one input, the
    outer loop never mixes IRIS 1991 RfD with the IRIS 2025 slope factor."""
    from tarimhm.uncertainty.twod import load_twod_spec, outer_draw

    spec, _ = load_twod_spec("twod_default")
    names = inputs_for(spec, "soil", "child", 200, {})
    assert "tox_As_RfDo" in names and "tox_As_SFo" not in names
    draws = [outer_draw(spec, 5, o, {"soil": 1, "water": 1}).tox for o in range(40)]
    assert all(d[("As", "RfDo")] == d[("As", "SFo")] for d in draws)
    assert {d[("As", "RfDo")] for d in draws} == {0, 1}


def test_with_one_correlated_pair_every_index_of_that_group_is_labelled_independent_input_model():
    from tarimhm.uncertainty.sobol import _validity

    assert _validity("BW", set()) == "all inputs independent: Sobol indices valid"
    assert _validity("BW", {"BW", "IRw"}).startswith("correlated in the spec (BW+IRw)")
    other = _validity("ba_As", {"BW", "IRw"})
    assert other.startswith("independent input, but BW+IRw") and "independent-input model" in other
