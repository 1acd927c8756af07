"""Stage 10: probabilistic risk (Monte Carlo), one-at-a-time sensitivity and the Sect. 4.2.1 audit.

Outputs (``data_derived/risk_uncertainty/``):
  sensitivity.csv     HI / TCR change per scenario, site and group (base: the figure profile and paper_as_stated)
  mc_summary.csv      per medium, site, group: deterministic value, mean, percentiles, P(HI > 1), P(TCR > 1e-4 / 1e-6)
  mc_rank.csv         Spearman rank correlation of each varying input with HI and TCR, share of variance
  montecarlo.nc       NetCDF: every draw of the inputs and of HI / TCR per site (same seed -> same bytes)
and ``paper/audit/sensitivity.csv`` (Sect. 4.2.1 claims beside the scenario ranges).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths
from ..config import Params, params_hash
from ..provenance import atomic_path, combine_status, make_provenance, write_sidecar, write_table
from ..reported import Reported
from ..sites import load_sites, site_table_source
from .montecarlo import load_spec, rank_sensitivity, sample, simulate, summarise
from .profiles import load_profile
from .sensitivity import _summary, audit_sensitivity, run_scenarios

__all__ = ["run_uncertainty", "out_dir"]


def out_dir() -> Path:
    return paths.DATA_DERIVED / "risk_uncertainty"


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


def run_uncertainty(params: Params, rep: Reported, script: Path) -> dict[str, Path]:
    u = params.uncertainty
    soil, water = load_sites("soil"), load_sites("water")
    status = combine_status(*soil.data_status, *water.data_status)
    spec, spec_path = load_spec(u.spec)
    base = load_profile(spec.base_profile)
    prof_files = sorted(paths.PROFILES.glob("*.yaml"))
    inputs = [paths.REPORTED, spec_path, *prof_files, *(site_table_source(m) for m in ("soil", "water"))]
    prov = make_provenance(script, params_hash(params), inputs, status,
                           note=f"uncertainty spec {spec.name}, base profile {spec.base_profile}")
    out = out_dir()
    files = {}

    runs = pd.concat([run_scenarios(load_profile(p), soil, water)
                      for p in dict.fromkeys([params.figures.risk_profile, "paper_as_stated"])], ignore_index=True)
    files["sensitivity"] = write_table(runs, out / "sensitivity.csv", prov, float_format="%.6g")
    audit = audit_sensitivity(rep, runs[runs.profile == params.figures.risk_profile], status)
    files["audit"] = write_table(audit, paths.AUDIT / "sensitivity.csv", prov, float_format="%.6g")

    draws = sample(spec, u.draws, u.seed)
    sim = simulate(spec, soil, water, draws, base)
    summary = summarise(sim, soil, water, _summary(base, soil, water))
    files["mc_summary"] = write_table(summary, out / "mc_summary.csv", prov, float_format="%.6g")
    files["mc_rank"] = write_table(rank_sensitivity(sim, draws, soil, water), out / "mc_rank.csv", prov,
                                   float_format="%.6g")
    attrs = {"title": f"Monte Carlo HI and TCR, spec {spec.name} (base profile {spec.base_profile})",
             "draws": u.draws, "seed": u.seed, "sampling": "Latin hypercube (scipy.stats.qmc), independent inputs",
             "spec": json.dumps(spec.model_dump(mode="json"), sort_keys=True),
             "tarimhm_git_commit": prov.git_commit + ("+dirty" if prov.git_dirty else ""),
             "tarimhm_params_hash": prov.params_hash, "tarimhm_data_status": status}
    files["montecarlo"] = _netcdf(out / "montecarlo.nc", sim, draws, soil, water, attrs)
    write_sidecar(files["montecarlo"], prov)
    return files
