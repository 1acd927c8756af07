"""Entry points of the thin scripts in ``analysis/``: one stage, one figure or one table each.

A figure script names its draw function and this module knows no figure by name::

    from tarimhm.entry import figure_main
    from tarimhm.risk.figures import fig10
    figure_main(fig10, __file__, __doc__)

The output name is the script's name without its number (``110_fig10_hi_radar.py`` ->
``figures/fig10_hi_radar.*``).

Every script runs under :func:`guard`: an error of the package (bad parameters, a malformed table,
a missing input) or of the operating system (a folder or unreadable file named as input) ends the
run with one line per problem, ``error: <file>: <field>: <problem>; <what is allowed>``, on stderr
and exit status 1, no traceback; ``--debug`` (or ``TARIMHM_DEBUG=1``) shows the traceback.

The log of a run is meant to be read as a file: a success ends with one line ``<script>: done in N s``;
progress bars draw only on a terminal (:func:`progress_enabled`; the stages' own bars use tqdm's
``disable=None``, the same rule), so a log written to a file has no carriage-return redraws; and the
notices dependencies print for developers are filtered at the source (:func:`quiet_dependency_warnings`).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from . import config, reported
from ._errors import TarimHMError

__all__ = [
    "argument_parser",
    "guard",
    "parse_params",
    "output_name",
    "figure_main",
    "table_main",
    "progress_enabled",
    "quiet_dependency_warnings",
    "record_timing",
]


def progress_enabled(progress: bool = True, stream=None) -> bool:
    """Whether to draw a progress bar: asked for (``progress``) and ``stream`` (default stderr) is a terminal.

    A bar redraws its line with carriage returns; in a log file or a pipe that is noise, so it is off there.
    This is tqdm's own rule for ``disable=None``, which the stages' bars use.
    """
    stream = sys.stderr if stream is None else stream
    try:
        return bool(progress) and stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


DEPENDENCY_NOISE: tuple[tuple[type[Warning], str, str], ...] = (
    # ArviZ's FutureWarnings (category FutureWarning, raised in module arviz or below): notices of its coming API
    # changes, among them the once-a-day "ArviZ is undergoing a major refactor ..." it prints on import (arviz
    # 0.2x; stages 010, 041 and 042 import it); they address code that calls ArviZ, not the person running a stage.
    (FutureWarning, r"arviz(\.|$)", ""),
    # PyTensor's UserWarning "PyTensor could not link to a BLAS installation ..." (module pytensor.link.c.cmodule,
    # under PyMC in stages 041/042): a speed notice of a pip install; the draws are the same.
    (UserWarning, r"pytensor(\.|$)", r"PyTensor could not link to a BLAS"),
)
"""Warnings of dependencies that :func:`quiet_dependency_warnings` keeps from the user of a stage run."""


def quiet_dependency_warnings() -> None:
    """Ignore the :data:`DEPENDENCY_NOISE` warnings, each by category, module and (where given) message.

    Nothing else is filtered: a warning from this package or any other dependency still shows. Run with
    ``python -W ...`` (or ``PYTHONWARNINGS``) to choose the filters yourself; then none is added here.
    """
    if sys.warnoptions:
        return
    for category, module, message in DEPENDENCY_NOISE:
        warnings.filterwarnings("ignore", message=message, category=category, module=module)


def argument_parser(doc: str | None) -> argparse.ArgumentParser:
    """The parser every script starts from: ``--params FILE`` and ``--debug``; the first docstring line as help."""
    ap = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0] if doc else None)
    ap.add_argument("--params", default=None, help="parameter file (default analysis/params.yaml)")
    ap.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    return ap


def guard(
    main: Callable[[], object], argv: list[str] | None = None, name: str | None = None, timed: bool = True
) -> None:
    """Run a script's ``main``; a package or OS error becomes ``error: ...`` lines and exit status 1.

    On success one line on stderr gives the script and its duration (``010_reconstruct_sites.py: done in 93.2 s``).
    """
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv or os.environ.get("TARIMHM_DEBUG", "") not in ("", "0")
    name = name or Path(sys.argv[0]).name
    quiet_dependency_warnings()
    t0, c0 = time.perf_counter(), _cpu_seconds()
    started = _utc_now()
    try:
        main()
        if timed:
            wall = time.perf_counter() - t0
            print(f"{name}: done in {wall:.1f} s", file=sys.stderr)
            record_timing(name, wall, _cpu_seconds() - c0, started)
    except BrokenPipeError:  # the reader of our output went away (`... | head`): nothing to report
        raise SystemExit(1) from None
    except (TarimHMError, OSError) as exc:
        if debug:
            raise
        text = str(exc) if isinstance(exc, TarimHMError) else _os_message(exc)
        for line in text.splitlines() or [type(exc).__name__]:
            print(f"error: {line}", file=sys.stderr)
        raise SystemExit(1) from None


SCRIPT_NAME = re.compile(r"^\d{3}_[A-Za-z0-9_]+\.py$")


def _utc_now() -> str:
    import datetime as _dt

    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its waited-for children (worker pools, make's jobs)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _peak_rss_mb() -> float:
    """Peak resident memory in MB of this process or its largest child (``ru_maxrss`` is in KiB on Linux)."""
    import resource

    kib = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    return round(kib / 1024, 1)


def record_timing(name: str, wall_s: float, cpu_s: float, started_utc: str) -> Path | None:
    """Write the run's wall and CPU seconds and peak memory for an ``analysis/NNN_*.py`` script; else nothing.

    A log, not an output: the report's provenance cards and the timings table of a ``make all`` read it; a
    folder that cannot be written (a read-only deposit) costs the record, never the run.
    """
    if not SCRIPT_NAME.match(name):
        return None
    import json

    from .provenance import atomic_write_text, git_info

    commit, dirty = git_info()
    body = {
        "script": f"analysis/{name}",
        "wall_s": round(wall_s, 2),
        "cpu_s": round(cpu_s, 2),
        "peak_rss_mb": _peak_rss_mb(),
        "started_utc": started_utc,
        "finished_utc": _utc_now(),
        "git_commit": commit + ("+dirty" if dirty else ""),
        "cpus": os.cpu_count(),
    }
    from . import paths

    path = paths.timing(name)
    try:
        atomic_write_text(path, json.dumps(body, indent=2, sort_keys=True) + "\n")
    except OSError:
        return None
    return path


def _os_message(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else "(no file)"
    return f"{where}: {exc.strerror or exc}; check that the path names an existing, readable file"


def parse_params(doc: str, argv=None):
    """(validated params, parsed arguments) of a figure or table script's command line."""
    args = argument_parser(doc).parse_args(argv)
    return config.load(args.params), args


def output_name(script: str | Path) -> str:
    """``analysis/110_fig10_hi_radar.py`` -> ``fig10_hi_radar``."""
    stem = Path(script).stem
    m = re.match(r"^\d+_(.+)$", stem)
    if not m:
        raise ValueError(f"{script}: a figure or table script is named NNN_<name>.py")
    return m.group(1)


def figure_main(draw, script: str, doc: str = "", argv=None) -> None:
    """Render one figure with ``draw`` (from a domain's ``figures.py``) and print the written files."""

    def main() -> None:
        from .viz.figures import render_figure

        params, _ = parse_params(doc, argv)
        for f in render_figure(draw, output_name(script), params, Path(script)):
            print(f)

    guard(main, argv, Path(script).name)


def table_main(table, script: str, doc: str = "", argv=None) -> None:
    """Build one table with ``table`` (from a domain's ``tables.py``) and print the written files."""

    def main() -> None:
        from .viz.tables import render_table

        params, _ = parse_params(doc, argv)
        for f in render_table(table, output_name(script), params, reported.load(), Path(script)):
            print(f)

    guard(main, argv, Path(script).name)
