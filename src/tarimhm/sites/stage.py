"""Stage 010: reconstruct the site tables, decide which tables the pipeline uses, audit Sect. 2.1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import geo, paths
from ..audit import write_audit
from ..config import Params, params_hash, section_hash
from ..domain import METALS, UNITS
from ..provenance import atomic_path, committed, make_provenance, write_json, write_sidecar, write_table
from ..reported import Reported
from ..sitetable import COLUMNS, read_site_table, site_table_path, validate_site_table
from .audit import audit_geography
from .consistency import checks_frame, conflict_map, excluded_constraints, run_checks
from .ensemble import summarise_cells
from .locate import load_site_locations, locate_sites
from .reconstruct import EnsembleFit, reconstruct_ensemble, residual_table
from .targets import SITE_IDS

__all__ = ["run_reconstruction"]

MEMBER0 = "member 0 = medoid of the ensemble: the table the RF, the maps and the figures use"


def _write_ensemble(fit: EnsembleFit, path: Path, prov, digits: int) -> Path:
    """All members as NetCDF-3 (scipy engine: no timestamp inside, so the bytes are reproducible)."""
    import xarray as xr

    sites = SITE_IDS[fit.medium]
    ds = xr.Dataset(
        {
            "concentration": (
                ("member", "site_id", "metal"),
                fit.members,
                {"units": UNITS[fit.medium], "long_name": f"{fit.medium} concentration"},
            ),
            "chain": (("member",), fit.chain.astype("int32"), {"long_name": "Metropolis chain of the member"}),
        },
        coords={"member": np.arange(len(fit.members), dtype="int32"), "site_id": sites, "metal": list(METALS)},
        attrs={
            "title": f"Reconstruction ensemble of the {fit.medium} site table (Zhao et al. 2026, Tables S1/S2)",
            "Conventions": "CF-1.8",
            "member_0": MEMBER0,
            "method": "tarimhm.sites.ensemble: lognormal prior restricted to the printed rounding intervals, "
            "random-walk Metropolis in the null space of the constraint Jacobian",
            "significant_digits": digits,
            "data_status": "reconstructed",
            # provenance without its time stamp, so that the same seed gives the same bytes (full: sidecar)
            **{k: v for k, v in prov.flat().items() if k != "tarimhm_created_utc"},
        },
    )
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="scipy", format="NETCDF3_64BIT")
    write_sidecar(path, prov)
    return path


def _identifiability(fit: EnsembleFit, n_targets: dict) -> tuple[dict, pd.DataFrame]:
    """Rank and null-space dimension of the constraint Jacobian at member 0; the targets that pin each cell."""
    J = fit.jacobian
    s = np.linalg.svd(J, compute_uv=False) if J.size else np.zeros(0)
    rank = int(np.sum(s > 1e-8 * s.max())) if s.size else 0
    n_cells = J.shape[1]
    row = {
        "medium": fit.medium,
        "cells": n_cells,
        "interval_constraints": J.shape[0],
        **n_targets,
        "jacobian_rank": rank,
        "null_space_dimension": n_cells - rank,
        "widened_intervals": len(fit.widened),
    }
    sites = SITE_IDS[fit.medium]
    rows = []
    for c in range(n_cells):
        col = np.abs(J[:, c])
        top = np.argsort(-col, kind="stable")[:3]
        for k, t in enumerate(top):
            if col[t] <= 0:
                continue
            rows.append(
                {
                    "medium": fit.medium,
                    "site_id": sites[c // len(METALS)],
                    "metal": METALS[c % len(METALS)],
                    "rank": k + 1,
                    "constraint_id": fit.jacobian_rows[t],
                    # |d(statistic)/d ln C| in units of the statistic's interval half-width
                    "sensitivity_per_half_width": float(col[t]),
                }
            )
    return row, pd.DataFrame(rows)


@committed("sites")
def run_reconstruction(params: Params, rep: Reported, script: Path, progress: bool = True) -> dict:
    """Write data_derived/sites/: reconstructed tables, residuals, consistency checks, used tables."""
    p = params.reconstruction
    out = paths.sites_dir()
    checks = run_checks(rep, p.tolerance_rel)
    excl = excluded_constraints(checks)
    conflicts = conflict_map(checks)
    loc = load_site_locations()
    geo_inputs = [geo.geo_path(k) for k in ("prefectures", "rivers", "dem")]
    base_inputs = [paths.REPORTED, paths.SITE_LOCATIONS, *geo_inputs]
    phash = section_hash(params, "reconstruction", "risk.hpi_form")
    prov_rec = make_provenance(
        script,
        phash,
        base_inputs,
        "reconstructed",
        note="site concentrations fitted to statistics reported in the paper; "
        "coordinates approximate (analysis/site_locations.yaml)",
    )
    write_table(checks_frame(checks), out / "consistency.csv", prov_rec, float_format="%.6g")
    residuals, summary = [], {"media": {}}
    cells, ident, pins = [], [], []
    for medium in ("soil", "water"):
        rec, fit = reconstruct_ensemble(rep, medium, p, excl, hpi_form=params.risk.hpi_form, progress=progress)
        _write_ensemble(fit, paths.ensemble(medium), prov_rec, p.significant_digits)
        cells.append(summarise_cells(fit.members, medium, SITE_IDS[medium]))
        kinds = pd.Series([iv.source for iv in fit.intervals.values()]).value_counts()
        row, pin = _identifiability(
            fit, {f"{k.split(' ')[0]}_constraints": int(kinds.get(k, 0)) for k in ("exact", "one-sided", "soft")}
        )
        ident.append(row)
        pins.append(pin)
        locs = locate_sites(loc, medium, SITE_IDS[medium])
        df = rec.concentrations.merge(locs, on="site_id")
        df["medium"], df["unit"], df["data_status"] = medium, UNITS[medium], "reconstructed"
        df = validate_site_table(df[list(COLUMNS)], medium, "reconstruction")
        fmt = f"%.{p.significant_digits}g"
        write_table(df, site_table_path(medium, "reconstructed"), prov_rec, float_format=fmt)
        rt = residual_table(rec, p, conflicts)
        iv = fit.intervals
        rt["interval_lo"] = [iv[c].lo if c in iv else np.nan for c in rt.constraint_id]
        rt["interval_hi"] = [iv[c].hi if c in iv else np.nan for c in rt.constraint_id]
        rt["interval_source"] = [iv[c].source if c in iv else "" for c in rt.constraint_id]
        rt["in_interval"] = [iv[c].contains(v) if c in iv else None for c, v in zip(rt.constraint_id, rt.reconstructed)]
        residuals.append(rt)
        real = site_table_path(medium, "real")
        if real.exists():
            used = read_site_table(real, medium, data_status="real")
            prov_used = make_provenance(script, phash, [real], "real", note="user-supplied site table")
        else:
            used, prov_used = df, prov_rec
        write_table(used, site_table_path(medium, "used"), prov_used, float_format=fmt)
        fitted = rt[rt.fitted]
        summary["media"][medium] = {
            "data_status_used": str(used["data_status"].iloc[0]),
            "n_sites": int(len(df)),
            "cost": rec.cost,
            "best_start": rec.best_start,
            "start_costs": rec.start_costs,
            "constraints": int(len(rt)),
            "fitted": int(len(fitted)),
            "fitted_met": int(fitted.met.sum()),
            "not_fitted": sorted(rt.loc[~rt.fitted, "constraint_id"]),
            "fitted_not_met": sorted(fitted.loc[~fitted.met, "constraint_id"]),
            "ensemble": {
                "n_members": int(len(fit.members)),
                "member_0": MEMBER0,
                "used_downstream": "real site table (the ensemble describes the reconstruction only)"
                if real.exists()
                else "member 0",
                "widened_intervals": fit.widened,
                **fit.diagnostics,
            },
        }
    write_table(pd.concat(cells, ignore_index=True), out / "ensemble_cells.csv", prov_rec, float_format="%.6g")
    write_table(pd.DataFrame(ident), out / "identifiability.csv", prov_rec, float_format="%.6g")
    write_table(pd.concat(pins, ignore_index=True), out / "pinning.csv", prov_rec, float_format="%.4g")
    allres = pd.concat(residuals, ignore_index=True)
    write_table(allres, out / "residuals.csv", prov_rec, float_format="%.6g")
    summary["checks"] = {v: int(n) for v, n in checks_frame(checks)["verdict"].value_counts().sort_index().items()}
    summary["excluded_from_fit"] = sorted(excl)
    geo_prov = make_provenance(
        script,
        params_hash({}),
        [geo.geo_path("basin"), geo.geo_path("prefectures"), paths.REPORTED],
        "real",
        note="Sect. 2.1 study-area numbers beside the basin polygon",
    )
    write_audit(audit_geography(rep), paths.audit_file("geography.csv"), geo_prov)
    write_json(summary, out / "summary.json", prov_rec)
    return summary
