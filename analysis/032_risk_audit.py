"""Stage 032 - risk audit: every risk/index number of the paper, reported vs reproduced per profile.

Inputs:  data_derived/sites/*.csv, data_derived/risk/calibration.csv, analysis/profiles/*.yaml,
         paper/reported.yaml
Outputs: paper/audit/risk.csv (long: reported id x profile), paper/audit/risk_water_checks.csv,
         paper/audit/risk.md (calibration, counts, every number, water findings);
         data_derived/risk/table9.csv and paper/audit/exposure.csv (Table 9: printed exposure factors beside
         the profiles and the factors the paper's own soil HI/CR imply)
Paper:   Sect. 3.4, 4.2, 4.2.1.
"""

from __future__ import annotations

from pathlib import Path

import tarimhm
from tarimhm.entry import argument_parser, guard
from tarimhm.risk.stage import run_audit


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    args = ap.parse_args(argv)
    audit = run_audit(tarimhm.config.load(args.params), tarimhm.reported.load(), Path(__file__))
    for p, sub in audit.groupby("profile"):
        print(f"{p:18s} reproduced {(sub.verdict == 'reproduced').sum():3d} of {len(sub)}")


if __name__ == "__main__":
    guard(main)
