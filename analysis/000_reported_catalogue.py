"""Stage 000 - validate paper/reported.yaml and flatten it for reviewers.

Inputs:  paper/reported.yaml
Outputs: data_derived/reported/reported.csv      one row per reported number (id, locator, value, unit ...)
         data_derived/reported/errata.csv        printing errors noticed while typing the numbers
         data_derived/reported/splits.csv        Table 2 train/validation split, long format
Paper:   every table and in-text number (the oracle of the audit).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import tarimhm
from tarimhm import paths
from tarimhm.entry import argument_parser, guard
from tarimhm.provenance import make_provenance, write_table


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    args = ap.parse_args(argv)
    tarimhm.config.load(args.params)  # validated: a broken parameter file stops the pipeline here
    rep = tarimhm.reported.load()
    prov = make_provenance(
        Path(__file__),
        tarimhm.config.params_hash({}),  # reads no parameter section (it only validates the file)
        [paths.REPORTED],
        "real",
        note="numbers as printed in the paper",
    )
    out = paths.DATA_DERIVED / "reported"
    write_table(rep.frame(), out / "reported.csv", prov)
    write_table(pd.DataFrame([e.model_dump() for e in rep.errata]), out / "errata.csv", prov)
    rows = [
        {"medium": med, "metal": m, "role": role, "site_id": s}
        for med in ("soil", "water")
        for m, sp in getattr(rep.splits, med).items()
        for role in ("train", "validation")
        for s in getattr(sp, role)
    ]
    write_table(pd.DataFrame(rows), out / "splits.csv", prov)
    print(
        f"{len(rep)} reported numbers from {len(rep.counts_by_locator())} locators; {len(rep.errata)} errata -> {out}"
    )


if __name__ == "__main__":
    guard(main)
