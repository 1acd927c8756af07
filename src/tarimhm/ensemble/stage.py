"""Stage 080: every site-level audit over every member of the reconstruction ensemble.

For each member of ``data_derived/sites/ensemble_{soil,water}.nc`` the site-level audits are
recomputed exactly as their stages compute them (the same functions): the statistics audit
(descriptive statistics, shares, correlations, PCA/varimax: :func:`tarimhm.stats.audit.audit_statistics`)
and the risk audit (Igeo, HPI, deterministic HI/CR under every exposure profile, the Sect. 4.2.1
statements: :func:`tarimhm.risk.audit.audit_profile`). The consistency checks read printed numbers
only and the calibration reads the printed soil endpoints only, so neither depends on the member.

Per audited number: ``holds_k`` = the members whose verdict class equals member 0's (the verdict the
audit prints), ``n_members``, the 5-95 % range of the reproduced value, and ``invariance``:
*invariant given the printed statistics* when every member agrees, else *depends on unprinted detail*.
The RF and the maps use member 0 only. With real site tables (``data_raw/sites``) there is one member.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .. import paths
from ..config import Params, section_hash
from ..provenance import committed, make_provenance, write_json, write_table
from ..reported import Reported
from ..risk.audit import CALIBRATED, assign_basis, audit_profile
from ..risk.profiles import list_profiles, load_profile
from ..sitetable import data_status, ensemble_members, load_sites, site_table_source
from ..stats.audit import audit_statistics

__all__ = ["run_propagation", "holds_table", "INVARIANT", "DEPENDS"]

INVARIANT = "invariant given the printed statistics"
DEPENDS = "depends on unprinted detail"


def holds_table(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """Per audited number: holds_k (members agreeing with member 0's verdict class), n_members, value range."""
    base = frames[0].set_index(keys)
    cls = pd.concat([f.set_index(keys)["verdict_class"].rename(i) for i, f in enumerate(frames)], axis=1)
    val = pd.concat(
        [pd.to_numeric(f.set_index(keys)["reproduced"], errors="coerce").rename(i) for i, f in enumerate(frames)],
        axis=1,
    )
    holds = cls.eq(cls[0], axis=0).sum(axis=1)
    out = pd.DataFrame(
        {
            "verdict_class": base["verdict_class"],
            "holds_k": holds.astype(int),
            "n_members": len(frames),
            "reproduced_member0": val[0],
            "reproduced_q05": val.quantile(0.05, axis=1),
            "reproduced_q50": val.quantile(0.5, axis=1),
            "reproduced_q95": val.quantile(0.95, axis=1),
            "members_reproduced": cls.isin(["reproduced", "reproduced by construction"]).sum(axis=1).astype(int),
        }
    )
    out["invariance"] = np.where(out.holds_k == out.n_members, INVARIANT, DEPENDS)
    return out.reset_index()


def _audit_member(job) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The statistics and risk audits of one member (a process-pool task: arguments are plain data)."""
    rep_path, soil, water, status, profile_names, hpi_form, resid = job
    from .. import reported

    rep = reported.load(rep_path)
    profs = [load_profile(p) for p in profile_names]
    st = audit_statistics(rep, soil, water, status)
    r = pd.concat([audit_profile(rep, p, soil, water, hpi_form) for p in profs], ignore_index=True)
    return st, assign_basis(r.assign(data_status=status), rep, resid, CALIBRATED)


@committed("ensemble")
def run_propagation(
    params: Params, rep: Reported, script: Path, progress: bool = True, workers: int = 2
) -> pd.DataFrame:
    """Write data_derived/ensemble/holds.csv and summary.json."""
    soil, water = load_sites("soil"), load_sites("water")
    status = data_status(soil, water)
    ms, mw = ensemble_members("soil", soil), ensemble_members("water", water)
    n = min(len(ms), len(mw))
    resid = paths.sites_dir() / "residuals.csv"
    jobs = [(rep.path, ms[i], mw[i], status, list_profiles(), params.risk.hpi_form, resid) for i in range(n)]
    bar = tqdm(total=n, desc="ensemble members", disable=None if progress else True, leave=False)
    results = []
    if workers > 1 and n > 1:
        from .._workers import worker_pool

        # results come back in member order (map), so the output does not depend on the scheduling
        with worker_pool(workers) as pool:
            for res in pool.map(_audit_member, jobs, chunksize=max(1, n // (8 * workers))):
                results.append(res)
                bar.update(1)
    else:
        for job in jobs:
            results.append(_audit_member(job))
            bar.update(1)
    bar.close()
    stats_frames, risk_frames = [r[0] for r in results], [r[1] for r in results]
    st = holds_table(stats_frames, ["reported_id"]).assign(audit="paper/audit/statistics.csv", profile="")
    rk = holds_table(risk_frames, ["reported_id", "profile"]).assign(audit="paper/audit/risk.csv")
    out = pd.concat([st, rk], ignore_index=True)
    cols = ["audit", "reported_id", "profile", "verdict_class", "holds_k", "n_members", "invariance"]
    out = out[cols + [c for c in out.columns if c not in cols]]
    ins = [paths.REPORTED, resid, *(site_table_source(m) for m in ("soil", "water"))]
    ins += [f for f in (paths.ensemble("soil"), paths.ensemble("water")) if f.exists()]
    ins += sorted(paths.PROFILES.glob("*.yaml"))
    prov = make_provenance(
        script,
        section_hash(params, "risk.hpi_form"),
        ins,
        status,
        note="site-level audits over every member of the reconstruction ensemble",
    )
    d = paths.derived("ensemble")
    write_table(out, d / "holds.csv", prov, float_format="%.6g")
    ref = out[(out.profile == "") | (out.profile == params.risk.reference_profile)]
    summary = {
        "n_members": n,
        "reference_profile": params.risk.reference_profile,
        "audited_numbers": int(len(ref)),
        "invariant": int((ref.invariance == INVARIANT).sum()),
        "depends_on_unprinted_detail": int((ref.invariance == DEPENDS).sum()),
        "rf_and_maps": "member 0 only",
        "data_status": status,
    }
    write_json(summary, d / "summary.json", prov)
    return out
