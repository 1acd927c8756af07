"""Stage 080 - every site-level audit over every member of the reconstruction ensemble.

Inputs:  data_derived/sites/ensemble_{soil,water}.nc, {soil,water}.csv, residuals.csv; analysis/profiles/*.yaml;
         paper/reported.yaml
Outputs: data_derived/ensemble/holds.csv (holds_k, n_members, invariance per audited number), summary.json
Paper:   every number of Sect. 3.1, 3.3, 3.4 and Tables 7-8 that depends on the site tables (S1/S2).
"""

from __future__ import annotations

from pathlib import Path

import tarimhm
from tarimhm.ensemble.stage import run_propagation
from tarimhm.entry import argument_parser, guard


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    args = ap.parse_args(argv)
    out = run_propagation(tarimhm.config.load(args.params), tarimhm.reported.load(), Path(__file__))
    ref = out[out.profile.isin(["", tarimhm.config.load(args.params).risk.reference_profile])]
    inv = (ref.invariance == "invariant given the printed statistics").sum()
    print(f"{inv} of {len(ref)} audited numbers keep their verdict in all {int(ref.n_members.max())} members")


if __name__ == "__main__":
    guard(main)
