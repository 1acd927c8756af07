"""Two-dimensional Monte Carlo (tarimhm.uncertainty.twod): exactness, known answers, MCSE, seeds, refusals.

Synthetic site tables (no reconstruction needed), so the file runs in well under a minute.
"""

from __future__ import annotations

import copy
import re
import tracemalloc

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from scipy import stats

from tarimhm import ConfigError
from tarimhm.domain import GROUPS, METALS, PATHWAYS
from tarimhm.risk.assess import concentrations, hi_tcr, soil_terms
from tarimhm.risk.profiles import load_profile
from tarimhm.uncertainty import montecarlo
from tarimhm.uncertainty.twod import (
    VAR_PERCENTILES,
    iman_conover,
    inner_draws,
    load_twod_spec,
    mcse_probability,
    mcse_quantile,
    memory_estimate,
    n_inner_for_rel_mcse,
    simulate_2d,
    uv_ratio,
    validate_twod,
)

BASE = "paper_as_stated"


def _table(seed, n, scale):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame(rng.lognormal(0, 1.0, (n, len(METALS))) * np.array(scale), columns=list(METALS))
    d.insert(0, "site_id", [f"S{i:02d}" for i in range(n)])
    return d


SOIL = _table(1, 6, [10, 0.3, 30, 30, 80])
WATER = _table(2, 4, [5, 0.1, 3, 10, 50])


def _fixed(v, unit):
    return {"dist": "fixed", "value": v, "unit": unit, "source": "test"}


def _ba_fixed(prof):
    return {m: _fixed(prof.options.bioaccessibility.get(m, 1.0), "1") for m in METALS}


def _spec(variability=None, correlations=None, **unc):
    prof = load_profile(BASE)
    data = {
        "name": "t",
        "title": "t",
        "base_profile": BASE,
        "variability": variability or {},
        "correlations": correlations or {},
        "uncertainty": {"bioaccessibility": _ba_fixed(prof), **unc},
    }
    return validate_twod(data)


def _shipped_with_measurement_error():
    """The shipped spec, concentrations as lognormal measurement error (one table, no ensemble)."""
    data = yaml.safe_load(load_twod_spec("twod_default")[1].read_text())
    data["uncertainty"]["concentrations"] = {
        "soil": {"mode": "measurement_error", "cv": 0.15, "source": "test"},
        "water": {"mode": "measurement_error", "cv": 0.10, "source": "test"},
    }
    return validate_twod(data)


def _lognormal(median, gsd, unit):
    return {"dist": "lognormal", "median": median, "gsd": gsd, "unit": unit, "source": "test"}


# ---------------------------------------------------------------------------- exactness


def test_degenerate_spec_reproduces_the_deterministic_stage_bit_for_bit():
    """Every factor fixed at the profile's value, one toxicity scenario (= the profile's), BA fixed:
    every person of every outer draw has the HI and TCR of tarimhm.risk.assess.hi_tcr, bit for bit."""
    prof = load_profile(BASE)
    var = {
        g: {
            k: _fixed(getattr(prof.groups[g], k).value, getattr(prof.groups[g], k).unit)
            for k in ("BW", "IngR", "IRw", "EF", "ED", "SA")
        }
        for g in GROUPS
    }
    tox = {
        "As": {
            "RfDo": {
                "unit": "mg/kg/d",
                "also": ["RfDd"],
                "scenarios": {"p": {"value": prof.toxicity["As"].RfDo.value, "weight": 1, "source": "profile"}},
            }
        }
    }
    spec = _spec(var, toxicity=tox)
    res = simulate_2d(spec, SOIL, WATER, n_outer=3, n_inner=4, seed=0, keep_draws=True, chunk=3)
    det = hi_tcr(prof, SOIL, WATER).set_index(["medium", "group", "site_id"]).sort_index()
    for med, ds in res.items():
        for g in GROUPS:
            for out in ("HI", "TCR"):
                want = det.loc[(med, g), out].loc[ds.site.values].to_numpy()
                got = ds[out].sel(group=g).values  # (unc, ind, site)
                np.testing.assert_array_equal(got, np.broadcast_to(want, got.shape))
                pct = ds[f"{out}_var_pct"].sel(group=g).values  # (unc, site, var_pct)
                np.testing.assert_array_equal(pct, np.broadcast_to(want[None, :, None], pct.shape))
                np.testing.assert_array_equal(ds[f"{out}_var_pct_mcse"].sel(group=g).values, 0)
        assert np.isnan(ds.HI_uv_ratio.values).all()  # no variability: the ratio is undefined


def test_variability_only_run_equals_a_one_dimensional_run_of_the_same_draws():
    var = {
        "child": {"BW": _lognormal(15, 1.2, "kg"), "IngR": _lognormal(150, 1.8, "mg/d")},
        "adult": {"IRw": {"dist": "triangular", "min": 1.5, "mode": 2.5, "max": 3.5, "unit": "L/d", "source": "test"}},
    }
    spec = _spec(var)
    n_inner = 500
    res = simulate_2d(spec, SOIL, WATER, n_outer=2, n_inner=n_inner, seed=11, keep_draws=True, chunk=128)
    spec1 = montecarlo.Spec.model_validate({"name": "t", "title": "t", "base_profile": BASE, "groups": var})
    for o in range(2):
        draws = inner_draws(spec, 11, o, n_inner)
        flat = pd.concat({g: d for g, d in draws.items()}, axis=1)
        flat.columns = [f"{g}.{k}" for g, k in flat.columns]
        sim = montecarlo.simulate(spec1, SOIL, WATER, flat, load_profile(BASE))
        for (med, g), r in sim.items():
            ds = res[med]
            for out in ("HI", "TCR"):
                got = ds[out].sel(group=g, unc=o).values
                np.testing.assert_allclose(got, r[out], rtol=1e-14, atol=0)  # summation order: 1 ulp
                np.testing.assert_allclose(
                    ds[f"{out}_var_pct"].sel(group=g, unc=o).values,
                    np.percentile(r[out], list(VAR_PERCENTILES), axis=0).T,
                    rtol=1e-13,
                )
            np.testing.assert_array_equal(
                ds.HI_frac_exceed.sel(group=g, unc=o).values[:, 0], (r["HI"] > 1).mean(axis=0)
            )


# ------------------------------------------------------------------------ known answers


def test_lognormal_product_known_p95_within_mcse():
    """Soil ingestion only (SA = InhR = 0): HI = K x IngR / BW, IngR and BW independent lognormal, so
    ln HI ~ N(ln(K x 100 / 15), ln(2)^2 + ln(1.2)^2) and P95 = median x exp(1.645 sigma)."""
    var = {
        "child": {
            "BW": _lognormal(15, 1.2, "kg"),
            "IngR": _lognormal(100, 2.0, "mg/d"),
            "SA": _fixed(0, "cm2"),
            "InhR": _fixed(0, "m3/d"),
        }
    }
    spec = _spec(var)
    n = 40000
    ds = simulate_2d(spec, SOIL, WATER, n_outer=1, n_inner=n, seed=5, chunk=10000)["soil"]
    prof = load_profile(BASE)
    t = soil_terms(concentrations(SOIL), prof, "child", {"BW": 15.0, "IngR": 100.0, "SA": 0.0, "InhR": 0.0})
    median = sum(t[(pw, k)] for pw in PATHWAYS for k in ("nc",)).sum(axis=-1)
    sigma = np.hypot(np.log(2.0), np.log(1.2))
    want = median * np.exp(stats.norm.ppf(0.95) * sigma)
    got = ds.HI_var_pct.sel(group="child", unc=0, var_pct=95.0).values
    se = ds.HI_var_pct_mcse.sel(group="child", unc=0, var_pct=95.0).values
    assert np.all(np.abs(got - want) < 3 * se)
    # the MCSE itself agrees with the asymptotic sqrt(q(1-q)/n) / f(x_q) of the exact lognormal
    f = stats.lognorm(s=sigma, scale=median).pdf(want)
    np.testing.assert_allclose(se, np.sqrt(0.95 * 0.05 / n) / f, rtol=0.15)
    # the median person and the fraction above HI = 1
    np.testing.assert_allclose(ds.HI_var_pct.sel(group="child", unc=0, var_pct=50.0).values, median, rtol=0.03)
    p_exact = stats.norm.sf(np.log(1 / median) / sigma)
    frac = ds.HI_frac_exceed.sel(group="child", unc=0).values[:, 0]
    assert np.all(np.abs(frac - p_exact) <= 3 * np.maximum(mcse_probability(p_exact, n), 1e-12))


@pytest.mark.parametrize("rho", [-0.5, 0.3, 0.7])
def test_iman_conover_induces_the_target_rank_correlation(rho):
    n = 5000
    spec = _spec(
        {
            "child": {
                "BW": _lognormal(15, 1.2, "kg"),
                "IngR": _lognormal(100, 2.0, "mg/d"),
                "IRw": _lognormal(0.8, 1.5, "L/d"),
            }
        },
        {"child": {"factors": ["BW", "IngR"], "matrix": [[1, rho], [rho, 1]], "source": "test"}},
    )
    d = inner_draws(spec, 3, 0, n)["child"]
    got = stats.spearmanr(d.BW, d.IngR).statistic
    se = (1 - rho**2) * np.sqrt(1.06 / (n - 3))  # Fieller et al. (1957), delta method from Fisher's z
    assert abs(got - rho) < se
    assert abs(stats.spearmanr(d.BW, d.IRw).statistic) < 3 * np.sqrt(1.06 / (n - 3))  # uncorrelated stays so
    # margins untouched: the values of each column are those of the independent draws
    rng = np.random.default_rng(0)
    x = rng.random((1000, 3))
    c = np.array([[1, 0.5, 0.2], [0.5, 1, -0.3], [0.2, -0.3, 1]])
    y = iman_conover(x, c, rng)
    np.testing.assert_array_equal(np.sort(y, axis=0), np.sort(x, axis=0))
    np.testing.assert_allclose(stats.spearmanr(y).statistic, c, atol=3 * np.sqrt(1.06 / 997))


# ------------------------------------------------------------------------------------ MCSE


@pytest.mark.parametrize("method", ["order", "kde"])
def test_mcse_of_a_percentile_shrinks_as_one_over_sqrt_n(method):
    rng = np.random.default_rng(1)
    d = stats.lognorm(s=0.8, scale=2.0)
    a = mcse_quantile(d.rvs(size=(4000, 50), random_state=rng), 0.95, method=method).mean()
    b = mcse_quantile(d.rvs(size=(16000, 50), random_state=rng), 0.95, method=method).mean()
    assert a / b == pytest.approx(2, rel=0.1)
    assert mcse_probability(0.1, 1000) / mcse_probability(0.1, 4000) == pytest.approx(2, rel=1e-12)


@pytest.mark.parametrize("method", ["order", "kde"])
def test_mcse_interval_has_nominal_coverage(method):
    """x_q +- 1.96 MCSE covers the true P95 of a lognormal, and p +- 1.96 MCSE the true P(X > t), ~95 % of the time."""
    rng = np.random.default_rng(2)
    d = stats.lognorm(s=0.8, scale=2.0)
    reps, n = 2000, 1000
    x = d.rvs(size=(n, reps), random_state=rng)
    xq, se = np.quantile(x, 0.95, axis=0), mcse_quantile(x, 0.95, method=method)
    cover = np.mean(np.abs(xq - d.ppf(0.95)) <= 1.96 * se)
    tol = 3 * np.sqrt(0.95 * 0.05 / reps)
    assert abs(cover - 0.95) < tol + 0.01
    p = (x > d.ppf(0.9)).mean(axis=0)
    cover_p = np.mean(np.abs(p - 0.1) <= 1.96 * mcse_probability(p, n))
    assert abs(cover_p - 0.95) < tol + 0.01


def test_inner_draws_needed_for_one_percent_p95():
    sigma = 0.8
    rng = np.random.default_rng(4)
    pilot = stats.lognorm(s=sigma, scale=3.0).rvs(size=20000, random_state=rng)
    z = stats.norm.ppf(0.95)
    exact = 0.95 * 0.05 * sigma**2 / (0.01 * stats.norm.pdf(z)) ** 2
    assert n_inner_for_rel_mcse(pilot, 0.95, 0.01) == pytest.approx(exact, rel=0.1)


def test_uv_ratio_definition():
    p50 = np.array([1.0, 2.0, 3.0, 4.0, 5.0])[:, None]
    p5, p95 = p50 - 1, p50 + np.array([1, 1, 3, 1, 1])[:, None]  # median outer draw: index 2, width 4
    lo, hi = np.quantile(p50, [0.05, 0.95])
    np.testing.assert_allclose(uv_ratio(p5, p50, p95), [(hi - lo) / 4])


# ------------------------------------------------------------------------ seeds, chunks, files


def test_same_seed_same_bytes_and_chunk_size_does_not_matter(tmp_path):
    spec = _shipped_with_measurement_error()
    a = simulate_2d(spec, SOIL, WATER, n_outer=6, n_inner=300, seed=9, chunk=7)
    b = simulate_2d(spec, SOIL, WATER, n_outer=6, n_inner=300, seed=9, chunk=300)
    c = simulate_2d(spec, SOIL, WATER, n_outer=6, n_inner=300, seed=10, chunk=300)
    first = simulate_2d(spec, SOIL, WATER, n_outer=3, n_inner=300, seed=9, chunk=64)
    for med in a:
        xr.testing.assert_identical(a[med], b[med])
        for v in a[med].data_vars:
            assert a[med][v].values.tobytes() == b[med][v].values.tobytes()
        assert not np.array_equal(a[med].HI_var_pct.values, c[med].HI_var_pct.values)
        # independent streams per outer draw: the first 3 draws of a 6-draw run are a 3-draw run
        np.testing.assert_array_equal(a[med].HI_var_pct.isel(unc=slice(0, 3)).values, first[med].HI_var_pct.values)
        # every variable carries CF units and long_name, and the Dataset goes to NetCDF4 and back
        for v in [*a[med].data_vars, *a[med].coords]:
            assert "long_name" in a[med][v].attrs, v
            assert "units" in a[med][v].attrs or a[med][v].dtype.kind in "UO", v
        f = tmp_path / f"{med}.nc"
        a[med].to_netcdf(f, engine="h5netcdf")
        with xr.open_dataset(f, engine="h5netcdf") as back:
            np.testing.assert_array_equal(back.HI_var_pct_unc.values, a[med].HI_var_pct_unc.values)
        f3 = [tmp_path / f"{med}_{k}.nc" for k in "ab"]
        a[med].to_netcdf(f3[0], engine="scipy")
        b[med].to_netcdf(f3[1], engine="scipy")
        assert f3[0].read_bytes() == f3[1].read_bytes()


def test_memory_bound_of_the_reference_size():
    """n_outer 500, n_inner 5000, 10 sites x 5 metals stays far below 2 GB; the estimate bounds a measured peak."""
    assert 2 * memory_estimate(500, 5000, 10, chunk=1000) < 2 * 1024**3 / 10
    soil10, water10 = _table(3, 10, [10, 0.3, 30, 30, 80]), _table(4, 10, [5, 0.1, 3, 10, 50])
    spec = _shipped_with_measurement_error()
    tracemalloc.start()
    try:
        simulate_2d(spec, soil10, water10, n_outer=2, n_inner=5000, seed=0, chunk=1000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the outer loop adds only per-draw summaries, so the peak at 500 outer draws is this plus those
    assert peak < 2 * memory_estimate(2, 5000, 10, chunk=1000)
    with pytest.raises(ValueError, match=r"would need about .* GB"):
        simulate_2d(_spec(), SOIL, WATER, n_outer=500, n_inner=50000, seed=0, keep_draws=True)


def test_ensemble_and_measurement_error_concentrations():
    ens = [SOIL.assign(**{m: SOIL[m] * (1 + 0.1 * k) for m in METALS}) for k in range(3)]
    spec = _spec(
        concentrations={
            "soil": {"mode": "ensemble", "source": "test"},
            "water": {"mode": "measurement_error", "cv": 0.2, "source": "test"},
        }
    )
    res = simulate_2d(spec, ens, WATER, n_outer=3, n_inner=2, seed=0)
    det = [hi_tcr(load_profile(BASE), t, WATER) for t in ens]
    for k in range(3):
        want = det[k][(det[k].medium == "soil") & (det[k].group == "child")].HI.to_numpy()
        np.testing.assert_array_equal(res["soil"].HI_var_pct.sel(group="child", unc=k, var_pct=50.0).values, want)
    assert res["water"].HI_var_pct.sel(var_pct=50.0).std("unc").min() > 0  # the error moves the water HI
    with pytest.raises(ValueError, match="one per outer draw; got 3 for 4"):
        simulate_2d(spec, ens, WATER, n_outer=4, n_inner=2, seed=0)


# -------------------------------------------------------------------------------- refusals


def _base_data():
    return yaml.safe_load((load_twod_spec("twod_default")[1]).read_text())


def _tox(d):
    return d["uncertainty"]["toxicity"]["As"]["RfDo"]["scenarios"]


REFUSALS = [
    (
        lambda d: d["variability"]["child"].update(BW={"dist": "beta", "a": 2, "b": 3, "unit": "kg", "source": "test"}),
        r"variability\.child\.BW: beta is a distribution of a fraction",
    ),
    (
        lambda d: d["variability"]["adult"].update(
            IngR={"dist": "uniform", "min": 300, "max": 100, "unit": "mg/d", "source": "test"}
        ),
        r"variability\.adult\.IngR: .*min \(300\.0\) must be below max \(100\.0\)",
    ),
    (
        lambda d: d["variability"]["child"]["BW"].update(dist="gamma"),
        r"variability\.child\.BW\.dist: Input should be 'fixed'",
    ),
    (
        lambda d: d["variability"]["child"].update(XX=d["variability"]["child"]["BW"]),
        r"variability\.child\.XX: not an exposure factor",
    ),
    (
        lambda d: d["correlations"]["child"].update(
            factors=["BW", "IngR", "IRw"], matrix=[[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]
        ),
        r"correlations\.child\.matrix: not positive definite",
    ),
    (
        lambda d: d["correlations"]["child"].update(matrix=[[1, 0.3], [0.2, 1]]),
        r"correlations\.child\.matrix: not symmetric",
    ),
    (
        lambda d: _tox(d)["iris_1991"].update(weight=1.5),
        r"uncertainty\.toxicity\.As\.RfDo\.scenarios\.iris_1991\.weight: Input should be less than or equal to 1",
    ),
    (
        lambda d: _tox(d)["iris_1991"].update(weight=0.4),
        r"uncertainty\.toxicity\.As\.RfDo\.scenarios: weights sum to 0\.9; they must sum to 1",
    ),
    (
        lambda d: d["uncertainty"]["bioaccessibility"].update(
            As={"dist": "fixed", "value": 1.2, "unit": "1", "source": "test"}
        ),
        r"uncertainty\.bioaccessibility\.As: a fraction in \[0, 1\]",
    ),
    (
        lambda d: d["uncertainty"]["bioaccessibility"].update(Hg=d["uncertainty"]["bioaccessibility"]["As"]),
        r"uncertainty\.bioaccessibility\.Hg: unknown metal",
    ),
    (lambda d: d["uncertainty"]["bioaccessibility"].pop("Cu"), r"uncertainty\.bioaccessibility\.Cu: missing"),
    (
        lambda d: d["uncertainty"]["toxicity"].update(Hg=d["uncertainty"]["toxicity"]["As"]),
        r"uncertainty\.toxicity\.Hg: unknown metal",
    ),
    (
        lambda d: d["uncertainty"]["parameters"].update(
            {"child.XX.median": d["uncertainty"]["parameters"]["child.IngR.median"]}
        ),
        r"uncertainty\.parameters\.child\.XX\.median: 'XX' has no variability distribution",
    ),
    (
        lambda d: d["uncertainty"]["parameters"].update(
            {"child.BW.gsd": {"dist": "uniform", "min": 0.5, "max": 1.5, "unit": "1", "source": "test"}}
        ),
        r"uncertainty\.parameters\.child\.BW\.gsd: gsd must be > 1",
    ),
]


@pytest.mark.parametrize("mutate,message", REFUSALS)
def test_refusals_name_file_and_key_and_write_nothing(tmp_path, mutate, message):
    data = copy.deepcopy(_base_data())
    mutate(data)
    path = tmp_path / "twod_bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ConfigError) as err:
        load_twod_spec(path)
    text = str(err.value)
    assert re.search(re.escape(str(path)) + ": " + message, text), text
    assert len(text.splitlines()) == 1  # one clear message for the one problem
    assert sorted(p.name for p in tmp_path.iterdir()) == ["twod_bad.yaml"]


def test_shipped_example_loads_and_marks_what_is_unverified():
    spec, path = load_twod_spec("twod_default")
    assert spec.base_profile == "usepa_default" and set(spec.uncertainty.bioaccessibility) == set(METALS)
    assert "UNVERIFIED" in path.read_text()


def test_the_local_spec_loads_and_runs_with_the_local_profile():
    spec, path = load_twod_spec("twod_china")
    assert spec.base_profile == "china_xinjiang" and "UNVERIFIED" in path.read_text()
    ens = [SOIL.assign(**{m: SOIL[m] * (1 + 0.1 * k) for m in METALS}) for k in range(3)]
    wens = [WATER.assign(**{m: WATER[m] * (1 + 0.1 * k) for m in METALS}) for k in range(3)]
    res = simulate_2d(spec, ens, wens, n_outer=3, n_inner=500, seed=1)
    assert (res["soil"].param_child_IngR_median >= 250).all() and (res["soil"].param_child_IngR_median <= 400).all()
