"""Stage 00 - validate paper/reported.yaml and flatten it for reviewers.

Inputs:  paper/reported.yaml
Outputs: data_derived/reported/reported.csv      one row per reported number (id, locator, value, unit ...)
         data_derived/reported/errata.csv        printing errors noticed while typing the numbers
         data_derived/reported/splits.csv        Table 2 train/validation split, long format
Paper:   every table and in-text number (the oracle of the audit).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import tarimhm
from tarimhm import paths
from tarimhm.provenance import make_provenance, write_table


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default=None, help="parameter file (default analysis/params.yaml)")
    args = ap.parse_args(argv)
    params = tarimhm.config.load(args.params)
    rep = tarimhm.reported.load()
    prov = make_provenance(
        Path(__file__),
        tarimhm.config.params_hash(params),
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
    main()
