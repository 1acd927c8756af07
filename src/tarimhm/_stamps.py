"""Command the Makefile runs whenever it reads its rules: refresh ``data_derived/.params/<section>.json``.

A module of its own (not ``python -m tarimhm.config``, which the package imports first) so that running it
imports each module once.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import paths
from ._errors import ConfigError
from .config import load, write_stamps

__all__ = ["main"]


def main(argv=None) -> int:
    """``python -m tarimhm._stamps stamps [PARAMS] [FOLDER]``: refresh the per-section stamps (Makefile)."""

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "stamps":
        print("usage: python -m tarimhm._stamps stamps [PARAMS] [FOLDER]", file=sys.stderr)
        return 2
    params_path = Path(args[1]) if len(args) > 1 else paths.PARAMS
    folder = Path(args[2]) if len(args) > 2 else paths.params_stamps()
    try:
        changed = write_stamps(load(params_path), folder)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if changed:
        print(f"parameter sections changed: {', '.join(changed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
