"""Citable deposit of the generated outputs: a folder of files for Zenodo, with checksums and citation metadata.

``build_archive`` writes ``<out>/tarim-hm-<version>-<commit8>/`` (``-dirty`` appended when built with
``--allow-dirty``), a folder whose files are uploaded to one Zenodo record as they are, so a reader
can preview or download each one:

* ``REPORT.md`` (``paper/REPORT.md``) and, if ``paper/report/html/`` exists, ``REPORT-html.zip``;
* every file of ``paper/tables/`` and ``paper/audit/`` (``tables__<name>``, ``audit__<name>``);
* the GeoTIFF maps ``data_derived/maps/**/*.tif`` (``maps__<name>.tif``), every NetCDF
  ``data_derived/**/*.nc`` and any STAC JSON below ``data_derived/`` (``catalog.json``,
  ``collection.json`` or a JSON with ``stac_version``), named by their path below
  ``data_derived/`` with ``/`` -> ``__``;
* ``analysis__params.yaml``: the parameter file of the run;
* ``other-outputs.zip``: everything else (figures, the other derived data, every
  ``.provenance.json`` sidecar), members under their project paths;
* at the root: ``MANIFEST.sha256``, ``CITATION.cff`` (the deposit, CFF 1.2.0), ``.zenodo.json``
  (Zenodo deposit metadata), ``PROVENANCE.json`` (commit, data status, the sidecars, which project
  path each deposit file comes from) and ``ro-crate-metadata.json`` (RO-Crate 1.1: the run, its
  parameter file, source inputs and results).

Zenodo lists a record's files flat (no folders), hence the ``__`` names; a record takes at most 100
files and 50 GB (help.zenodo.org/docs/deposit/manage-files), which the build checks.

``MANIFEST.sha256`` has one ``<sha256>  <path>`` line per deposit file and per member of the two
zips, the members under their project paths: in the folder, ``sha256sum -c --ignore-missing
MANIFEST.sha256`` checks the deposit files, and after ``unzip other-outputs.zip`` (and
``REPORT-html.zip``) plain ``sha256sum -c`` checks everything. ``<out>/<folder>.sha256`` holds the
checksum of ``MANIFEST.sha256`` itself: one number that pins the whole deposit.

The zips are byte-reproducible (members sorted, timestamps set to the commit time, fixed
permissions) and so is every other file. A build is refused when the working tree has uncommitted
changes (the outputs could not be traced to a commit) or when an output no longer matches the
checksum its provenance sidecar recorded (edited after generation), unless explicitly allowed.
``verify_archive`` re-hashes every file and zip member of a deposit (or of a zip of the single-zip
layout of earlier versions) against the manifest.

zipfile is used directly: no library writes deterministic zips with zip64 streaming, and
reproducibility of the archive bytes is what makes its checksum citable.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from . import __version__, paths
from ._errors import ArchiveError
from .archive_meta import PAPER_DOI, PAPER_TITLE, citation_cff, ro_crate, zenodo_json
from .provenance import atomic_path, combine_status, git_info, sha256_file

__all__ = [
    "ArchiveError",
    "build_archive",
    "verify_archive",
    "citation_cff",
    "collect_files",
    "deposit_plan",
    "SOURCES",
    "PAPER_DOI",
    "PAPER_TITLE",
]

SOURCES = (
    "paper/REPORT.md",
    "paper/audit",
    "paper/tables",
    "paper/report/html",
    "figures",
    "data_derived",
    "datapackage.json",
    "datapackage.json.provenance.json",
)
STORED = {".tif", ".tiff", ".png", ".pdf", ".npz", ".zip", ".gz"}  # already compressed: no second pass
PARAMS_FILE = "analysis/params.yaml"
HTML_DIR = "paper/report/html/"
HTML_ZIP = "REPORT-html.zip"
OTHER_ZIP = "other-outputs.zip"
MANIFEST = "MANIFEST.sha256"
METADATA = ("CITATION.cff", ".zenodo.json", "PROVENANCE.json", "ro-crate-metadata.json")
ZENODO_MAX_FILES = 100  # help.zenodo.org/docs/deposit/manage-files: "up to a 100 files and ... 50GB"
ZENODO_MAX_BYTES = 50_000_000_000
_STAC_NAMES = {"catalog.json", "collection.json"}
_STAC_MAX_BYTES = 16 << 20  # larger JSON files are not read to look for stac_version


def collect_files(root: Path) -> list[Path]:
    """Generated files under SOURCES, sorted; temporary files of interrupted writes are left out."""
    out = []
    for s in SOURCES:
        p = root / s
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            # hidden names include the .tmp-* files of interrupted atomic writes
            out += [
                f
                for f in p.rglob("*")
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(root).parts)
            ]
    return sorted(set(out), key=lambda f: f.relative_to(root).as_posix())


def _is_stac(path: Path) -> bool:
    if path.name in _STAC_NAMES:
        return True
    if path.stat().st_size > _STAC_MAX_BYTES:
        return False
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(obj, dict) and "stac_version" in obj


def _flat(rel: str) -> str:
    for prefix in ("paper/", "data_derived/"):
        if rel.startswith(prefix):
            rel = rel[len(prefix) :]
            break
    return rel.replace("/", "__")


def _placement(rel: str, path: Path) -> tuple[str, str]:
    """('file', deposit name) for a file deposited on its own, ('zip', zip name) for a zip member."""
    suffix = path.suffix.lower()
    if rel.startswith(HTML_DIR):
        return "zip", HTML_ZIP
    if rel.endswith(".provenance.json"):
        return "zip", OTHER_ZIP
    if rel == "paper/REPORT.md" or rel.startswith(("paper/tables/", "paper/audit/")):
        return "file", _flat(rel)
    if rel.startswith("data_derived/maps/") and suffix in (".tif", ".tiff"):
        return "file", _flat(rel)
    if rel.startswith("data_derived/") and (suffix == ".nc" or (suffix == ".json" and _is_stac(path))):
        return "file", _flat(rel)
    return "zip", OTHER_ZIP


def deposit_plan(root: Path, files: list[Path]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """({deposit name: project path} of the files deposited on their own, {zip name: member paths})."""
    single: dict[str, str] = {}
    zips: dict[str, list[str]] = {}
    reserved = {MANIFEST, *METADATA, HTML_ZIP, OTHER_ZIP, _flat(PARAMS_FILE)}
    for f in files:
        rel = f.relative_to(root).as_posix()
        kind, name = _placement(rel, f)
        if kind == "zip":
            zips.setdefault(name, []).append(rel)
            continue
        if name in single or name in reserved:
            raise ArchiveError(
                f"{rel}: its deposit name {name!r} is already taken"
                + (f" by {single[name]}" if name in single else "")
                + "; rename one of the outputs"
            )
        single[name] = rel
    return single, {k: sorted(v) for k, v in sorted(zips.items())}


def _commit_time(root: Path) -> _dt.datetime:
    try:
        iso = subprocess.run(
            ["git", "log", "-1", "--format=%cI"], cwd=root, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        t = _dt.datetime.fromisoformat(iso).astimezone(_dt.UTC)
    except (OSError, subprocess.SubprocessError, ValueError):
        t = _dt.datetime(1980, 1, 1, tzinfo=_dt.UTC)
    return max(t, _dt.datetime(1980, 1, 1, tzinfo=_dt.UTC))  # zip cannot store earlier dates


def _info(name: str, when: _dt.datetime) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    zi.external_attr = 0o100644 << 16
    zi.create_system = 3  # unix, so the attributes read the same everywhere
    zi.compress_type = zipfile.ZIP_STORED if Path(name).suffix.lower() in STORED else zipfile.ZIP_DEFLATED
    return zi


def _copy_hashed(src: Path, dst: Path) -> str:
    h = hashlib.sha256()
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        for block in iter(lambda: fi.read(1 << 20), b""):
            h.update(block)
            fo.write(block)
    return h.hexdigest()


def _write_zip(dst: Path, root: Path, members: list[str], when: _dt.datetime, bar) -> None:
    with zipfile.ZipFile(dst, "w", allowZip64=True) as zf:
        for rel in members:
            f = root / rel
            with open(f, "rb") as src, zf.open(_info(rel, when), "w", force_zip64=f.stat().st_size > 2**31) as out:
                for block in iter(lambda: src.read(1 << 20), b""):
                    out.write(block)
            bar.update()


def _write_text(path: Path, text: str) -> str:
    data = text.encode("utf-8")
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _source_inputs(sidecars: dict[str, dict], generated: set[str]) -> dict[str, list[str]]:
    """Project path -> recorded SHA-256 values of the inputs the sidecars list that are not outputs themselves."""
    out: dict[str, set[str]] = {}
    for side in sidecars.values():
        for p, h in (side.get("inputs") or {}).items():
            p = Path(p).as_posix()
            # absolute paths are machine-specific; hidden ones are stamps (data_derived/.params)
            if p in generated or Path(p).is_absolute() or any(x.startswith(".") for x in Path(p).parts):
                continue
            out.setdefault(p, set()).add(h)
    return {p: sorted(v) for p, v in sorted(out.items())}


def _describe(rel: str) -> str:
    if rel == "paper/REPORT.md":
        return "Reproduction report: every table, figure and printed number of the article with its verdict."
    if rel.startswith("paper/tables/"):
        return "Table of the article, as reproduced."
    if rel.startswith("paper/audit/"):
        return "Audit: reported number beside the reproduced one, with verdict and basis."
    if rel.endswith((".tif", ".tiff")):
        return "GeoTIFF map."
    if rel.endswith(".nc"):
        return "NetCDF."
    return "STAC metadata."


def build_archive(
    out_dir: Path | str,
    root: Path | None = None,
    allow_dirty: bool = False,
    allow_edited: bool = False,
    progress: bool = True,
    params: Path | str | None = None,
    doi: str = "",
) -> Path:
    """Write the deposit folder (replacing one of the same name) and ``<folder>.sha256``; return the folder.

    params: the parameter file of the run (default ``analysis/params.yaml`` of ``root``; left out
    if missing). doi: the deposit's DOI if Zenodo has reserved one (written into CITATION.cff).
    """
    from tqdm import tqdm

    root = Path(root or paths.ROOT)
    commit, dirty = git_info(root)
    if dirty and not allow_dirty:
        raise ArchiveError(
            f"{root}: the working tree has uncommitted changes, so the outputs cannot be traced to "
            "a commit; commit them (then `make all`), or pass --allow-dirty to label the archive "
            "'+dirty'"
        )
    if not (root / "paper/REPORT.md").is_file():
        raise ArchiveError(f"{root / 'paper/REPORT.md'}: missing; run `make all` (or `make report`) first")
    files = collect_files(root)
    version = __version__
    label = commit + ("+dirty" if dirty else "")
    hashes, sidecars, edited, statuses = {}, {}, [], []
    for f in tqdm(files, desc="hash outputs", unit="file", disable=None if progress else True):
        rel = f.relative_to(root).as_posix()
        hashes[rel] = sha256_file(f)
        if rel.endswith(".provenance.json"):
            side = json.loads(f.read_text(encoding="utf-8"))
            sidecars[rel[: -len(".provenance.json")]] = side
            statuses.append(side.get("data_status", "real"))
    for rel, side in sidecars.items():
        if rel in hashes and side.get("sha256") not in (None, hashes[rel]):
            edited.append(rel)
    if edited and not allow_edited:
        raise ArchiveError(
            f"{root}: {len(edited)} output(s) differ from the checksum their provenance sidecar "
            f"recorded (edited after generation): {', '.join(edited[:5])}; rebuild them with "
            "`make all`, or pass --allow-edited"
        )
    status = combine_status(*statuses) if statuses else "real"
    when = _commit_time(root)
    date = when.date().isoformat()
    name = f"tarim-hm-{version}-{commit[:8]}" + ("-dirty" if dirty else "")
    single, zips = deposit_plan(root, files)
    par = Path(params) if params else root / PARAMS_FILE
    par_name = _flat(PARAMS_FILE) if par.is_file() else ""
    par_rel = (
        par.resolve().relative_to(root.resolve()).as_posix()
        if par.resolve().is_relative_to(root.resolve())
        else par.name
    )
    n_files = len(single) + len(zips) + bool(par_name) + len(METADATA) + 1
    size = sum((root / r).stat().st_size for r in hashes)
    if n_files > ZENODO_MAX_FILES or size > ZENODO_MAX_BYTES:
        raise ArchiveError(
            f"{root}: the deposit would hold {n_files} files, {size / 1e9:.1f} GB ({len(single)} deposited on their "
            f"own); a Zenodo record takes at most {ZENODO_MAX_FILES} files and {ZENODO_MAX_BYTES / 1e9:.0f} GB; move "
            "outputs into other-outputs.zip (tarimhm.archive._placement) or ask Zenodo for a larger quota"
        )

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=out))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700
        listed: dict[str, str] = {}  # manifest: deposit file or zip member -> sha256
        sizes: dict[str, int | None] = {}
        with tqdm(total=len(files), desc="deposit", unit="file", disable=None if progress else True) as bar:
            for dep, rel in single.items():
                h = _copy_hashed(root / rel, tmp / dep)
                if h != hashes[rel]:
                    raise ArchiveError(f"{root / rel}: changed while being archived; archive again when no stage runs")
                listed[dep], sizes[dep] = h, (tmp / dep).stat().st_size
                bar.update()
            for zname, members in zips.items():
                _write_zip(tmp / zname, root, members, when, bar)
                listed[zname], sizes[zname] = sha256_file(tmp / zname), (tmp / zname).stat().st_size
                listed |= {m: hashes[m] for m in members}
        if par_name:
            listed[par_name], sizes[par_name] = _copy_hashed(par, tmp / par_name), par.stat().st_size
        end_time = max((s.get("created_utc") or "" for s in sidecars.values()), default="") or when.isoformat()
        prov = {
            "git_commit": label,
            "tarimhm_version": version,
            "data_status": status,
            "created_from_commit_time_utc": when.isoformat(),
            "files": len(files),
            "edited_outputs": edited,
            "sidecars": {
                k: {x: v.get(x) for x in ("script", "params_hash", "data_status", "sha256")}
                for k, v in sorted(sidecars.items())
            },
            "deposit_files": dict(sorted({**single, **({par_name: par_rel} if par_name else {})}.items())),
            "zips": {z: len(m) for z, m in zips.items()},
        }
        texts = {
            "CITATION.cff": citation_cff("dataset", version, label, date, status, doi),
            ".zenodo.json": zenodo_json(version, label, date, status, files=len(listed) + len(METADATA)),
            "PROVENANCE.json": json.dumps(prov, indent=2, sort_keys=True) + "\n",
        }
        crate_files = {
            dep: {"path": rel, "size": sizes[dep], "description": _describe(rel)} for dep, rel in single.items()
        }
        for zname, members in zips.items():
            what = "the HTML report" if zname == HTML_ZIP else "the other outputs (figures, derived data, sidecars)"
            crate_files[zname] = {
                "size": sizes[zname],
                "description": f"Zip of {len(members)} file{'s' if len(members) != 1 else ''}, {what}, under their "
                "project paths; "
                "unzip it in this folder to restore them.",
            }
        if par_name:
            crate_files[par_name] = {
                "path": par_rel,
                "size": sizes[par_name],
                "description": "Parameter file of the run.",
            }
        meta_desc = {
            "CITATION.cff": "How to cite this deposit (Citation File Format 1.2.0).",
            ".zenodo.json": "Zenodo deposit metadata.",
            "PROVENANCE.json": "Commit, data status, provenance sidecars, project path of every deposit file.",
            MANIFEST: "SHA-256 of every file of the deposit and every zip member.",
        }
        crate_files |= {k: {"description": v} for k, v in meta_desc.items()}
        texts["ro-crate-metadata.json"] = ro_crate(
            version=version,
            commit=label,
            date=date,
            end_time=end_time,
            status=status,
            files=crate_files,
            results=[*single, *zips],
            params=par_name,
            inputs=_source_inputs(sidecars, set(hashes)),
        )
        for fname, text in texts.items():
            listed[fname] = _write_text(tmp / fname, text)
        manifest = "".join(f"{h}  {rel}\n" for rel, h in sorted(listed.items()))
        man_hash = _write_text(tmp / MANIFEST, manifest)
        final = out / name
        old = None
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=f".old-{name}-", dir=out))
            final.rename(old / name)
        tmp.rename(final)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    with atomic_path(out / f"{name}.sha256") as t:
        t.write_text(f"{man_hash}  {name}/{MANIFEST}\n", encoding="utf-8")
    return final


def _hash_stream(fh) -> str:
    h = hashlib.sha256()
    for block in iter(lambda: fh.read(1 << 20), b""):
        h.update(block)
    return h.hexdigest()


def _read_manifest(text: str, where: str, problems: list[str]) -> dict[str, str]:
    listed = {}
    for i, line in enumerate(text.splitlines(), 1):
        h, sep, rel = line.partition("  ")
        if not sep or len(h) != 64:
            problems.append(f"{where} line {i}: not '<sha256>  <path>'")
            continue
        listed[rel] = h
    return listed


def _verify_deposit(d: Path) -> int:
    man = d / MANIFEST
    if not man.is_file():
        raise ArchiveError(f"{d}: no {MANIFEST}; not a tarim-hm deposit folder")
    problems: list[str] = []
    text = man.read_text(encoding="utf-8")
    listed = _read_manifest(text, MANIFEST, problems)
    pin = d.parent / f"{d.name}.sha256"
    if pin.is_file():
        want = pin.read_text(encoding="utf-8").split()[:1]
        got = hashlib.sha256(text.encode("utf-8")).hexdigest()
        if want != [got]:
            problems.append(f"{MANIFEST}: sha256 {got[:12]}... differs from {pin.name}")
    seen: set[str] = set()

    def check(rel: str, h: str) -> None:
        seen.add(rel)
        if rel not in listed:
            problems.append(f"{rel}: in the deposit but not in {MANIFEST}")
        elif h != listed[rel]:
            problems.append(f"{rel}: sha256 {h[:12]}... differs from the manifest {listed[rel][:12]}...")

    on_disk = sorted(
        p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file() and p.relative_to(d).as_posix() != MANIFEST
    )
    unzipped = set(on_disk)
    for rel in on_disk:
        with open(d / rel, "rb") as fh:
            check(rel, _hash_stream(fh))
    for rel in on_disk:
        if "/" in rel or not rel.endswith(".zip") or rel not in listed:
            continue
        try:
            with zipfile.ZipFile(d / rel) as zf:
                for n in zf.namelist():
                    if n.endswith("/"):
                        continue
                    with zf.open(n) as fh:
                        h = _hash_stream(fh)
                    if n in unzipped:  # unzipped in place as well: both copies are checked
                        if h != listed.get(n):
                            problems.append(f"{rel}:{n}: sha256 {h[:12]}... differs from the manifest")
                        continue
                    check(n, h)
        except (zipfile.BadZipFile, OSError) as e:
            problems.append(f"{rel}: unreadable zip ({e})")
    problems += [f"{n}: in {MANIFEST} but missing from the deposit" for n in sorted(set(listed) - seen)]
    if problems:
        raise ArchiveError(f"{d}: {len(problems)} problem(s): " + "; ".join(problems[:10]))
    return len(listed)


def _verify_zip(path: Path) -> int:
    """A zip of the single-zip layout (before the deposit folder): members under one top-level folder."""
    problems = []
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        mans = [n for n in names if n.endswith(f"/{MANIFEST}")]
        if len(mans) != 1:
            raise ArchiveError(f"{path}: no {MANIFEST} at the top level; not a tarim-hm archive")
        prefix = mans[0][: -len(MANIFEST)]
        listed = {
            prefix + rel: h for rel, h in _read_manifest(zf.read(mans[0]).decode("utf-8"), MANIFEST, problems).items()
        }
        for n in names:
            if n == mans[0]:
                continue
            if n not in listed:
                problems.append(f"{n}: in the archive but not in {MANIFEST}")
                continue
            with zf.open(n) as fh:
                h = _hash_stream(fh)
            if h != listed[n]:
                problems.append(f"{n}: sha256 {h[:12]}... differs from the manifest {listed[n][:12]}...")
        problems += [f"{n}: in {MANIFEST} but missing from the archive" for n in sorted(set(listed) - set(names))]
    if problems:
        raise ArchiveError(f"{path}: {len(problems)} problem(s): " + "; ".join(problems[:10]))
    return len(listed)


def verify_archive(path: Path | str) -> int:
    """Re-hash a deposit folder (or its MANIFEST.sha256, or an archive zip) against its manifest.

    Returns the number of manifest entries checked; raises :class:`ArchiveError` naming every
    mismatching, unlisted or missing file.
    """
    p = Path(path)
    if p.is_dir():
        return _verify_deposit(p)
    if p.name == MANIFEST and p.is_file():
        return _verify_deposit(p.parent)
    if p.suffix == ".zip" and p.is_file():
        with contextlib.suppress(zipfile.BadZipFile):
            return _verify_zip(p)
        raise ArchiveError(f"{p}: not a zip file")
    raise ArchiveError(f"{p}: no such deposit folder, {MANIFEST} or archive zip")
