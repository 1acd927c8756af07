"""Stages 040 (Monte Carlo, one-at-a-time sensitivity, the Sect. 4.2.1 audit) and 041 (PyMC calibration).

Outputs (``data_derived/uncertainty/``):
  sensitivity.csv     HI / TCR change per scenario, site and group (base: the figure profile and paper_as_stated)
  mc_summary.csv      per medium, site, group: deterministic value, mean, percentiles, P(HI > 1), P(TCR > 1e-4 / 1e-6)
  mc_rank.csv         Spearman rank correlation of each varying input with HI and TCR, share of variance
  montecarlo.nc       NetCDF: every draw of the inputs and of HI / TCR per site (same seed -> same bytes)
  bayes_posterior.csv exposure factors consistent with the paper's soil HI/CR (PyMC): prior vs posterior
  bayes_endpoints.csv the 28 endpoints, reported vs posterior
  bayes_identification.csv what the endpoints identify: IngR/BW, ED/BW, ... vs single factors
  bayes_sites.csv     HI / TCR per site under the posterior factors (posterior predictive)
  bayes_posterior.nc  NetCDF: the posterior draws
and ``paper/audit/sensitivity.csv`` (Sect. 4.2.1 claims beside the scenario ranges).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths
from .._errors import ConfigError
from ..audit import write_audit
from ..config import Params, section_hash
from ..provenance import atomic_path, committed, make_provenance, write_json, write_sidecar, write_table
from ..reported import Reported
from ..risk.assess import hi_tcr
from ..risk.profiles import load_profile
from ..sitetable import data_status, load_sites, site_table_source
from .montecarlo import load_spec, rank_sensitivity, sample, simulate, summarise
from .sensitivity import audit_sensitivity, run_scenarios
from .twod import mcse_quantile

__all__ = ["run_montecarlo", "run_bayes"]

SECTIONS = ("uncertainty", "risk")  # the parameter sections both stages read


def _netcdf(path: Path, sim: dict, draws: pd.DataFrame, soil, water, attrs: dict) -> Path:
    """Write every draw as NetCDF-3 (scipy engine: no timestamp inside, so the bytes are reproducible)."""
    import xarray as xr

    data = {f"input_{c.replace('.', '_')}": (("draw",), draws[c].to_numpy()) for c in draws.columns}
    sites = {"soil": soil.site_id.to_list(), "water": water.site_id.to_list()}
    coords = {"draw": np.arange(len(draws)), "soil_site": sites["soil"], "water_site": sites["water"]}
    for (med, g), res in sim.items():
        for out, unit in (("HI", "1"), ("TCR", "1")):
            data[f"{out}_{med}_{g}"] = (("draw", f"{med}_site"), res[out], {"units": unit})
    ds = xr.Dataset(data, coords=coords, attrs=attrs)
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="scipy", format="NETCDF3_64BIT")
    return path


def _inputs(spec_path: Path) -> tuple[list[Path], list[Path]]:
    """(every input of the stage, the parameter files among them)."""
    prof_files = sorted(paths.PROFILES.glob("*.yaml"))
    return (
        [paths.REPORTED, spec_path, *prof_files, *(site_table_source(m) for m in ("soil", "water"))],
        [spec_path, *prof_files],
    )


@committed("uncertainty")
def run_montecarlo(params: Params, rep: Reported, script: Path) -> dict[str, Path]:
    """Stage 040: one-at-a-time sensitivity with the Sect. 4.2.1 audit, then the Latin-hypercube Monte Carlo."""
    u = params.uncertainty
    soil, water = load_sites("soil"), load_sites("water")
    status = data_status(soil, water)
    spec, spec_path = load_spec(u.spec)
    base = load_profile(spec.base_profile)
    inputs, _ = _inputs(spec_path)
    prov = make_provenance(
        script,
        section_hash(params, *SECTIONS),
        inputs,
        status,
        note=f"uncertainty spec {spec.name}, base profile {spec.base_profile}",
    )
    out = paths.uncertainty_dir()
    files = {}

    ref = params.risk.reference_profile
    runs = pd.concat(
        [run_scenarios(load_profile(p), soil, water) for p in dict.fromkeys([ref, "paper_as_stated"])],
        ignore_index=True,
    )
    files["sensitivity"] = write_table(runs, out / "sensitivity.csv", prov, float_format="%.6g")
    audit = audit_sensitivity(rep, runs[runs.profile == ref], status)
    files["audit"] = write_audit(audit, paths.audit_file("sensitivity.csv"), prov)

    draws = sample(spec, u.draws, u.seed)
    sim = simulate(spec, soil, water, draws, base)
    summary = summarise(sim, soil, water, hi_tcr(base, soil, water))
    files["mc_summary"] = write_table(summary, out / "mc_summary.csv", prov, float_format="%.6g")
    files["mc_rank"] = write_table(
        rank_sensitivity(sim, draws, soil, water), out / "mc_rank.csv", prov, float_format="%.6g"
    )
    attrs = {
        "title": f"Monte Carlo HI and TCR, spec {spec.name} (base profile {spec.base_profile})",
        "draws": u.draws,
        "seed": u.seed,
        "sampling": "Latin hypercube (scipy.stats.qmc), independent inputs",
        "spec": json.dumps(spec.model_dump(mode="json"), sort_keys=True),
        "tarimhm_git_commit": prov.git_commit + ("+dirty" if prov.git_dirty else ""),
        "tarimhm_params_hash": prov.params_hash,
        "tarimhm_data_status": status,
    }
    files["montecarlo"] = _netcdf(out / "montecarlo.nc", sim, draws, soil, water, attrs)
    write_sidecar(files["montecarlo"], prov)
    return files


@committed("uncertainty")
def run_bayes(params: Params, rep: Reported, script: Path) -> dict[str, Path]:
    """Stage 041: Bayesian calibration of the exposure factors to the printed soil endpoints, and its predictive."""
    import xarray as xr

    from .bayes import fit, identification, posterior_tables

    u, out = params.uncertainty, paths.uncertainty_dir()
    soil, water = load_sites("soil"), load_sites("water")
    spec, spec_path = load_spec(u.spec)
    inputs, param_files = _inputs(spec_path)
    prof = load_profile(params.risk.reference_profile)  # the structure the grid calibration found
    idata, ends, names = fit(prof, rep, spec, u.bayes_draws, u.bayes_tune, u.bayes_chains, u.seed)
    post, ep = posterior_tables(idata, ends, names, spec)
    prov_real = make_provenance(
        script,
        section_hash(params, *SECTIONS),
        [paths.REPORTED, *param_files],
        "real",
        note=f"Bayesian calibration (PyMC NUTS) of {', '.join(names)} to the 28 printed soil "
        f"HI/CR endpoints; structure of profile {prof.name}, priors of spec {spec.name}",
    )
    files = {
        "bayes_posterior": write_table(post, out / "bayes_posterior.csv", prov_real, float_format="%.6g"),
        "bayes_endpoints": write_table(ep, out / "bayes_endpoints.csv", prov_real, float_format="%.6g"),
        "bayes_identification": write_table(
            identification(idata, names, prof, rep, spec),
            out / "bayes_identification.csv",
            prov_real,
            float_format="%.6g",
        ),
    }
    data = {n: (("chain", "draw"), np.asarray(idata.posterior[n])) for n in [*names, "s_model"]}
    data.update({f"prior_{n}": (("prior_draw",), np.asarray(idata.prior[n]).ravel()) for n in [*names, "s_model"]})
    ds = xr.Dataset(
        data,
        attrs={
            "title": "posterior of the exposure factors given the paper's soil HI/CR endpoints",
            "profile": prof.name,
            "spec": spec.name,
            "seed": u.seed,
            "tarimhm_git_commit": prov_real.git_commit,
            "tarimhm_data_status": "real",
        },
    )
    files["bayes_nc"] = out / "bayes_posterior.nc"
    with atomic_path(files["bayes_nc"]) as tmp:
        ds.to_netcdf(tmp, engine="scipy", format="NETCDF3_64BIT")
    write_sidecar(files["bayes_nc"], prov_real)
    # posterior predictive at the pipeline's sites: unconstrained inputs keep their prior draws
    n = ds.sizes["chain"] * ds.sizes["draw"]
    pspec = spec.model_copy(update={"bioaccessibility": {}})
    draws = sample(pspec, n, u.seed)
    for name in names:
        draws[name] = np.asarray(ds[name]).ravel()
    sim = simulate(pspec, soil, water, draws, prof)
    prov = make_provenance(
        script,
        section_hash(params, *SECTIONS),
        inputs,
        data_status(soil, water),
        note=f"HI/TCR under the posterior exposure factors (profile {prof.name})",
    )
    files["bayes_sites"] = write_table(
        summarise(sim, soil, water, hi_tcr(prof, soil, water)), out / "bayes_sites.csv", prov, float_format="%.6g"
    )
    return files


# --------------------------------------------------------------------------------- stage 042 (2-D MC)

TWOD_SECTIONS = ("twod", "risk")


def _nc4(ds, path: Path, prov) -> Path:
    """NetCDF-4 (h5netcdf: no timestamp inside, so the same seed gives the same bytes) with provenance attrs."""
    ds = ds.assign_attrs(
        tarimhm_git_commit=prov.git_commit + ("+dirty" if prov.git_dirty else ""),
        tarimhm_params_hash=prov.params_hash,
        tarimhm_data_status=prov.data_status,
    )
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf")
    write_sidecar(path, prov)
    return path


def _summary(res: dict, det: pd.DataFrame, share: float) -> pd.DataFrame:
    """Per medium, group, site: the RAGS III App. D table (percentile of percentile) with MCSE."""
    rows = []
    for medium, ds in res.items():
        n_outer = ds.sizes["unc"]
        for g in ds.group.values:
            for s in ds.site.values:
                r = {"medium": medium, "group": str(g), "site_id": str(s)}
                d = det[(det.medium == medium) & (det.group == g) & (det.site_id.astype(str) == s)]
                for out in ("HI", "TCR"):
                    r[f"{out}_deterministic"] = float(d[out].iloc[0]) if len(d) else np.nan
                    q = ds[f"{out}_var_pct_unc"].sel(group=g, site=s)
                    se = ds[f"{out}_var_pct_unc_mcse"].sel(group=g, site=s)
                    for p in (50.0, 90.0, 95.0):
                        tag = f"{out}_P{int(p)}"
                        r[tag] = float(q.sel(var_pct=p, unc_q=0.5))
                        r[f"{tag}_lo90"] = float(q.sel(var_pct=p, unc_q=0.05))
                        r[f"{tag}_hi90"] = float(q.sel(var_pct=p, unc_q=0.95))
                        r[f"{tag}_mcse"] = float(se.sel(var_pct=p, unc_q=0.5))
                    inner = ds[f"{out}_var_pct"].sel(group=g, site=s, var_pct=95.0)
                    inner_se = ds[f"{out}_var_pct_mcse"].sel(group=g, site=s, var_pct=95.0)
                    rel = (inner_se / inner).where(inner > 0)
                    r[f"{out}_P95_rel_mcse_inner"] = float(rel.median())
                    r[f"{out}_P95_rel_mcse_inner_max"] = float(rel.max())
                    thr_dim = "hi_threshold" if out == "HI" else "tcr_threshold"
                    for t in ds[thr_dim].values:
                        tag = f"{out}_frac_gt_{t:g}"
                        fq = ds[f"{out}_frac_exceed_unc"].sel(group=g, site=s, **{thr_dim: t})
                        r[tag] = float(fq.sel(unc_q=0.5))
                        r[f"{tag}_lo90"] = float(fq.sel(unc_q=0.05))
                        r[f"{tag}_hi90"] = float(fq.sel(unc_q=0.95))
                        f = ds[f"{out}_frac_exceed"].sel(group=g, site=s, **{thr_dim: t}).to_numpy()
                        pr = float((f > share).mean())
                        r[f"P_{tag}_gt_{share:g}"] = pr
                        r[f"P_{tag}_gt_{share:g}_mcse"] = float(np.sqrt(pr * (1 - pr) / n_outer))
                    r[f"{out}_uv_ratio"] = float(ds[f"{out}_uv_ratio"].sel(group=g, site=s))
                rows.append(r)
    return pd.DataFrame(rows)


def _tails(res: dict, reruns: list[dict], k: int, target: float) -> pd.DataFrame:
    """Tail stability (EPA 1997): inner-loop P95 of the first k outer draws under each inner seed."""
    rows = []
    for medium, ds in res.items():
        for out in ("HI", "TCR"):
            runs = [ds[f"{out}_var_pct"].isel(unc=slice(0, k))] + [r[medium][f"{out}_var_pct"] for r in reruns]
            p95 = np.stack([np.asarray(x.sel(var_pct=95.0)) for x in runs])  # (seed, group, unc, site)
            se = np.asarray(ds[f"{out}_var_pct_mcse"].isel(unc=slice(0, k)).sel(var_pct=95.0))
            mean = p95.mean(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                rel_sd = p95.std(axis=0, ddof=1) / mean
                rel_se = se / mean
            for gi, g in enumerate(ds.group.values):
                for si, s in enumerate(ds.site.values):
                    r = {"medium": medium, "output": out, "group": str(g), "site_id": str(s)}
                    for j in range(len(runs)):
                        r[f"P95_seed{j + 1}"] = float(np.median(p95[j, gi, :, si]))
                    r["rel_sd_over_seeds"] = float(np.nanmedian(rel_sd[gi, :, si]))
                    r["rel_mcse"] = float(np.nanmedian(rel_se[gi, :, si]))
                    r["stable"] = bool(r["rel_sd_over_seeds"] <= 2 * target)
                    rows.append(r)
    return pd.DataFrame(rows)


def _by_scenario(spec, res: dict, share: float) -> pd.DataFrame:
    """Per toxicity scenario of each lead choice (with the choices that follow it): the RME (median of
    the inner-loop P95 over the outer draws of that scenario, with its MCSE), its 90 % interval and
    P(share of the group above each threshold > ``share``) with its binomial MCSE. With share 0.05
    the latter is also P(P95 > threshold): the two events are the same."""
    rows = []
    choices = [(m, f, c) for m, fields in spec.uncertainty.toxicity.items() for f, c in fields.items()]
    for m, f, ch in choices:
        if ch.follows:
            continue
        followers = [f"{m2}.{f2}" for m2, f2, c2 in choices if c2.follows == f"{m}.{f}"]
        for medium, ds in res.items():
            idx = ds[f"tox_{m}_{f}"].to_numpy()
            for i, name in enumerate(ch.scenarios):
                sel = idx == i
                if not sel.any():
                    continue
                for out in ("HI", "TCR"):
                    p95 = ds[f"{out}_var_pct"].sel(var_pct=95.0).isel(unc=np.flatnonzero(sel))
                    thr_dim = "hi_threshold" if out == "HI" else "tcr_threshold"
                    for g in ds.group.values:
                        for s in ds.site.values:
                            x = p95.sel(group=g, site=s).to_numpy()
                            r = {
                                "choice": "+".join([f"{m}.{f}", *followers]),
                                "scenario": name,
                                "medium": medium,
                                "output": out,
                                "group": str(g),
                                "site_id": str(s),
                                "n_outer": int(sel.sum()),
                                "weight": float(ch.scenarios[name].weight),
                                "P95_median": float(np.median(x)),
                                "P95_median_mcse": float(mcse_quantile(x, 0.5)),
                                "P95_lo90": float(np.quantile(x, 0.05)),
                                "P95_hi90": float(np.quantile(x, 0.95)),
                            }
                            for t in ds[thr_dim].values:
                                fr = ds[f"{out}_frac_exceed"].sel(group=g, site=s, **{thr_dim: t})
                                fr = fr.isel(unc=np.flatnonzero(sel)).to_numpy()
                                pr = float((fr > share).mean())
                                r[f"P(frac>{t:g} > {share:g})"] = pr
                                r[f"P(frac>{t:g} > {share:g})_mcse"] = float(np.sqrt(pr * (1 - pr) / sel.sum()))
                            rows.append(r)
    return pd.DataFrame(rows)


def _stratified(summary: pd.DataFrame, scen: pd.DataFrame, share: float) -> pd.DataFrame:
    """P(share above HI 1 / TCR 1e-4 > ``share``) recombined over the scenarios of the one lead
    toxicity choice with their known weights (post-stratification): sum_s w_s p_s, MCSE
    sqrt(sum_s w_s^2 p_s (1 - p_s) / n_s). It removes the binomial noise of how many outer draws
    fell in each scenario. NaN unless exactly one lead choice has scenarios."""
    out = summary.copy()
    leads = scen.choice.unique() if len(scen) else []
    for o, t in (("HI", 1.0), ("TCR", 1e-4)):
        col = f"P(frac>{t:g} > {share:g})"
        name = f"P_{o}_frac_gt_{t:g}_gt_{share:g}_strat"
        out[name], out[name + "_mcse"] = np.nan, np.nan
        if len(leads) != 1:
            continue
        d = scen[scen.output == o].copy()
        d["wp"] = d.weight * d[col]
        d["v"] = d.weight**2 * d[col] * (1 - d[col]) / d.n_outer
        agg = d.groupby(["medium", "group", "site_id"])[["wp", "v"]].sum().reset_index()
        m = out[["medium", "group", "site_id"]].merge(agg, how="left", on=["medium", "group", "site_id"])
        out[name], out[name + "_mcse"] = m.wp.to_numpy(), np.sqrt(m.v.to_numpy())
    return out


@committed("uncertainty")
def run_twod(params: Params, rep: Reported, script: Path, progress: bool = True) -> dict[str, Path]:
    """Stage 042: PyMC posterior of the uncertain inputs, 2-D Monte Carlo, tail stability, Sobol indices."""
    import time

    from tqdm.auto import tqdm

    from ..sitetable import ensemble_members
    from . import propagate, sobol
    from .twod import load_twod_spec, n_inner_from_pilot, simulate_2d

    t = params.twod
    spec, spec_path = load_twod_spec(t.spec)
    prof = load_profile(spec.base_profile)
    soil, water = load_sites("soil"), load_sites("water")
    status = data_status(soil, water)
    members = {"soil": ensemble_members("soil", soil), "water": ensemble_members("water", water)}
    modes = {m: spec.uncertainty.concentrations.get(m) for m in ("soil", "water")}
    tabs = {}
    for m in ("soil", "water"):
        ens = modes[m] is not None and modes[m].mode == "ensemble"
        if ens and len(members[m]) == 1:
            raise ConfigError(
                f"{spec_path}: uncertainty.concentrations.{m}: mode ensemble, but the {m} site table is real "
                "(no reconstruction ensemble); use mode measurement_error with a cv"
            )
        tabs[m] = members[m] if ens else [members[m][0]]
    t0 = time.time()
    names = propagate.free_names(spec)
    idata = propagate.sample_posterior(spec, t.draws, t.tune, t.chains, t.seed, t.target_accept)
    diag = (
        propagate.gate(idata, names, t.rhat_max, t.ess_min, n_outer=t.n_outer) if idata is not None else pd.DataFrame()
    )
    post = propagate.outer_draws(idata, names, t.n_outer) if idata is not None else {}
    t_pymc = time.time() - t0

    def tables(medium, n):
        """One table per outer draw: members evenly spaced over the whole ensemble (its chains are
        written one after another, so the first n members would come from the first chains only)."""
        ts = tabs[medium]
        if len(ts) == 1:
            return ts[0]
        return [ts[(o * len(ts)) // n] for o in range(n)] if n <= len(ts) else [ts[o % len(ts)] for o in range(n)]

    if t.n_inner == "auto":
        pilot = simulate_2d(
            spec,
            tables("soil", t.pilot_outer),
            tables("water", t.pilot_outer),
            t.pilot_outer,
            t.pilot_inner,
            t.seed,
            chunk=t.chunk,
            prof=prof,
            posterior=post or None,
        )
        n_inner = min(n_inner_from_pilot(pilot, t.pilot_inner, t.rel_mcse_p95), t.n_inner_max)
    else:
        n_inner = t.n_inner
    bar = tqdm(
        total=t.n_outer + (t.tail_seeds - 1) * t.tail_outer,
        desc="2-D Monte Carlo (outer draws)",
        disable=None if progress else True,  # None: no bar unless stderr is a terminal
        leave=False,
    )
    run = dict(prof=prof, posterior=post or None, chunk=t.chunk, progress=bar.update)
    main = {m: tables(m, t.n_outer) for m in ("soil", "water")}
    res = simulate_2d(spec, main["soil"], main["water"], t.n_outer, n_inner, t.seed, **run)
    k = min(t.tail_outer, t.n_outer)
    first = {m: v[:k] if isinstance(v, list) else v for m, v in main.items()}  # the main run's first k draws
    reruns = [
        simulate_2d(spec, first["soil"], first["water"], k, n_inner, t.seed, inner_seed=t.seed + j, **run)
        for j in range(1, t.tail_seeds)
    ]
    bar.close()
    t_mc = time.time() - t0 - t_pymc
    sob = sobol.sobol_indices(spec, prof, tabs, post, t.sobol_n, t.sobol_resamples, t.conf_level, t.seed)
    det = hi_tcr(prof, members["soil"][0], members["water"][0])
    summary = _summary(res, det, t.exceed_share)
    tails = _tails(res, reruns, k, t.rel_mcse_p95)
    scen = _by_scenario(spec, res, t.exceed_share)
    summary = _stratified(summary, scen, t.exceed_share)
    t_all = time.time() - t0

    # everything is computed: now write (a failure above leaves no output)
    prof_files = sorted(paths.PROFILES.glob("*.yaml"))
    inputs = [spec_path, *prof_files, *(site_table_source(m) for m in ("soil", "water"))]
    inputs += [paths.ensemble(m) for m in ("soil", "water") if len(tabs[m]) > 1]
    prov = make_provenance(
        script,
        section_hash(params, *TWOD_SECTIONS),
        inputs,
        status,
        note=f"2-D Monte Carlo, spec {spec.name} (base profile {spec.base_profile}); n_outer {t.n_outer}, "
        f"n_inner {n_inner}; posterior from {t.chains} NUTS chains x {t.draws}; "
        f"{'no evidence in the spec: posterior = prior' if not spec.uncertainty.evidence else 'with evidence'}",
    )
    out = paths.uncertainty_dir() / "twod"
    files = {}
    if idata is not None:
        files["posterior"] = out / "posterior.nc"
        propagate.strip_timings(idata)  # same seed -> same bytes; run.json has the times
        for g in idata.groups():
            getattr(idata, g).attrs.update(
                tarimhm_git_commit=prov.git_commit + ("+dirty" if prov.git_dirty else ""),
                tarimhm_data_status=prov.data_status,
            )
        with atomic_path(files["posterior"]) as tmp:
            idata.to_netcdf(str(tmp), engine="h5netcdf")
        write_sidecar(files["posterior"], prov)
    for m, ds in res.items():
        files[f"mc_{m}"] = _nc4(ds, out / f"twod_{m}.nc", prov)
    files["summary"] = write_table(summary, out / "summary.csv", prov, float_format="%.6g")
    files["convergence"] = write_table(diag, out / "convergence.csv", prov, float_format="%.6g")
    files["tails"] = write_table(tails, out / "tail_stability.csv", prov, float_format="%.6g")
    files["scenarios"] = write_table(scen, out / "toxicity_scenarios.csv", prov, float_format="%.6g")
    files["sobol"] = write_table(sob, out / "sobol.csv", prov, float_format="%.6g")
    files["run"] = write_json(
        {
            "spec": spec.name,
            "base_profile": spec.base_profile,
            "data_status": status,
            "n_outer": t.n_outer,
            "n_inner": int(n_inner),
            "n_inner_mode": "auto (pilot)" if t.n_inner == "auto" else "fixed",
            "n_inner_capped": bool(t.n_inner == "auto" and n_inner == t.n_inner_max),
            "posterior_draws": int(t.chains * t.draws),
            "evidence": sorted(spec.uncertainty.evidence),
            "concentrations": {m: (modes[m].mode if modes[m] else "fixed") for m in ("soil", "water")},
            "members": {m: len(tabs[m]) for m in ("soil", "water")},
            "seconds": {"pymc": round(t_pymc, 1), "monte_carlo": round(t_mc, 1), "total": round(t_all, 1)},
        },
        out / "run.json",
        prov,
    )
    return files
