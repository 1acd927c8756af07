"""Command line: ``tarimhm risk --profile FILE`` and friends.

Every error of the user's input (a bad option, a malformed profile, a missing file) is one line
``error: ...`` on stderr and a non-zero exit status, no traceback unless ``--debug``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import pandas as pd

from . import config, reported
from ._errors import TarimHMError
from ._version import __version__
from .entry import guard, progress_enabled

DEFAULT_PROFILE = "paper_as_stated"
NEW_PROFILE_BASE = "usepa_default"
OUT_SUFFIXES = (".csv", ".json")
"""File types ``tarimhm risk --out`` writes."""


class CommandLineError(TarimHMError, ValueError):
    """An option of the command line that cannot be used (the message says what can)."""


class _Parser(argparse.ArgumentParser):
    """argparse with one line per usage error (``error: <prog>: <problem>; see <prog> --help``), exit status 2."""

    def error(self, message):
        self.exit(2, f"error: {self.prog}: {message}; see `{self.prog} --help`\n")


def _out_path(out: str | None) -> Path | None:
    if out is None:
        return None
    p = Path(out).expanduser()
    if p.suffix.lower() not in OUT_SUFFIXES:
        raise CommandLineError(
            f"{out}: --out: cannot write a {p.suffix or 'file without suffix'!r} file; "
            f"name a {' or '.join(OUT_SUFFIXES)} file"
        )
    return p


def _plain(v):
    """A table cell as JSON has it: NaN and infinities (no ratio) become null."""
    if v is pd.NA or (isinstance(v, float) and not math.isfinite(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def _profile_record(prof, path: Path) -> dict:
    from .provenance import sha256_file

    return {
        "name": prof.name,
        "file": str(path.resolve()),
        "file_sha256": sha256_file(path),
        "resolved_sha256": prof.hash(),  # the profile after `extends:`, as the numbers were computed from it
    }


def _write_comparison(out: Path, d: pd.DataFrame, prof, prof_file: Path, base, base_file: Path, args, status) -> None:
    """The table ``tarimhm risk`` prints, as CSV (pandas) or as JSON records with the provenance of the run."""
    from .provenance import atomic_path, atomic_write_text

    if out.suffix.lower() == ".csv":
        with atomic_path(out) as tmp:
            d.to_csv(tmp, index=False, lineterminator="\n")
        return
    body = {
        "tarimhm_version": __version__,
        "command": "tarimhm risk",
        "profile": _profile_record(prof, prof_file),
        "against": _profile_record(base, base_file),
        "medium": args.medium,
        "data_status": status,
        "columns": list(d.columns),
        "records": [{k: _plain(v) for k, v in r.items()} for r in d.to_dict(orient="records")],
    }
    atomic_write_text(out, json.dumps(body, indent=2, allow_nan=False, ensure_ascii=False) + "\n")


def _risk(args) -> int:
    from .risk.profiles import load_profile, profile_path
    from .risk.stage import compute, diff_table

    out = _out_path(args.out)  # a wrong suffix is refused before anything is computed
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
    if out is not None:
        _write_comparison(
            out, d, prof, profile_path(args.profile), base, profile_path(args.against), args, b.data_status
        )
        print(f"wrote {out}", file=sys.stderr)
    return 0


def _profiles(args) -> int:
    from .risk.profiles import list_profiles, load_profile

    if args.action == "new":
        return _profiles_new(args)
    for n in list_profiles():
        p = load_profile(n)
        print(f"{n:20s} {p.title}")
    return 0


def _profiles_new(args) -> int:
    from .risk.profiles import new_profile

    print(new_profile(args.name, args.extends, args.out))
    return 0


def _archive(args) -> int:
    from .archive import build_archive

    out = build_archive(
        args.out, allow_dirty=args.allow_dirty, allow_edited=args.allow_edited, progress=progress_enabled()
    )
    print(out)
    print(out.with_name(out.name + ".sha256").read_text(encoding="utf-8").strip())
    return 0


def _verify(args) -> int:
    from .archive import verify_archive

    n = verify_archive(args.archive)
    print(f"{args.archive}: {n} files match MANIFEST.sha256")
    return 0


def _review(args) -> int:
    from .review import review

    cert = review(args.exhibit, args.archive, args.out)
    for o in cert["outputs"]:
        print(f"{o['file']}: {o['compared']}")
    print(
        f"{cert['result']} ({cert['total_seconds']} s); certificate {args.out or 'dist/review'}/{args.exhibit}-certificate.md"
    )
    for p in cert["problems"]:
        print(f"problem: {p}", file=sys.stderr)
    return 0 if not cert["problems"] else 1


def _timings(args) -> int:
    from . import paths
    from .provenance import atomic_write_text, collect_timings

    t = collect_timings()
    if not t["scripts"]:
        print("no duration records yet (data_derived/_timings is empty); run a stage or `make all`")
        return 0
    for r in t["scripts"]:
        print(f"{r['script']:<44} {r['wall_s']:>8.1f} s {r['cpu_s']:>8.1f} CPU-s {r['peak_rss_mb']:>8.0f} MB")
    print(
        f"{'total (one after another)':<44} {t['total_wall_s']:>8.1f} s {t['total_cpu_s']:>8.1f} CPU-s "
        f"{t['peak_rss_mb']:>8.0f} MB peak"
    )
    if args.out:
        out = Path(args.out) if args.out != "-" else paths.timings_summary()
        atomic_write_text(out, json.dumps(t, indent=2, sort_keys=True) + "\n")
        print(f"wrote {out}")
    return 0


def parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="tarimhm", description="tarim-hm reproducibility package")
    ap.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    ap.add_argument("--version", action="version", version=f"tarim-hm {__version__}")
    common = argparse.ArgumentParser(add_help=False)  # --debug after the command too (tarimhm risk ... --debug)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the Python traceback of an error"
    )
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND", required=True, parser_class=_Parser)
    r = sub.add_parser(
        "risk", parents=[common], help="HI and TCR per site and group under a profile, compared with a base profile"
    )
    r.add_argument("--profile", required=True, help="profile name (analysis/profiles) or YAML path")
    r.add_argument("--against", default=DEFAULT_PROFILE, help=f"base profile (default {DEFAULT_PROFILE})")
    r.add_argument("--medium", choices=("soil", "water", "both"), default="both")
    r.add_argument("--params", default=None)
    r.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help="also write the comparison table to FILE.csv, or to FILE.json with the profiles' names, "
        "their SHA-256 and the package version",
    )
    r.set_defaults(func=_risk)
    p = sub.add_parser(
        "profiles", parents=[common], help="list the exposure profiles; `profiles new NAME` writes a new one"
    )
    psub = p.add_subparsers(dest="action", parser_class=_Parser)
    psub.add_parser("list", parents=[common], help="list the shipped profiles (the default)")
    n = psub.add_parser(
        "new",
        parents=[common],
        help="write NAME.yaml: a profile that extends a base, every key listed commented out with the base's value",
    )
    n.add_argument("name", metavar="NAME", help="profile name: lower-case letters, digits and _")
    n.add_argument(
        "--extends",
        default=NEW_PROFILE_BASE,
        metavar="BASE",
        help=f"base profile: a name or a .yaml path (default {NEW_PROFILE_BASE})",
    )
    n.add_argument("--out", default=".", metavar="DIR", help="folder to write NAME.yaml in (default: this folder)")
    p.set_defaults(func=_profiles, action=None)
    a = sub.add_parser(
        "archive",
        parents=[common],
        help="write the generated outputs as a checksummed, citable deposit folder for Zenodo",
    )
    a.add_argument("--out", default="dist", help="folder for the archive (default dist)")
    a.add_argument("--allow-dirty", action="store_true", help="archive from a tree with uncommitted changes")
    a.add_argument("--allow-edited", action="store_true", help="archive outputs edited after generation")
    a.set_defaults(func=_archive)
    v = sub.add_parser(
        "verify-archive",
        parents=[common],
        help="re-hash every file and zip member of a deposit folder (or archive zip) against its MANIFEST.sha256",
    )
    v.add_argument("archive")
    v.set_defaults(func=_verify)
    w = sub.add_parser(
        "review",
        parents=[common],
        help="rebuild one figure or table from an archived deposit, compare it and write a certificate",
    )
    w.add_argument("exhibit", metavar="EXHIBIT", help="a figure or table as make names it: fig6, figU4, tab5")
    w.add_argument("--archive", required=True, metavar="DIR", help="the deposit folder written by make archive")
    w.add_argument("--out", default=None, metavar="DIR", help="folder for the certificate (default dist/review)")
    w.set_defaults(func=_review)
    t = sub.add_parser(
        "timings", parents=[common], help="wall, CPU and peak memory of every script's last run (data_derived/_timings)"
    )
    t.add_argument("--out", default=None, metavar="FILE", help="also write them, with totals, as JSON to FILE")
    t.set_defaults(func=_timings)
    return ap


def main(argv=None) -> int:
    """Run one command; returns the exit status (0; 2 for an error of the input, after one ``error:`` line)."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (already reported in one line)
        return exc.code if isinstance(exc.code, int) else 2
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
