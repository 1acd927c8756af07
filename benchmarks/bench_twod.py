"""Benchmark: stage 042 (PyMC posterior + 2-D Monte Carlo + tail seeds + Sobol) against its budget.

Issue 15's budget: the whole stage <= 3 min on the 2-core machine and <= 2 GB of memory. The stage
runs as its own process (``analysis/042_risk_twod.py --params <params>``) so that its wall time and
peak resident memory (``getrusage(RUSAGE_CHILDREN).ru_maxrss``) are measured as a user sees them;
the split (PyMC / Monte Carlo / total) comes from the stage's ``run.json``. Reference in the same
run: the deterministic stage's HI/TCR (:func:`tarimhm.risk.assess.hi_tcr`) timed per person-site
evaluation against the 2-D engine's per person-site cost.

Needs the site tables (make sites).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

from tarimhm import paths

BUDGET_S, BUDGET_GB = 180.0, 2.0


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default=str(paths.ANALYSIS / "params.yaml"))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    env = {**os.environ, "TQDM_DISABLE": "1"}  # no progress bar inside a benchmark log
    subprocess.run(
        [sys.executable, str(paths.ANALYSIS / "042_risk_twod.py"), "--params", args.params],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    wall = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # KiB on Linux
    run = json.loads((paths.uncertainty_dir() / "twod" / "run.json").read_text())

    from tarimhm.risk.assess import hi_tcr
    from tarimhm.risk.profiles import load_profile
    from tarimhm.sitetable import load_sites

    soil, water = load_sites("soil"), load_sites("water")
    prof = load_profile(run["base_profile"])
    reps = 20
    t1 = time.perf_counter()
    for _ in range(reps):
        hi_tcr(prof, soil, water)
    det = (time.perf_counter() - t1) / reps / (2 * (len(soil) + len(water)))  # per group-site evaluation
    n_eval = 2 * (len(soil) + len(water)) * run["n_inner"] * run["n_outer"]
    per = run["seconds"]["monte_carlo"] / (n_eval * (1 + 3 * 16 / run["n_outer"]))
    print(f"stage 042: {wall:.1f} s wall (budget {BUDGET_S:.0f} s), peak RSS {peak_gb:.2f} GB (budget {BUDGET_GB} GB)")
    print(
        f"  PyMC {run['seconds']['pymc']} s, Monte Carlo {run['seconds']['monte_carlo']} s, total {run['seconds']['total']} s; "
        f"n_outer {run['n_outer']} x n_inner {run['n_inner']}"
    )
    print(
        f"  per person-site evaluation: 2-D engine {per * 1e9:.0f} ns vs deterministic stage {det * 1e9:.0f} ns "
        f"(ratio {det / per:.0f}x)"
    )
    print(
        f"  within budget: time {'yes' if wall <= BUDGET_S else 'NO'}, memory {'yes' if peak_gb <= BUDGET_GB else 'NO'}"
    )


if __name__ == "__main__":
    main()
