"""Reviewer's HTML report - the jupytext notebooks of paper/report/ executed (nbclient) and rendered (nbconvert).

Inputs:  paper/audit/{numbers,elements}.csv (from 300_report.py), paper/elements.yaml, figures/*.png,
         paper/tables/*.csv, data_derived/sites/consistency.csv, the provenance sidecars of every output
Outputs: paper/report/html/{index,findings,extras}.html and one <element>.html per paper element
"""

import tarimhm.config
from tarimhm.entry import argument_parser, guard
from tarimhm.htmlreport import build_html, check_links, html_dir


def main(argv=None) -> None:
    ap = argument_parser(__doc__)
    ap.add_argument("--only", action="append", help="rebuild only this element's page (and the index); repeatable")
    args = ap.parse_args(argv)
    files = build_html(tarimhm.config.load(args.params), only=args.only, progress=True)
    if problems := check_links(html_dir()):
        raise SystemExit("report links: " + "; ".join(problems))
    print(f"{len(files)} pages; open {html_dir() / 'index.html'}")


if __name__ == "__main__":
    guard(main)
