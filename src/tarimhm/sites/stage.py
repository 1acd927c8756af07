"""Stage 010: reconstruct the site tables, decide which tables the pipeline uses, audit Sect. 2.1."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import geo, paths
from ..audit import write_audit
from ..config import Params, params_hash, section_hash
from ..domain import UNITS
from ..provenance import make_provenance, write_json, write_table
from ..reported import Reported
from ..sitetable import COLUMNS, read_site_table, site_table_path, validate_site_table
from .audit import audit_geography
from .consistency import checks_frame, conflict_map, excluded_constraints, run_checks
from .locate import load_site_locations, locate_sites
from .reconstruct import reconstruct, residual_table
from .targets import SITE_IDS

__all__ = ["run_reconstruction"]


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
    for medium in ("soil", "water"):
        rec = reconstruct(rep, medium, p, excl, hpi_form=params.risk.hpi_form, progress=progress)
        locs = locate_sites(loc, medium, SITE_IDS[medium])
        df = rec.concentrations.merge(locs, on="site_id")
        df["medium"], df["unit"], df["data_status"] = medium, UNITS[medium], "reconstructed"
        df = validate_site_table(df[list(COLUMNS)], medium, "reconstruction")
        fmt = f"%.{p.significant_digits}g"
        write_table(df, site_table_path(medium, "reconstructed"), prov_rec, float_format=fmt)
        rt = residual_table(rec, p, conflicts)
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
        }
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
