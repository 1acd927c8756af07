"""Command line: ``tarimhm risk --profile FILE`` and friends."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from . import config, reported
from ._version import __version__
from .entry import guard

DEFAULT_PROFILE = "paper_as_stated"


def _risk(args) -> int:
    from .risk.profiles import load_profile
    from .risk.stage import compute, diff_table

    params = config.load(args.params)
    rep = reported.load()
    base = load_profile(args.against)
    prof = load_profile(args.profile)
    a = compute(base, rep, params.risk.hpi_form)
    b = compute(prof, rep, params.risk.hpi_form)
    d = diff_table(a.summary, b.summary, "base", "new")
    if args.medium != "both":
        d = d[d.medium == args.medium]
    print(f"profile {prof.name!r} vs {base.name!r}; data status of the site tables: {b.data_status}")
    with pd.option_context("display.width", 200, "display.max_rows", 500, "display.float_format", "{:.4g}".format):
        print(d.to_string(index=False))
    g = d.groupby(["medium", "group"])[["HI_ratio", "TCR_ratio"]].median()
    print("\nmedian ratio new/base:")
    with pd.option_context("display.float_format", "{:.3f}".format):
        print(g.to_string())
    return 0


def _profiles(args) -> int:
    from .risk.profiles import list_profiles, load_profile

    for n in list_profiles():
        p = load_profile(n)
        print(f"{n:20s} {p.title}")
    return 0


def _archive(args) -> int:
    from .archive import build_archive

    out = build_archive(args.out, allow_dirty=args.allow_dirty, allow_edited=args.allow_edited)
    print(out)
    print(out.with_name(out.name + ".sha256").read_text(encoding="utf-8").strip())
    return 0


def _verify(args) -> int:
    from .archive import verify_archive

    n = verify_archive(args.archive)
    print(f"{args.archive}: {n} files match MANIFEST.sha256")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="tarimhm", description="tarim-hm reproducibility package")
    ap.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    ap.add_argument("--version", action="version", version=f"tarim-hm {__version__}")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("risk", help="HI and TCR per site and group under a profile, compared with a base profile")
    r.add_argument("--profile", required=True, help="profile name (analysis/profiles) or YAML path")
    r.add_argument("--against", default=DEFAULT_PROFILE, help=f"base profile (default {DEFAULT_PROFILE})")
    r.add_argument("--medium", choices=("soil", "water", "both"), default="both")
    r.add_argument("--params", default=None)
    r.set_defaults(func=_risk)
    p = sub.add_parser("profiles", help="list the exposure profiles")
    p.set_defaults(func=_profiles)
    a = sub.add_parser("archive", help="pack the generated outputs into a checksummed, citable zip")
    a.add_argument("--out", default="dist", help="folder for the archive (default dist)")
    a.add_argument("--allow-dirty", action="store_true", help="archive from a tree with uncommitted changes")
    a.add_argument("--allow-edited", action="store_true", help="archive outputs edited after generation")
    a.set_defaults(func=_archive)
    v = sub.add_parser("verify-archive", help="re-hash every file of an archive against its MANIFEST.sha256")
    v.add_argument("archive")
    v.set_defaults(func=_verify)
    args = ap.parse_args(argv)
    rc = 0

    def run() -> None:
        nonlocal rc
        rc = args.func(args)

    try:  # one "error: ..." line per problem, no traceback
        guard(run, ["--debug"] if args.debug else [], f"tarimhm {args.cmd}", timed=False)
    except SystemExit:
        return 2
    return rc


if __name__ == "__main__":
    sys.exit(main())
