"""Citable archive of the generated outputs: one deterministic zip with checksums and citation metadata.

``build_archive`` packs the report, audits, tables, figures and ``data_derived/`` into
``<out>/tarim-hm-outputs-<version>-<commit>.zip`` with, at its top level,

* ``MANIFEST.sha256``: one ``<sha256>  <path>`` line per file (``sha256sum -c`` checks it after unzip);
* ``CITATION.cff`` (Citation File Format 1.2.0) citing the outputs, the package and the paper;
* ``.zenodo.json``: deposit metadata for Zenodo (upload type, related identifiers);
* ``PROVENANCE.json``: git commit, package version, data status, and the per-file provenance sidecars.

The zip is byte-reproducible: members sorted, timestamps set to the commit time, fixed permissions.
It is refused when the working tree has uncommitted changes (the outputs could not be traced to a
commit) or when an output no longer matches the checksum its provenance sidecar recorded (edited
after generation), unless explicitly allowed. ``verify_archive`` re-hashes every member.

zipfile is used directly: no library writes deterministic zips with zip64 streaming, and
reproducibility of the archive bytes is what makes its checksum citable.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import subprocess
import zipfile
from pathlib import Path

from . import __version__, paths
from ._errors import ArchiveError
from .provenance import atomic_path, combine_status, git_info, sha256_file

__all__ = ["ArchiveError", "build_archive", "verify_archive", "citation_cff", "collect_files", "SOURCES"]

SOURCES = ("paper/REPORT.md", "paper/audit", "paper/tables", "figures", "data_derived")
STORED = {".tif", ".tiff", ".png", ".pdf", ".npz", ".zip", ".gz"}  # already compressed: no second pass
PAPER_DOI = "10.1038/s41598-026-38887-9"
PAPER_TITLE = (
    "Integrating multi-spectral remote sensing and machine learning for quantifying and mapping "
    "heavy metal contamination in the Tarim River Basin, China"
)


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


def _commit_time(root: Path) -> _dt.datetime:
    try:
        iso = subprocess.run(
            ["git", "log", "-1", "--format=%cI"], cwd=root, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        t = _dt.datetime.fromisoformat(iso).astimezone(_dt.UTC)
    except (OSError, subprocess.SubprocessError, ValueError):
        t = _dt.datetime(1980, 1, 1, tzinfo=_dt.UTC)
    return max(t, _dt.datetime(1980, 1, 1, tzinfo=_dt.UTC))  # zip cannot store earlier dates


def citation_cff(
    kind: str = "software", version: str = __version__, commit: str = "", date: str = "", status: str = ""
) -> str:
    """CITATION.cff text: the package (kind 'software') or its archived outputs (kind 'dataset')."""
    title = (
        "tarim-hm: reproducibility package for Zhao, Mu, Luo et al. (2026)"
        if kind == "software"
        else f"tarim-hm outputs {version}: reproduction of Zhao, Mu, Luo et al. (2026)"
    )
    lines = [
        "cff-version: 1.2.0",
        f'message: "If you use {"this software" if kind == "software" else "these outputs"}, please cite '
        'it as below, and cite the article it reproduces."',
        f"type: {kind}",
        f'title: "{title}"',
        f'version: "{version}"',
        "authors:",
        '  - name: "tarim-hm contributors"',
        "license: MIT",
    ]
    if commit:
        lines.append(f'commit: "{commit}"')
    if date:
        lines.append(f'date-released: "{date}"')
    abstract = (
        "Reproduction of every table, figure and printed number of the article, with a verdict per "
        "number, plus leave-one-site-out validation, area of applicability and 60 m basin maps."
    )
    if status:
        abstract += f" Data status: {status} (site tables reconstructed from published statistics unless real)."
    lines += [
        f'abstract: "{abstract}"',
        "keywords: [heavy metals, Tarim River Basin, Sentinel-2, random forest, health risk, reproducibility]",
        "references:",
        "  - type: article",
        f'    title: "{PAPER_TITLE}"',
        "    authors:",
        '      - family-names: "Zhao"',
        '      - family-names: "Mu"',
        '      - family-names: "Luo"',
        '    journal: "Scientific Reports"',
        "    year: 2026",
        f'    doi: "{PAPER_DOI}"',
    ]
    return "\n".join(lines) + "\n"


def _zenodo(version: str, commit: str, status: str) -> str:
    meta = {
        "upload_type": "dataset",
        "title": f"tarim-hm outputs {version} ({commit[:10]})",
        "version": version,
        "license": "MIT",
        "access_right": "open",
        "creators": [{"name": "tarim-hm contributors"}],
        "description": (
            f"Generated outputs of tarim-hm at commit {commit}: reproduction report, audits, "
            f"tables, figures and derived data. Data status: {status}. MANIFEST.sha256 lists a "
            "checksum per file."
        ),
        "keywords": ["heavy metals", "Tarim River Basin", "Sentinel-2", "random forest", "health risk"],
        "related_identifiers": [
            {
                "identifier": PAPER_DOI,
                "relation": "isSupplementTo",
                "scheme": "doi",
                "resource_type": "publication-article",
            }
        ],
    }
    return json.dumps(meta, indent=2, sort_keys=True) + "\n"


def _info(name: str, when: _dt.datetime) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    zi.external_attr = 0o100644 << 16
    zi.create_system = 3  # unix, so the attributes read the same everywhere
    zi.compress_type = zipfile.ZIP_STORED if Path(name).suffix.lower() in STORED else zipfile.ZIP_DEFLATED
    return zi


def build_archive(
    out_dir: Path | str,
    root: Path | None = None,
    allow_dirty: bool = False,
    allow_edited: bool = False,
    progress: bool = True,
) -> Path:
    """Write the archive (atomically) and ``<archive>.sha256``; return the archive path."""
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
    for f in tqdm(files, desc="hash outputs", unit="file", disable=not progress):
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
    prefix = f"tarim-hm-outputs-{version}-{commit[:10]}"
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
    }
    extra = {
        "CITATION.cff": citation_cff("dataset", version, label, when.date().isoformat(), status),
        ".zenodo.json": _zenodo(version, label, status),
        "PROVENANCE.json": json.dumps(prov, indent=2, sort_keys=True) + "\n",
    }
    for name, text in extra.items():
        hashes[name] = hashlib.sha256(text.encode()).hexdigest()
    manifest = "".join(f"{h}  {rel}\n" for rel, h in sorted(hashes.items()))
    out = Path(out_dir) / f"{prefix}.zip"
    with atomic_path(out) as tmp, zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
        for name, text in [("MANIFEST.sha256", manifest), *sorted(extra.items())]:
            zf.writestr(_info(f"{prefix}/{name}", when), text)
        for f in tqdm(files, desc="archive", unit="file", disable=not progress):
            with (
                open(f, "rb") as src,
                zf.open(
                    _info(f"{prefix}/{f.relative_to(root).as_posix()}", when), "w", force_zip64=f.stat().st_size > 2**31
                ) as dst,
            ):
                for block in iter(lambda: src.read(1 << 20), b""):
                    dst.write(block)
    with atomic_path(out.with_name(out.name + ".sha256")) as tmp:
        tmp.write_text(f"{sha256_file(out)}  {out.name}\n", encoding="utf-8")
    return out


def verify_archive(path: Path | str) -> int:
    """Re-hash every member against MANIFEST.sha256; return the number of files checked, raise on a mismatch."""
    path = Path(path)
    problems = []
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        mans = [n for n in names if n.endswith("/MANIFEST.sha256")]
        if len(mans) != 1:
            raise ArchiveError(f"{path}: no MANIFEST.sha256 at the top level; not a tarim-hm archive")
        prefix = mans[0][: -len("MANIFEST.sha256")]
        listed = {}
        for line in zf.read(mans[0]).decode("utf-8").splitlines():
            h, rel = line.split("  ", 1)
            listed[prefix + rel] = h
        for n in names:
            if n == mans[0]:
                continue
            if n not in listed:
                problems.append(f"{n}: in the archive but not in MANIFEST.sha256")
                continue
            h = hashlib.sha256()
            with zf.open(n) as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            if h.hexdigest() != listed[n]:
                problems.append(f"{n}: sha256 {h.hexdigest()[:12]}... differs from the manifest {listed[n][:12]}...")
        problems += [f"{n}: in MANIFEST.sha256 but missing from the archive" for n in sorted(set(listed) - set(names))]
    if problems:
        raise ArchiveError(f"{path}: {len(problems)} problem(s): " + "; ".join(problems[:10]))
    return len(listed)
