"""Data dictionary - datapackage.json: every CSV output with the type, unit and meaning of each column.

Inputs:  data_derived/**/*.csv, paper/tables/*.csv, paper/audit/*.csv (whichever exist), their provenance
         sidecars, paper/columns.yaml (the descriptions and units)
Outputs: datapackage.json at the root of the outputs (the project, or TARIMHM_OUTPUT) and its sidecar:
         a frictionless Data Package (v1); an undescribed column or a file that does not validate is an error
"""

from pathlib import Path

from tarimhm.datadict import write_datapackage
from tarimhm.entry import argument_parser, guard
from tarimhm.provenance import sidecar_path


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    ap.add_argument("--out", default=None, help="descriptor to write (default datapackage.json at the output root)")
    args = ap.parse_args(argv)
    f = write_datapackage(args.out, script=Path(__file__))
    print(f)
    print(sidecar_path(f))


if __name__ == "__main__":
    guard(main)
