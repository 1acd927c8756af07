"""Stages 040 (Monte Carlo, one-at-a-time sensitivity, the Sect. 4.2.1 audit) and 041 (PyMC calibration).

Outputs (``data_derived/uncertainty/``):
  sensitivity.csv     HI / TCR change per scenario, site and group (base: the figure profile and paper_as_stated)
  mc_summary.csv      per medium, site, group: deterministic value, mean, percentiles, P(HI > 1), P(TCR > 1e-4 / 1e-6)
  mc_rank.csv         Spearman rank correlation of each varying input with HI and TCR, share of variance
  montecarlo.nc       NetCDF: every draw of the inputs and of HI / TCR per site (same seed -> same bytes)
  bayes_posterior.csv exposure factors consistent with the paper's soil HI/CR (PyMC): prior vs posterior
  bayes_endpoints.csv the 28 endpoints, reported vs posterior
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
from ..audit import write_audit
from ..config import Params, section_hash
from ..provenance import atomic_path, make_provenance, write_sidecar, write_table
from ..reported import Reported
from ..risk.assess import hi_tcr
from ..risk.profiles import load_profile
from ..sitetable import data_status, load_sites, site_table_source
from .montecarlo import load_spec, rank_sensitivity, sample, simulate, summarise
from .sensitivity import audit_sensitivity, run_scenarios

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


def run_bayes(params: Params, rep: Reported, script: Path) -> dict[str, Path]:
    """Stage 041: Bayesian calibration of the exposure factors to the printed soil endpoints, and its predictive."""
    import xarray as xr

    from .bayes import fit, posterior_tables

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
