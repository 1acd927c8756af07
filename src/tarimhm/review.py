"""Reviewer mode: rebuild one figure or table from an archived deposit and certify the result.

``tarimhm review fig6 --archive dist/tarim-hm-<version>-<commit8>`` (``make review FIG=fig6
ARCHIVE=...``):

1. verifies every checksum of the deposit (:func:`tarimhm.archive.verify_archive`); a tampered
   deposit stops here;
2. reads the archived exhibit's provenance sidecar and extracts only the inputs it lists into a
   scratch folder (generated inputs from the deposit, each re-hashed against the sidecar; source
   inputs such as ``paper/reported.yaml`` are compared with the reviewer's checkout);
3. re-runs that exhibit's script (``analysis/1NN_<fig>_*.py`` or ``2NN_<tab>_*.py``) with the
   deposit's parameter file, outputs redirected to the scratch folder;
4. compares the rebuilt files with the archived ones: pixels for PNG images (an image whose only
   differing rows are the provenance footer, which names the commit, is reported as such), bytes
   for tables (CSV, LaTeX); PDFs embed their creation stamp and are not compared;
5. writes a certificate in the spirit of CODECHECK (codecheck.org.uk: what was rerun, from which
   inputs, on which machine, with which result, how long) as ``<out>/<name>-certificate.{json,md}``.

The certificate is written whatever the result; the command exits non-zero when the rebuilt
exhibit differs or an input does not match its recorded checksum.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import paths
from ._errors import ArchiveError
from .archive import MANIFEST, verify_archive
from .provenance import atomic_write_text, git_info, sha256_file

__all__ = ["Deposit", "open_deposit", "review", "compare_png", "FOOTER_FRACTION"]

# the provenance footer (data status, commit) is drawn in the bottom band of every figure
FOOTER_FRACTION = 0.06


@dataclass
class Deposit:
    """A verified deposit folder: where each project path is (a file of its own or a zip member)."""

    folder: Path
    single: dict[str, str]  # project path -> deposit file name
    members: dict[str, str]  # project path -> zip name
    provenance: dict = field(default_factory=dict)

    def has(self, rel: str) -> bool:
        return rel in self.single or rel in self.members

    def paths(self) -> list[str]:
        return sorted({*self.single, *self.members})

    def read(self, rel: str) -> bytes:
        if rel in self.single:
            return (self.folder / self.single[rel]).read_bytes()
        with zipfile.ZipFile(self.folder / self.members[rel]) as z:
            return z.read(rel)

    def place(self, rel: str, dest: Path) -> Path:
        """Put ``rel`` at ``dest``: a symbolic link to a deposit file (no copy of a GB map), else extracted."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        if rel in self.single:
            dest.symlink_to((self.folder / self.single[rel]).resolve())
        else:
            dest.write_bytes(self.read(rel))
        return dest


def open_deposit(folder: Path | str) -> tuple[Deposit, int]:
    """Verify the deposit's checksums, then index it; returns (deposit, number of entries verified)."""
    folder = Path(folder)
    if folder.name == MANIFEST:
        folder = folder.parent
    if not folder.is_dir():
        raise ArchiveError(f"{folder}: not a deposit folder (make archive writes dist/tarim-hm-<version>-<commit8>/)")
    n = verify_archive(folder)
    prov = json.loads((folder / "PROVENANCE.json").read_text(encoding="utf-8"))
    single = {rel: dep for dep, rel in prov.get("deposit_files", {}).items()}
    members = {}
    for z in sorted(folder.glob("*.zip")):
        with zipfile.ZipFile(z) as zf:
            members.update({m: z.name for m in zf.namelist() if not m.endswith("/")})
    return Deposit(folder, single, members, prov), n


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _target(dep: Deposit, name: str) -> tuple[list[str], Path]:
    """(archived files of the exhibit, its script) for ``fig6``, ``figU4``, ``tab5`` ..."""
    if not re.fullmatch(r"(fig|tab)[A-Za-z0-9]+", name):
        raise ArchiveError(f"review: {name!r} is no exhibit; name a figure or table as make does (fig6, figU4, tab5)")
    folder, exts = ("figures", (".png", ".pdf")) if name.startswith("fig") else ("paper/tables", (".csv", ".tex"))
    files = [
        p
        for p in dep.paths()
        if p.startswith(f"{folder}/{name}_") and p.endswith(exts) and "provenance" not in p and "_test" not in p
    ]
    prefix = "1" if name.startswith("fig") else "2"
    scripts = sorted(paths.ANALYSIS.glob(f"{prefix}[0-9][0-9]_{name}_*.py"))
    if not files:
        raise ArchiveError(
            f"review: the deposit {dep.folder.name} holds no {folder}/{name}_*; was it built by make all?"
        )
    if len(scripts) != 1:
        raise ArchiveError(f"review: no single script analysis/{prefix}NN_{name}_*.py in this checkout")
    return files, scripts[0]


def compare_png(a: bytes, b: bytes) -> tuple[str, bool]:
    """(what differs, equal enough): identical pixels, or differing rows only in the footer band."""
    import io

    from PIL import Image

    x = np.asarray(Image.open(io.BytesIO(a)).convert("RGBA"))
    y = np.asarray(Image.open(io.BytesIO(b)).convert("RGBA"))
    if x.shape != y.shape:
        return f"image size {y.shape[1]}x{y.shape[0]} px rebuilt vs {x.shape[1]}x{x.shape[0]} archived", False
    diff = np.any(x != y, axis=2)
    if not diff.any():
        return "identical pixels", True
    rows = np.flatnonzero(diff.any(axis=1))
    n = int(diff.sum())
    if rows.min() >= x.shape[0] * (1 - FOOTER_FRACTION):
        return f"identical except the provenance footer ({n} px in rows {rows.min()}-{rows.max()})", True
    return f"{n} px differ ({100 * n / diff.size:.3f} %), rows {rows.min()}-{rows.max()}", False


def review(name: str, archive: Path | str, out: Path | str | None = None) -> dict:
    """Rebuild exhibit ``name`` from the deposit ``archive``; write and return the certificate."""
    t0 = time.perf_counter()
    dep, n_verified = open_deposit(archive)
    files, script = _target(dep, name)
    primary = next((f for f in files if f.endswith((".png", ".csv"))), files[0])
    side_rel = primary + ".provenance.json"
    if not dep.has(side_rel):
        raise ArchiveError(f"review: {side_rel} is not in the deposit; the exhibit's inputs are unknown")
    side = json.loads(dep.read(side_rel))
    inputs, problems = [], []
    out = Path(out) if out else paths.ROOT / "dist" / "review"
    with tempfile.TemporaryDirectory(prefix=f"review-{name}-") as tmp:
        work = Path(tmp)
        for rel, recorded in sorted(side.get("inputs", {}).items()):
            if dep.has(rel):
                got = sha256_file(dep.place(rel, work / rel))
                where = "deposit"
                if dep.has(rel + ".provenance.json"):  # readers take an input's data status from its sidecar
                    dep.place(rel + ".provenance.json", work / (rel + ".provenance.json"))
            elif (paths.ROOT / rel).is_file():
                got, where = sha256_file(paths.ROOT / rel), "checkout"
            else:
                got, where = "", "missing"
            ok = got == recorded
            inputs.append({"path": rel, "from": where, "recorded_sha256": recorded, "sha256": got, "match": ok})
            if not ok:
                problems.append(
                    f"input {rel} ({where}) "
                    + (
                        "is missing"
                        if where == "missing"
                        else f"has sha256 {got[:12]}, the run recorded {recorded[:12]}"
                    )
                )
        params = work / "params.yaml"
        par = [rel for rel in dep.single if rel.endswith("params.yaml")]
        if par:
            params.write_bytes(dep.read(par[0]))
        else:
            shutil.copy(paths.PARAMS, params)
        env = {**os.environ, "TARIMHM_OUTPUT": str(work)}
        for k in ("TARIMHM_DERIVED", "TARIMHM_FIGURES", "TARIMHM_AUDIT"):
            env.pop(k, None)
        t_run = time.perf_counter()
        run = subprocess.run(
            [sys.executable, str(script), "--params", str(params)],
            env=env,
            cwd=paths.ROOT,
            capture_output=True,
            text=True,
        )
        t_run = time.perf_counter() - t_run
        results = []
        if run.returncode != 0:
            last = (run.stderr.strip().splitlines() or ["(no output)"])[-1]
            problems.append(f"{script.name} failed: {last}")
        else:
            for rel in files:
                rebuilt = work / rel
                if rel.endswith(".pdf"):
                    results.append({"file": rel, "compared": "not compared (a PDF embeds its creation stamp)"})
                    continue
                if not rebuilt.exists():
                    results.append({"file": rel, "compared": "not rebuilt", "equal": False})
                    problems.append(f"{rel} was not rebuilt by {script.name}")
                    continue
                a, b = dep.read(rel), rebuilt.read_bytes()
                if rel.endswith(".png"):
                    what, ok = compare_png(a, b)
                else:
                    ok = a == b
                    what = "identical bytes" if ok else f"bytes differ (sha256 {_sha(b)[:12]} vs {_sha(a)[:12]})"
                results.append({"file": rel, "compared": what, "equal": ok})
                if not ok:
                    problems.append(f"{rel}: {what}")
    commit, dirty = git_info()
    cert = {
        "certificate": f"tarim-hm review of {name}",
        "result": "REPRODUCED" if not problems else "NOT REPRODUCED",
        "problems": problems,
        "exhibit": name,
        "script": str(script.relative_to(paths.ROOT)),
        "deposit": dep.folder.name,
        "deposit_manifest_sha256": sha256_file(dep.folder / MANIFEST),
        "deposit_entries_verified": n_verified,
        "archived_run": {
            "git_commit": side.get("git_commit", ""),
            "params_hash": side.get("params_hash", ""),
            "data_status": side.get("data_status", ""),
            "created_utc": side.get("created_utc", ""),
        },
        "inputs": inputs,
        "outputs": results,
        "reviewer": {
            "git_commit": commit + ("+dirty" if dirty else ""),
            "machine": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "rerun_seconds": round(t_run, 2),
        "total_seconds": round(time.perf_counter() - t0, 2),
    }
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / f"{name}-certificate.json", json.dumps(cert, indent=2) + "\n")
    atomic_write_text(out / f"{name}-certificate.md", _markdown(cert))
    return cert


def _markdown(c: dict) -> str:
    lines = [
        f"# {c['certificate']}: {c['result']}",
        "",
        f"* Deposit `{c['deposit']}` (MANIFEST sha256 `{c['deposit_manifest_sha256'][:16]}`), "
        f"{c['deposit_entries_verified']} checksums verified",
        f"* Archived run: commit `{c['archived_run']['git_commit'][:10]}`, parameters "
        f"`{c['archived_run']['params_hash'][:12]}`, data status {c['archived_run']['data_status']}",
        f"* Rerun: `{c['script']}` at commit `{c['reviewer']['git_commit'][:10]}` on {c['reviewer']['machine']} "
        f"({c['reviewer']['cpus']} CPUs, Python {c['reviewer']['python']}), {c['rerun_seconds']} s "
        f"({c['total_seconds']} s in all)",
        "",
        "| input | from | recorded sha256 | matches |",
        "|---|---|---|---|",
        *(
            f"| `{i['path']}` | {i['from']} | `{i['recorded_sha256'][:12]}` | {'yes' if i['match'] else '**no**'} |"
            for i in c["inputs"]
        ),
        "",
        "| output | comparison |",
        "|---|---|",
        *(f"| `{o['file']}` | {o['compared']} |" for o in c["outputs"]),
    ]
    if c["problems"]:
        lines += ["", "Problems:", "", *(f"* {p}" for p in c["problems"])]
    return "\n".join(lines) + "\n"
