"""Probabilistic risk: exactness against the deterministic stage, known answers, seeds, bad specs, sensitivity."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from tarimhm import ConfigError, paths
from tarimhm.risk.assess import hi_tcr, site_summary, soil_risk
from tarimhm.risk.profiles import load_profile
from tarimhm.sitetable import load_sites
from tarimhm.uncertainty.montecarlo import Spec, load_spec, rank_sensitivity, sample, simulate, summarise
from tarimhm.uncertainty.sensitivity import SCENARIOS, run_scenarios


def _spec(groups=None, ba=None, base="paper_as_stated"):
    return Spec.model_validate(
        {"name": "t", "title": "t", "base_profile": base, "groups": groups or {}, "bioaccessibility": ba or {}}
    )


def test_fixed_spec_reproduces_the_deterministic_risk_exactly(use_sites):
    soil, water = load_sites("soil"), load_sites("water")
    prof = load_profile("paper_as_stated")
    fixed = {
        "child": {"BW": {"dist": "fixed", "value": 15, "unit": "kg", "source": "Table 9"}},
        "adult": {"ED": {"dist": "fixed", "value": 26, "unit": "y", "source": "Table 9"}},
    }
    spec = _spec(fixed)
    sim = simulate(spec, soil, water, sample(spec, 7, 1), prof)
    det = hi_tcr(prof, soil, water).set_index(["medium", "site_id", "group"])
    for (med, g), res in sim.items():
        sites = (soil if med == "soil" else water).site_id
        for out in ("HI", "TCR"):
            want = det.loc[[(med, s, g) for s in sites], out].to_numpy()
            assert res[out].shape == (7, len(sites))
            # equal up to the order of the sum over pathways and metals (1 ulp)
            np.testing.assert_allclose(res[out], np.broadcast_to(want, res[out].shape), rtol=1e-14, atol=0)
    # every term (pathway x metal) is bit-identical when the factors come as per-draw arrays
    from tarimhm.risk.assess import concentrations as _conc
    from tarimhm.risk.assess import soil_terms

    c = _conc(soil)
    per_draw = soil_terms(
        c[None], prof, "child", {"BW": np.full((7, 1, 1), 15.0), "IngR": np.full((7, 1, 1), 200.0)}, np.ones((7, 1, 5))
    )
    scalar = soil_terms(c, prof, "child")
    for k, v in scalar.items():
        np.testing.assert_array_equal(per_draw[k], np.broadcast_to(v, per_draw[k].shape))


def test_lognormal_body_weight_known_answer(use_sites):
    """Only the child BW varies (lognormal, median 15 kg, GSD 1.2): HI = K / BW with K = 15 x HI(15 kg).

    Then P(HI > 1) = P(BW < K) = Phi(ln(K / 15) / ln 1.2) and E[HI] = K / 15 x exp(ln(1.2)^2 / 2).
    """
    soil, water = load_sites("soil"), load_sites("water")
    prof = load_profile("paper_as_stated")
    spec = _spec({"child": {"BW": {"dist": "lognormal", "median": 15, "gsd": 1.2, "unit": "kg", "source": "test"}}})
    draws = sample(spec, 40000, 7)
    sim = simulate(spec, soil, water, draws, prof)
    det = site_summary(soil_risk(soil, prof))
    k = 15 * det[det.group == "child"].HI.to_numpy()
    hi = sim[("soil", "child")]["HI"]
    p_exact = stats.norm.cdf(np.log(k / 15) / np.log(1.2))
    np.testing.assert_allclose((hi > 1).mean(axis=0), p_exact, atol=0.005)
    np.testing.assert_allclose(hi.mean(axis=0), k / 15 * np.exp(np.log(1.2) ** 2 / 2), rtol=1e-3)
    np.testing.assert_allclose(sim[("soil", "adult")]["HI"][0], det[det.group == "adult"].HI.to_numpy(), rtol=1e-14)
    rank = rank_sensitivity(sim, draws, soil, water)
    child = rank[(rank.medium == "soil") & (rank.group == "child") & (rank.output == "HI")]
    assert (
        (child.input == "child.BW").all()
        and np.allclose(child.spearman_rho, -1)
        and np.allclose(child.variance_share, 1)
    )
    summ = summarise(sim, soil, water, hi_tcr(prof, soil, water))
    s1 = summ[(summ.medium == "soil") & (summ.group == "child")].iloc[0]
    assert s1.HI_p50 == pytest.approx(k[0] / 15, rel=2e-3)  # median of K/BW is K/median(BW)


def test_latin_hypercube_margins_and_seed(use_sites):
    spec, _ = load_spec("table9_ranges")
    a, b, c = sample(spec, 1000, 5), sample(spec, 1000, 5), sample(spec, 1000, 6)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    # a Latin hypercube puts exactly one draw in each of the n equal-probability strata of every margin
    d = spec.groups["child"]["BW"].frozen()
    strata = np.floor(d.cdf(a["child.BW"].to_numpy()) * 1000).astype(int)
    assert sorted(strata) == list(range(1000))
    assert list(a.columns) == [
        "child.BW",
        "child.IRw",
        "child.IngR",
        "adult.BW",
        "adult.ED",
        "adult.IRw",
        "adult.IngR",
        "ba.Cd",
        "ba.Pb",
        "ba.Zn",
    ]


@pytest.mark.parametrize(
    "mutate,message",
    [
        (
            lambda d: d["groups"]["child"]["BW"].update(mode=30),
            r"groups\.child\.BW: .*mode \(30\.0\) must lie in \[min, max\]",
        ),
        (
            lambda d: d["groups"]["child"].update(XX=d["groups"]["child"]["BW"]),
            r"groups\.child\.XX: not an exposure factor",
        ),
        (
            lambda d: d["groups"]["child"]["BW"].update(unit="g"),
            r"groups\.child\.BW\.unit: 'g' is not the unit of BW; use 'kg'",
        ),
        (lambda d: d["bioaccessibility"]["Cd"].update(max=1.5), r"bioaccessibility\.Cd: a fraction in \[0, 1\]"),
        (lambda d: d["groups"]["adult"]["ED"].pop("mode"), r"triangular needs min, mode, max; missing mode"),
        (lambda d: d.update(base_profile="nope"), r"extends|nope"),
    ],
)
def test_bad_spec_names_file_and_field(tmp_path, mutate, message):
    data = yaml.safe_load((paths.ANALYSIS / "uncertainty" / "table9_ranges.yaml").read_text(encoding="utf-8"))
    mutate(data)
    p = tmp_path / "bad_spec.yaml"
    p.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_spec(p)
    assert re.search(message, str(exc.value)), str(exc.value)
    assert "bad_spec.yaml" in str(exc.value) or "nope" in str(exc.value)


def test_sensitivity_scenarios_by_hand(use_sites):
    soil, water = load_sites("soil"), load_sites("water")
    prof = load_profile("paper_reproducing")
    runs = run_scenarios(prof, soil, water).set_index("scenario")
    # every dose is proportional to 1/BW: +20 % BW -> 1/1.2 - 1 = -16.67 %, -20 % -> +25 %
    np.testing.assert_allclose(runs.loc["bw_plus_20", "HI_change_pct"], 100 * (1 / 1.2 - 1), rtol=1e-12)
    np.testing.assert_allclose(runs.loc["bw_minus_20", "TCR_change_pct"].dropna(), 25.0, rtol=1e-12)
    # ED cancels in HI (AT = ED x 365); soil CR over a lifetime is proportional to ED
    ed = runs.loc["ed_plus_20"]
    np.testing.assert_allclose(ed.HI_change_pct, 0, atol=1e-9)
    np.testing.assert_allclose(ed[ed.medium == "soil"].TCR_change_pct, 20.0, rtol=1e-12)
    # IngR 200 -> 330 moves the child soil HI by 65 % of its ingestion share, adults not at all
    long = soil_risk(soil, prof)
    ch = long[long.group == "child"].groupby(["site_id", "pathway"]).HQ.sum().unstack()
    share = (ch.ingestion / ch.sum(axis=1)).reindex(soil.site_id).to_numpy()
    ing = runs.loc["ingr_child_330"]
    np.testing.assert_allclose(
        ing[(ing.medium == "soil") & (ing.group == "child")].HI_change_pct, 65 * share, rtol=1e-9
    )
    assert (ing[ing.group == "adult"].HI_change_pct == 0).all()
    assert {s.name for s in SCENARIOS} == set(runs.index)


def test_stage_same_seed_same_bytes_and_audit(use_sites, tiny, rep, tmp_path, monkeypatch):
    from tarimhm.uncertainty.stage import run_bayes, run_montecarlo

    def run_uncertainty(params, rep, script):
        return {**run_montecarlo(params, rep, script), **run_bayes(params, rep, script.with_name("041_risk_bayes.py"))}

    script = paths.ANALYSIS / "040_risk_montecarlo.py"
    a = run_uncertainty(tiny, rep, script)
    first = a["montecarlo"].read_bytes()
    b = run_uncertainty(tiny, rep, script)
    assert b["montecarlo"].read_bytes() == first
    audit = pd.read_csv(a["audit"], comment="#").set_index("reported_id")
    assert audit.loc["s4.2.1:overestimation_factor.soil.max", "verdict"] == "reproduced"  # 1 / 0.20 = 5
    assert audit.loc["s4.2.1:overestimation_factor.soil.min", "reproduced"] == pytest.approx(100 / 35, rel=1e-5)
    assert audit.loc["s4.2.1:hi_change_ingr330.soil.child.min", "verdict"].startswith("differs by +")
    assert audit.loc["s4.2.1:risk_change_longer_duration.soil.min", "verdict"].startswith("cannot be reproduced")
    assert audit.loc["s4.2.1:risk_change_longer_duration.soil.min", "verdict_class"] == "cannot be reproduced"
    post = pd.read_csv(a["bayes_posterior"], comment="#").set_index("parameter")
    assert list(post.index) == ["child.BW", "child.IngR", "adult.BW", "adult.ED", "adult.IngR", "s_model"]
    assert np.isfinite(post.r_hat).all() and (post.prior_p5 < post.prior_p95).all()
    assert b["bayes_nc"].read_bytes() == a["bayes_nc"].read_bytes()  # NUTS with a seed: same draws
    import xarray as xr

    with xr.open_dataset(a["montecarlo"], engine="scipy") as ds:
        assert ds.sizes["draw"] == tiny.uncertainty.draws and ds.attrs["tarimhm_data_status"] == "reconstructed"
        assert ds["HI_soil_child"].shape == (tiny.uncertainty.draws, 10)


def test_print_rounding_sd_by_hand():
    from tarimhm.uncertainty.bayes import print_sd

    # 0.347 printed to 3 digits: unit 0.001, half-unit 0.0005, uniform sd 0.0005/sqrt(3) = 2.8868e-4, / 0.347
    assert print_sd(0.347) == pytest.approx(0.0005 / np.sqrt(3) / 0.347, rel=1e-12)
    assert print_sd(7.87e-6) == pytest.approx(0.005e-6 / np.sqrt(3) / 7.87e-6, rel=1e-12)


def test_bayes_structure_matches_the_equations(rep):
    """Reference terms sum to the deterministic endpoints; exponents are the equations' powers, by hand."""
    from tarimhm.risk.calibrate import evaluate_profile, extreme_sites
    from tarimhm.uncertainty.bayes import structure

    prof = load_profile("paper_reproducing")
    spec, _ = load_spec("table9_ranges")
    ends, T, X, names = structure(prof, rep, spec)
    ev = evaluate_profile(
        prof, extreme_sites(rep), ends[["quantity", "group", "metal", "stat", "reported", "reported_id"]]
    )
    np.testing.assert_allclose(T.sum(axis=1), ev.reproduced, rtol=1e-14)
    assert names == ["child.BW", "child.IngR", "adult.BW", "adult.ED", "adult.IngR"]  # IRw moves no soil endpoint
    k = {n: i for i, n in enumerate(names)}
    child_hi = ((ends.group == "child") & (ends.quantity == "hi")).to_numpy()
    adult_cr = ((ends.group == "adult") & (ends.quantity == "cr")).to_numpy()
    ing, _inh, der = 0, 1, 2  # PATHWAYS order
    # every dose ~ 1/BW; IngR enters the ingestion dose only; ED cancels in HI (AT = ED x 365) and
    # stays in a lifetime-averaged CR; child factors never touch adult endpoints
    assert (X[child_hi][:, [ing, der], k["child.BW"]] == -1).all()
    assert (X[child_hi][:, ing, k["child.IngR"]] == 1).all() and (X[child_hi][:, der, k["child.IngR"]] == 0).all()
    assert (X[adult_cr][:, ing, k["adult.ED"]] == 1).all()
    assert (X[(ends.group == "adult").to_numpy() & (ends.quantity == "hi").to_numpy()][:, :, k["adult.ED"]] == 0).all()
    assert (X[(ends.group == "adult").to_numpy()][:, :, [k["child.BW"], k["child.IngR"]]] == 0).all()


@pytest.mark.slow
def test_bayes_recovers_known_factors(rep):
    """Endpoints made by the model itself at known factors: the posterior must find them again."""
    from tarimhm.uncertainty.bayes import fit, structure

    prof = load_profile("paper_reproducing")
    spec, _ = load_spec("table9_ranges")
    ends, T, X, names = structure(prof, rep, spec)
    truth = {"child.BW": 18.0, "child.IngR": 300.0, "adult.BW": 62.0, "adult.ED": 28.0, "adult.IngR": 120.0}
    f0 = np.array([getattr(prof.groups[n.split(".")[0]], n.split(".")[1]).value for n in names])
    f = np.array([truth[n] for n in names])
    y = (T * np.exp((X * np.log(f / f0)[None, None, :]).sum(axis=2))).sum(axis=1)
    idata, _, _ = fit(prof, rep, spec, draws=300, tune=300, chains=2, seed=3, observed=y)
    for n, v in truth.items():
        post = np.asarray(idata.posterior[n]).ravel()
        lo, hi = np.percentile(post, [1, 99])
        assert lo <= v <= hi, f"{n}: truth {v} outside the posterior 98 % interval [{lo:.4g}, {hi:.4g}]"
    # the ingestion-dominated endpoints pin IngR / BW tightly
    ratio = np.asarray(idata.posterior["child.IngR"]).ravel() / np.asarray(idata.posterior["child.BW"]).ravel()
    assert np.median(ratio) == pytest.approx(300 / 18, rel=0.02)


def test_identification_reads_a_ratio_as_identified_and_its_factors_as_not(rep):
    """Posterior with log IngR - log BW fixed to +-0.01 and each factor spread as its prior: only the ratio is identified."""
    import arviz as az

    from tarimhm.uncertainty.bayes import identification
    from tarimhm.uncertainty.montecarlo import load_spec

    rng = np.random.default_rng(0)
    bw = rng.uniform(14, 22, 4000)
    prior = {"child.BW": rng.uniform(14, 22, 4000)[None], "child.IngR": rng.uniform(200, 400, 4000)[None]}
    post = {
        "child.BW": bw.reshape(4, 1000),
        "child.IngR": (bw * 15 * np.exp(rng.normal(0, 0.01, 4000))).reshape(4, 1000),
    }
    idata = az.from_dict(posterior=post, prior=prior)
    spec, _ = load_spec("table9_ranges")
    t = identification(idata, ["child.BW", "child.IngR"], load_profile("paper_reproducing"), rep, spec).set_index(
        "quantity"
    )
    assert bool(t.loc["child.IngR/BW", "identified"]) and t.loc["child.IngR/BW", "in_equations"]
    assert t.loc["child.IngR/BW", "posterior_median"] == pytest.approx(15, rel=0.01)
    for f in ("child.BW", "child.IngR"):
        assert not t.loc[f, "identified"]
    assert t.loc["child.BW", "max_posterior_corr"] > 0.99
