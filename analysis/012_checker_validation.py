"""Stage 012 - sensitivity and specificity of the internal-consistency checks (issue 14, point 7).

Inputs:  paper/reported.yaml, analysis/params.yaml (reconstruction.tolerance_rel, the tolerance of the checks)
Outputs: data_derived/sites/checker_validation.csv         per check family and typo kind (and all): mutants,
                                                           flagged, sensitivity, clean cases, false alarms,
                                                           specificity, 95 % Clopper-Pearson intervals
         data_derived/sites/checker_baseline_failures.csv  checks the unmutated paper already fails
         data_derived/sites/checker_validation.md          one paragraph for the report
Paper:   none; measures the checks of data_derived/sites/consistency.csv on typos of the printed numbers.
         1200 mutants and rounding perturbations, seed 14: constants N_MUTANTS and SEED of tarimhm.sites.checker.
"""

from __future__ import annotations

from pathlib import Path

import tarimhm
from tarimhm import paths
from tarimhm.entry import argument_parser, guard
from tarimhm.provenance import atomic_write_text, make_provenance, write_sidecar, write_table
from tarimhm.sites.checker import (
    FAMILIES,
    N_MUTANTS,
    SEED,
    baseline_failures,
    describe,
    evaluate,
    summarise,
)


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    args = ap.parse_args(argv)
    params = tarimhm.config.load(args.params)
    rep = tarimhm.reported.load()
    tol = params.reconstruction.tolerance_rel
    cases = evaluate(rep, tol, N_MUTANTS, SEED)
    summary = summarise(cases, list(dict.fromkeys(FAMILIES.values())))
    failures = baseline_failures(rep, tol)
    prov = make_provenance(
        Path(__file__),
        tarimhm.config.section_hash(params, "reconstruction.tolerance_rel"),
        [paths.REPORTED],
        "real",
        note=f"{N_MUTANTS} single-typo mutants and {N_MUTANTS} rounding perturbations of the printed numbers, "
        f"seed {SEED}",
    )
    out = paths.sites_dir()
    write_table(summary, out / "checker_validation.csv", prov, float_format="%.6g")
    write_table(failures.assign(data_status="real"), out / "checker_baseline_failures.csv", prov, float_format="%.6g")
    md = atomic_write_text(out / "checker_validation.md", describe(summary, failures, N_MUTANTS, SEED))
    write_sidecar(md, prov)
    a = summary.set_index(["family", "typo_kind"]).loc[("all", "all")]
    print(
        f"checker: sensitivity {a.sensitivity:.3f} ({int(a.flagged)}/{int(a.mutants)} mutants), specificity "
        f"{a.specificity:.3f} ({int(a.clean - a.false_alarms)}/{int(a.clean)} clean cases); "
        f"{len(failures)} checks fail on the paper itself -> {out}"
    )


if __name__ == "__main__":
    guard(main)
