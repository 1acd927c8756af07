"""Benchmark: reconstruction ensemble (least squares, move inside the intervals, Metropolis) and its propagation.

Prints per medium the seconds of each phase and the seconds per member, then the propagation of the
site-level audits over every member (statistics, risk under every profile). Budget (issue 14):
sampling plus propagation of 200 members <= 4 min on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import time

import tarimhm
from tarimhm.ensemble.stage import holds_table
from tarimhm.risk.audit import audit_profile
from tarimhm.risk.profiles import list_profiles, load_profile
from tarimhm.sites.consistency import excluded_constraints, run_checks
from tarimhm.sites.reconstruct import reconstruct_ensemble
from tarimhm.stats.audit import audit_statistics


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default=None)
    args = ap.parse_args(argv)
    params = tarimhm.config.load(args.params)
    rep = tarimhm.reported.load()
    p = params.reconstruction
    excl = excluded_constraints(run_checks(rep, p.tolerance_rel))
    tables, total = {}, 0.0
    for medium in ("soil", "water"):
        t0 = time.perf_counter()
        rec, fit = reconstruct_ensemble(rep, medium, p, excl, hpi_form=params.risk.hpi_form, progress=False)
        dt = time.perf_counter() - t0
        total += dt
        n = len(fit.members)
        print(f"{medium:6s} ensemble {dt:7.1f} s for {n} members = {dt / n:.3f} s/member", flush=True)
        base = rec.concentrations
        tables[medium] = [
            base.assign(**{m: fit.members[i][:, j] for j, m in enumerate(base.columns[1:])}) for i in range(n)
        ]
    profs = [load_profile(x) for x in list_profiles()]
    t0 = time.perf_counter()
    n = min(len(tables["soil"]), len(tables["water"]))
    st, rk = [], []
    for i in range(n):
        s, w = (
            tables["soil"][i].assign(data_status="reconstructed"),
            tables["water"][i].assign(data_status="reconstructed"),
        )
        st.append(audit_statistics(rep, s, w, "reconstructed"))
        import pandas as pd

        rk.append(pd.concat([audit_profile(rep, q, s, w, params.risk.hpi_form) for q in profs], ignore_index=True))
    holds_table(st, ["reported_id"])
    holds_table(rk, ["reported_id", "profile"])
    dp = time.perf_counter() - t0
    total += dp
    print(f"propagation {dp:7.1f} s for {n} members = {dp / n:.3f} s/member")
    print(f"total {total:7.1f} s (budget 240 s)")


if __name__ == "__main__":
    main()
