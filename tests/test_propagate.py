"""The PyMC propagation model (tarimhm.uncertainty.propagate): recovery, coverage, the convergence gate."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tarimhm.uncertainty import propagate
from tarimhm.uncertainty.twod import validate_twod

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning", "ignore::RuntimeWarning")


def test_quantile_covariance_matches_the_sampling_distribution_of_sample_percentiles():
    """Sigma s^2/n against 4000 simulated surveys of n = 500 lognormal persons (log sample percentiles)."""
    rng = np.random.default_rng(1)
    q = np.array([0.5, 0.9, 0.95])
    n, s = 500, np.log(2.3)
    logs = rng.normal(np.log(50), s, size=(4000, n))
    est = np.quantile(logs, q, axis=1).T  # (4000, 3) sample quantiles of log X
    emp = np.cov(est, rowvar=False)
    theo = propagate.quantile_cov(q) * s**2 / n
    # each entry within 12 % (the Monte Carlo error of a covariance from 4000 draws is ~3-5 %)
    np.testing.assert_allclose(emp, theo, rtol=0.12)
    # and the known variance of the sample median of a normal: pi/2 s^2/n
    assert propagate.quantile_cov([0.5])[0, 0] == pytest.approx(np.pi / 2)


def test_percentile_evidence_has_nominal_coverage_over_20_simulated_surveys():
    """Truths drawn from the prior, a survey of n = 400 persons each, 90 % credible intervals: >= 15 of 20 cover.

    (Bin(20, 0.9) puts 1.1 % below 15.) Twenty independent surveys in one model: the joint posterior
    of independent blocks is the product of their posteriors, so one NUTS run fits all twenty.
    """
    import pymc as pm

    rng = np.random.default_rng(20261202)
    k, n = 20, 400
    q = np.array([0.5, 0.9, 0.95])
    med_true = rng.uniform(20, 100, k)
    gsd_true = rng.uniform(1.5, 3.5, k)
    obs = np.log(np.quantile(rng.lognormal(np.log(med_true)[:, None], np.log(gsd_true)[:, None], (k, n)), q, axis=1).T)
    with pm.Model():
        med = pm.Uniform("median", 20, 100, shape=k)
        gsd = pm.Uniform("gsd", 1.5, 3.5, shape=k)
        propagate.evidence_likelihood("survey", pm.math.log(med), pm.math.log(gsd), q, n, obs)
        idata = pm.sample(
            500, tune=500, chains=2, cores=1, random_seed=3, progressbar=False, compute_convergence_checks=False
        )
    for name, truth in (("median", med_true), ("gsd", gsd_true)):
        x = np.asarray(idata.posterior[name]).reshape(-1, k)
        lo, hi = np.quantile(x, [0.05, 0.95], axis=0)
        covered = int(((lo <= truth) & (truth <= hi)).sum())
        assert covered >= 15, (name, covered)
    assert "survey" in idata.observed_data and "survey_log_percentiles" in idata.constant_data


def _spec(evidence=None, ba_as=None, params=None):
    ba = {m: {"dist": "fixed", "value": 1.0, "unit": "1", "source": "total"} for m in ("As", "Cd", "Pb", "Cu", "Zn")}
    if ba_as:
        ba["As"] = ba_as
    return validate_twod(
        {
            "name": "t",
            "title": "t",
            "base_profile": "usepa_default",
            "variability": {
                "adult": {"IRw": {"dist": "lognormal", "median": 1.0, "gsd": 2.0, "unit": "L/d", "source": "test"}}
            },
            "uncertainty": {
                "bioaccessibility": ba,
                "parameters": params or {},
                "evidence": evidence or {},
            },
        }
    )


def test_spec_evidence_recovers_a_known_median_and_gsd():
    """A survey of 2000 persons from lognormal(median 1.3 L/d, gsd 1.8): posterior 90 % intervals hold the truth."""
    rng = np.random.default_rng(5)
    x = rng.lognormal(np.log(1.3), np.log(1.8), 2000)
    pct = {float(p): float(np.percentile(x, p)) for p in (25, 50, 75, 95)}
    spec = _spec(
        evidence={"adult.IRw": {"n": 2000, "percentiles": pct, "unit": "L/d", "source": "simulated"}},
        params={
            "adult.IRw.median": {"dist": "uniform", "min": 0.3, "max": 3.0, "unit": "L/d", "source": "wide"},
            "adult.IRw.gsd": {"dist": "uniform", "min": 1.1, "max": 4.0, "unit": "1", "source": "wide"},
        },
    )
    idata = propagate.sample_posterior(spec, draws=400, tune=400, chains=2, seed=11, cores=1)
    for name, truth in (("adult.IRw.median", 1.3), ("adult.IRw.gsd", 1.8)):
        lo, hi = np.quantile(np.asarray(idata.posterior[name]).ravel(), [0.05, 0.95])
        assert lo <= truth <= hi, (name, lo, hi)
        assert hi - lo < 0.1 * truth  # the survey, not the prior, sets the width
    assert "evidence_adult_IRw" in idata.observed_data


def test_without_evidence_the_posterior_is_the_prior():
    """Beta(6, 4) bioaccessibility, nothing observed: the posterior mean and 5/95 % are the prior's within MCSE."""
    spec = _spec(ba_as={"dist": "beta", "a": 6, "b": 4, "unit": "1", "source": "test"})
    idata = propagate.sample_posterior(spec, draws=1000, tune=500, chains=4, seed=2, cores=1)
    table = propagate.gate(idata, propagate.free_names(spec))
    r = table.set_index("quantity").loc["ba_As"]
    assert abs(r["mean"] - 0.6) < 4 * r["mcse_mean"]
    for q in (0.05, 0.95):
        assert abs(r[f"q{int(q * 100):02d}"] - stats.beta(6, 4).ppf(q)) < 4 * r[f"mcse_q{int(q * 100):02d}"]


def test_the_gate_fails_on_a_deliberately_bad_sampler_setting():
    """2 chains of 25 draws after 5 tuning steps: too few chains, ESS far below 400 -- the message says which."""
    spec = _spec(ba_as={"dist": "beta", "a": 6, "b": 4, "unit": "1", "source": "test"})
    idata = propagate.sample_posterior(spec, draws=25, tune=5, chains=2, seed=2, cores=1)
    with pytest.raises(propagate.ConvergenceError) as exc:
        propagate.gate(idata, ["ba_As"])
    msg = str(exc.value)
    assert "2 chains" in msg and "ess bulk" in msg and "ba_As" in msg


def test_the_gate_asks_for_as_many_effective_draws_as_the_outer_loop_takes():
    """4 x 250 independent draws (ESS near 1000): pass for 400 outer draws, fail for 2000, saying why."""
    import arviz as az

    rng = np.random.default_rng(0)
    idata = az.from_dict(
        posterior={"x": rng.normal(size=(4, 250))}, sample_stats={"diverging": np.zeros((4, 250), bool)}
    )
    assert propagate.gate(idata, ["x"], ess_min=100, n_outer=400).loc[0, "ess_bulk"] > 400
    with pytest.raises(propagate.ConvergenceError, match=r"x: ess bulk \d+ < 2000, the outer draws"):
        propagate.gate(idata, ["x"], ess_min=100, n_outer=2000)


def test_outer_draws_thin_evenly_and_refuse_too_many():
    import arviz as az

    idata = az.from_dict(posterior={"x": np.arange(40.0).reshape(4, 10)})
    np.testing.assert_array_equal(propagate.outer_draws(idata, ["x"], 8)["x"], np.arange(0, 40, 5))
    with pytest.raises(ValueError, match="exceeds the posterior draws"):
        propagate.outer_draws(idata, ["x"], 41)


@pytest.mark.parametrize(
    "evidence, message",
    [
        ({"adult.BW": {"n": 10, "percentiles": {50: 70}, "unit": "kg", "source": "xx"}}, "no variability distribution"),
        ({"adult.IRw": {"n": 10, "percentiles": {50: 1.0}, "unit": "L/d", "source": "xx"}}, "nothing to update"),
        ({"adult.IRw": {"n": 10, "percentiles": {50: 1.0, 95: 0.5}, "unit": "L/d", "source": "xx"}}, "increase"),
        ({"adult.IRw": {"n": 10, "percentiles": {150: 1.0}, "unit": "L/d", "source": "xx"}}, "(0, 100)"),
        ({"adult.IRw": {"n": 10, "percentiles": {50: 1.0}, "unit": "mL/d", "source": "xx"}}, "unit of IRw"),
        ({"adult.IRw": {"n": 60, "percentiles": {95: 2.0}, "unit": "L/d", "source": "xx"}}, "3.0 persons beyond"),
    ],
)
def test_malformed_evidence_is_refused_naming_the_key(evidence, message):
    from tarimhm._errors import ConfigError

    params = (
        {}
        if message == "nothing to update"
        else {"adult.IRw.median": {"dist": "uniform", "min": 0.3, "max": 3.0, "unit": "L/d", "source": "ww"}}
    )
    with pytest.raises(ConfigError, match="uncertainty.evidence") as exc:
        _spec(evidence=evidence, params=params)
    assert message in str(exc.value)


# ------------------------------------------------------------------------------ stage 042 end to end


def _twod(tiny, **kw):
    return tiny.model_copy(update={"twod": tiny.twod.model_copy(update=kw)})


def test_stage_042_files_open_have_units_and_repeat_bytes(use_sites, tiny, rep):
    import arviz as az
    import pandas as pd
    import xarray as xr

    from tarimhm import paths
    from tarimhm.uncertainty.stage import run_twod

    script = paths.ANALYSIS / "042_risk_twod.py"
    a = run_twod(tiny, rep, script, progress=False)
    first = {k: a[k].read_bytes() for k in ("mc_soil", "mc_water", "posterior", "summary")}
    idata = az.from_netcdf(a["posterior"])
    assert {"posterior", "sample_stats", "prior"} <= set(idata.groups())
    assert idata.posterior.sizes["chain"] == tiny.twod.chains
    for k in ("mc_soil", "mc_water"):
        with xr.open_dataset(a[k], engine="h5netcdf") as ds:
            assert ds.attrs["Conventions"].startswith("CF-") and ds.attrs["tarimhm_data_status"] == "reconstructed"
            for v in [*ds.data_vars, *ds.coords]:
                assert "long_name" in ds[v].attrs, v
                assert "units" in ds[v].attrs or ds[v].dtype.kind in "UO", v
            assert ds.sizes["unc"] == tiny.twod.n_outer and ds.attrs["n_inner"] == tiny.twod.n_inner
    s = pd.read_csv(a["summary"], comment="#")
    assert len(s) == 2 * (10 + 9)
    for out in ("HI", "TCR"):
        assert (s[f"{out}_P95_lo90"] <= s[f"{out}_P95"]).all() and (s[f"{out}_P95"] <= s[f"{out}_P95_hi90"]).all()
        assert (s[f"{out}_P50"] <= s[f"{out}_P95"]).all()
    p = s["P_HI_frac_gt_1_gt_0.05"]
    assert ((p >= 0) & (p <= 1)).all()
    scen = pd.read_csv(a["scenarios"], comment="#")
    assert set(scen.scenario) == {"iris_1991", "iris_2025"}
    # a fixed seed gives the same bytes (NUTS chains, outer and inner loops, Sobol)
    b = run_twod(tiny, rep, script, progress=False)
    for k, v in first.items():
        assert b[k].read_bytes() == v, k


def test_stage_042_refuses_a_bad_sampler_and_a_bad_spec_writing_nothing(use_sites, tiny, rep, tmp_path):
    import yaml

    from tarimhm import paths
    from tarimhm._errors import ConfigError
    from tarimhm.uncertainty.stage import run_twod

    script = paths.ANALYSIS / "042_risk_twod.py"
    out = paths.uncertainty_dir() / "twod"
    before = sorted(out.iterdir()) if out.exists() else []
    stamp = {p: p.stat().st_mtime_ns for p in before}
    with pytest.raises(propagate.ConvergenceError, match="2 chains"):
        run_twod(_twod(tiny, chains=2, draws=20, tune=5), rep, script, progress=False)
    data = yaml.safe_load((paths.ANALYSIS / "uncertainty" / "twod_default.yaml").read_text())
    data["variability"]["child"]["BW"] = {"dist": "beta", "a": 2, "b": 2, "unit": "kg", "source": "bad"}
    bad = tmp_path / "twod_bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"twod_bad\.yaml: variability\.child\.BW: beta is a distribution"):
        run_twod(_twod(tiny, spec=str(bad)), rep, script, progress=False)
    after = sorted(out.iterdir()) if out.exists() else []
    assert after == before and all(p.stat().st_mtime_ns == stamp[p] for p in after)
