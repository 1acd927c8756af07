"""``python -m tarimhm``: the command-line interface (tarimhm.cli)."""

from .cli import main

raise SystemExit(main())
