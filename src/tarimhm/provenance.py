"""Provenance stamps and atomic writes for every derived file and figure.

A stamp records the git commit (and whether the tree was dirty), the script, the hash of
the parameter sections the script reads (``config.section_hash``; the parameter file itself is
not an input), SHA-256 of every input file, the creation time and the data
status (``real`` / ``reconstructed`` / ``surrogate``). It is written as a JSON sidecar
``<file>.provenance.json`` next to every output and, where the format allows, embedded
(PNG text chunks, PDF info dictionary, JSON ``_provenance`` key; GeoTIFF tags and NetCDF
attributes use :meth:`Provenance.flat`).

Every write goes to a temporary file in the target folder and is renamed into place
(``os.replace`` is atomic on POSIX), so an interrupted run never leaves a half-written
file under the final name.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from . import paths
from ._errors import MissingOutputError
from ._version import __version__

__all__ = [
    "DATA_STATUSES",
    "Provenance",
    "atomic_path",
    "atomic_write_text",
    "collect_timings",
    "commit_together",
    "committed",
    "combine_status",
    "git_info",
    "make_provenance",
    "read_sidecar",
    "read_table",
    "sha256_file",
    "sidecar_path",
    "write_json",
    "write_sidecar",
    "write_table",
]

DataStatus = Literal["real", "reconstructed", "surrogate"]
DATA_STATUSES: tuple[str, ...] = ("real", "reconstructed", "surrogate")


def combine_status(*statuses: str) -> str:
    """Data status of a product made from several inputs.

    ``real`` only if every input is real; otherwise the distinct non-real statuses joined
    by ``+`` in a fixed order (``reconstructed+surrogate``), so a product never looks more
    real than its least real input.
    """
    parts: set[str] = set()
    for s in statuses:
        for p in str(s).split("+"):
            if p not in DATA_STATUSES:
                raise ValueError(f"unknown data status {p!r}; allowed: {', '.join(DATA_STATUSES)}")
            parts.add(p)
    if not parts:
        raise ValueError("combine_status needs at least one status")
    nonreal = [s for s in DATA_STATUSES[1:] if s in parts]
    return "+".join(nonreal) if nonreal else "real"


def sha256_file(path: Path | str, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def git_info(root: Path = paths.ROOT) -> tuple[str, bool]:
    """(commit SHA, dirty flag) of the working tree; ('unknown', True) outside git."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
        )
        return sha, dirty
    except (OSError, subprocess.SubprocessError):
        return "unknown", True


def _rel(path: Path) -> str:
    """A path as the project names it: relative to the checkout, or for an output of a run redirected
    with TARIMHM_OUTPUT relative to that folder (``data_derived/...``, as in the project); else absolute.
    A file in a stage's staging folder is named as it will be once the stage commits."""
    path = paths.unstaged(Path(path).absolute())
    for base in (paths.ROOT, paths.OUTPUT_ROOT):
        try:
            return str(path.relative_to(base))
        except ValueError:
            continue
    return str(path)


class Provenance(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    created_utc: str
    git_commit: str
    git_dirty: bool
    tarimhm_version: str
    script: str
    params_hash: str
    inputs: dict[str, str]
    data_status: str
    note: str = ""

    def flat(self) -> dict[str, str]:
        """String-valued key/value pairs for formats with flat metadata (PNG, GeoTIFF, NetCDF)."""
        return {
            "tarimhm_data_status": self.data_status,
            "tarimhm_git_commit": self.git_commit + ("+dirty" if self.git_dirty else ""),
            "tarimhm_params_hash": self.params_hash,
            "tarimhm_script": self.script,
            "tarimhm_created_utc": self.created_utc,
            "tarimhm_version": self.tarimhm_version,
            "tarimhm_inputs": json.dumps(self.inputs, sort_keys=True),
        }


def make_provenance(
    script: str | Path, params_hash: str, inputs: Iterable[Path | str], data_status: str, note: str = ""
) -> Provenance:
    combine_status(data_status)  # validates
    sha, dirty = git_info()
    return Provenance(
        created_utc=_dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        git_commit=sha,
        git_dirty=dirty,
        tarimhm_version=__version__,
        script=_rel(Path(script)),
        params_hash=params_hash,
        inputs={_rel(Path(p)): sha256_file(p) for p in sorted(set(map(str, inputs)))},
        data_status=data_status,
        note=note,
    )


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` only on success.

    The temporary name keeps the suffix so that writers which infer the format from the
    extension (matplotlib, rasterio) still work.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; give the final file normal permissions
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def atomic_write_text(path: Path | str, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def sidecar_path(path: Path | str) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".provenance.json")


def write_sidecar(path: Path | str, prov: Provenance) -> Path:
    side = sidecar_path(path)
    body = {"file": Path(path).name, "sha256": sha256_file(path), **prov.model_dump()}
    atomic_write_text(side, json.dumps(body, indent=2, sort_keys=True) + "\n")
    return side


def read_sidecar(path: Path | str) -> dict:
    return json.loads(sidecar_path(path).read_text(encoding="utf-8"))


def read_table(path: Path | str, make_target: str, columns=(), comment: str | None = None):
    """A saved CSV output with the ``columns`` a reader needs, or one clear error naming the make target.

    A missing file, or one written by an older version of the package (a needed column absent), raises
    :class:`~tarimhm._errors.MissingOutputError` (``<file>: missing columns a, b (written by an older
    version); run `make <target>` again``) instead of a KeyError traceback deep in a figure or table.
    """
    import pandas as pd  # here, not at the top: the stamps of every make run import this module

    path = Path(path)
    if not path.exists():
        raise MissingOutputError(f"{path}: missing; run `make {make_target}` first")
    df = pd.read_csv(path, comment=comment)
    if missing := [c for c in columns if c not in df.columns]:
        raise MissingOutputError(
            f"{path}: missing columns {', '.join(missing)} (written by an older version of the package); "
            f"run `make {make_target}` again"
        )
    return df


def write_table(df, path: Path | str, prov: Provenance, float_format: str | None = None) -> Path:
    """Write a CSV deterministically (no index, fixed line endings) plus its sidecar.

    The CSV itself carries no timestamp, so the same inputs give byte-identical files. Every table
    carries a ``data_status`` column (real / reconstructed / surrogate): a table whose rows do not
    already say it gets the stamp's status as its last column, so a CSV copied away from its sidecar
    still says what its numbers rest on.
    """
    if "data_status" not in df.columns:
        df = df.assign(data_status=prov.data_status)
    text = df.to_csv(index=False, float_format=float_format, lineterminator="\n")
    atomic_write_text(path, text)
    write_sidecar(path, prov)
    return Path(path)


def write_json(obj, path: Path | str, prov: Provenance) -> Path:
    """Write JSON with the stamp embedded under ``_provenance`` plus the sidecar."""
    body = dict(obj)
    body["_provenance"] = prov.model_dump()
    atomic_write_text(path, json.dumps(body, indent=2, sort_keys=True, default=float) + "\n")
    write_sidecar(path, prov)
    return Path(path)


def collect_timings() -> dict:
    """Every script's duration record (``data_derived/_timings``) with the totals, for ``timings.json``.

    Totals add the scripts' wall and CPU seconds (make runs them one after another; with ``make -j`` the
    wall sum overstates the elapsed time); the peak is the largest of the scripts' peaks.
    """
    folder = paths.timing("x").parent
    rows = []
    for f in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            rows.append(json.loads(f.read_text(encoding="utf-8")))
        except ValueError:
            continue
    rows.sort(key=lambda r: (r.get("started_utc", ""), r.get("script", "")))
    return {
        "scripts": rows,
        "total_wall_s": round(sum(r.get("wall_s", 0.0) for r in rows), 1),
        "total_cpu_s": round(sum(r.get("cpu_s", 0.0) for r in rows), 1),
        "peak_rss_mb": max((r.get("peak_rss_mb", 0.0) for r in rows), default=0.0),
    }


STAGING_PREFIX, RETIRED_PREFIX = ".staging-", ".retired-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(final: Path) -> None:
    """Undo what a killed :func:`commit_together` left beside ``final``.

    A staging folder of a process that is gone is deleted (its outputs never committed); if ``final`` is
    missing and a retired copy exists (the run was killed between its two renames), the retired copy is
    the last committed state and goes back into place.
    """
    import shutil

    parent = final.parent
    if not parent.is_dir():
        return
    for prefix in (STAGING_PREFIX, RETIRED_PREFIX):
        for d in sorted(parent.glob(f"{prefix}{final.name}-*")):
            pid = d.name.rsplit("-", 1)[-1]
            if pid.isdigit() and int(pid) != os.getpid() and _pid_alive(int(pid)):
                continue  # another run is at work
            if prefix == RETIRED_PREFIX and not final.exists():
                os.rename(d, final)
            else:
                shutil.rmtree(d, ignore_errors=True)


def _linked_copy(src: Path, dst: Path) -> dict[Path, tuple[int, int, int]]:
    """``dst`` as a copy of ``src`` made of hard links (free for the GB-sized rasters); returns the
    (inode, size, mtime_ns) of every linked file, to check later that none was written in place."""
    import shutil

    if src.is_dir():
        shutil.copytree(src, dst, copy_function=os.link, symlinks=True)
    else:
        dst.mkdir(parents=True)
    seen = {}
    for f in dst.rglob("*"):
        if f.is_file() and not f.is_symlink():
            st = f.stat()
            seen[f] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return seen


def _check_not_written_in_place(linked: dict[Path, tuple[int, int, int]]) -> None:
    for f, (ino, size, mtime) in linked.items():
        try:
            st = f.stat()
        except FileNotFoundError:
            continue  # removed by the stage: fine, the committed copy keeps it until the swap
        if st.st_ino == ino and (st.st_size, st.st_mtime_ns) != (size, mtime):
            raise RuntimeError(
                f"{f}: written in place inside a staging folder (it is a hard link of the committed file); "
                "every writer must write a temporary file and rename it (provenance.atomic_path)"
            )


@contextlib.contextmanager
def commit_together(domain: str) -> Iterator[Path]:
    """Run a stage so that its outputs appear together or not at all: a reader never sees two runs mixed.

    While the context runs, ``paths.derived(domain)`` and ``paths.audit_file`` point into staging folders
    beside the real ones, made of hard links of their current contents (a stage that reads what an earlier
    stage of its domain wrote still finds it; the link costs no copy). Writers replace files there by rename
    (:func:`atomic_path`), so the committed files are never touched. On success the domain's folder is
    swapped in by two renames (old -> ``.retired-<domain>-<pid>``, staging -> final) and the audit rows the
    stage wrote are renamed into ``paper/audit/``; on any error or interruption the staging folders are
    deleted and the committed outputs are as they were. A run killed with SIGKILL leaves a staging folder
    (or, between the two renames, a retired copy): the next run of any stage of the domain cleans it up or
    puts the retired copy back (:func:`recover`).

    Hand-written because no library commits a folder of files atomically; the rename of a folder is the one
    atomic step POSIX offers, and the swap's window (two renames) leaves either the old or the new folder.
    """
    import shutil

    if domain in paths.STAGED:
        yield paths.STAGED[domain]  # a nested stage of the same domain: already staged
        return
    final, audit = paths.DATA_DERIVED / domain, paths.AUDIT
    final.parent.mkdir(parents=True, exist_ok=True)
    recover(final)
    audit.parent.mkdir(parents=True, exist_ok=True)
    recover(audit)
    pid = os.getpid()
    stage = final.parent / f"{STAGING_PREFIX}{domain}-{pid}"
    astage = audit.parent / f"{STAGING_PREFIX}{audit.name}-{pid}"
    for d in (stage, astage):
        shutil.rmtree(d, ignore_errors=True)
    linked = {**_linked_copy(final, stage), **_linked_copy(audit, astage)}
    inodes = {f.relative_to(astage): v[0] for f, v in linked.items() if f.is_relative_to(astage)}
    paths.STAGED[domain], paths.STAGED["_audit"] = stage, astage
    try:
        yield stage
        _check_not_written_in_place(linked)
    except BaseException:
        paths.STAGED.pop(domain, None)
        paths.STAGED.pop("_audit", None)
        shutil.rmtree(stage, ignore_errors=True)
        shutil.rmtree(astage, ignore_errors=True)
        raise
    paths.STAGED.pop(domain, None)
    paths.STAGED.pop("_audit", None)
    retired = final.parent / f"{RETIRED_PREFIX}{domain}-{pid}"
    if final.exists():
        os.rename(final, retired)
    os.rename(stage, final)
    shutil.rmtree(retired, ignore_errors=True)
    audit.mkdir(parents=True, exist_ok=True)
    for f in sorted(astage.rglob("*")):
        rel = f.relative_to(astage)
        if f.is_file() and f.stat().st_ino != inodes.get(rel):
            (audit / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, audit / rel)
    shutil.rmtree(astage, ignore_errors=True)


def _remap(obj, moves: list[tuple[Path, Path]]):
    """``obj`` with every Path under a staging folder renamed to its committed place (lists, tuples, dicts)."""
    if isinstance(obj, Path):
        for src, dst in moves:
            if obj.is_relative_to(src):
                return dst / obj.relative_to(src)
        return obj
    if isinstance(obj, dict):
        return {k: _remap(v, moves) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_remap(v, moves) for v in obj)
    return obj


def committed(domain: str):
    """Decorator: run a stage function inside :func:`commit_together` ``(domain)``; the paths it returns name
    the committed files."""
    import functools

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            nested = domain in paths.STAGED
            with commit_together(domain) as stage:
                astage = paths.STAGED["_audit"]
                result = fn(*args, **kwargs)
            if nested:
                return result
            return _remap(result, [(stage, paths.DATA_DERIVED / domain), (astage, paths.AUDIT)])

        return wrapper

    return deco
