"""Run the whole pipeline on the tiny configuration in two trees and compare every output byte by byte.

Used for refactors that must not change behaviour (issue 13): outputs before and after must be
byte-identical except for provenance fields (script names, parameter hashes, commit, time).

    python tests/tools/compare_outputs.py run  TREE OUT     # run every stage, figure, table, report of TREE
    python tests/tools/compare_outputs.py diff OUT_A OUT_B  # compare two such runs

``run`` copies TREE (without .git, .venv and generated outputs) to a temporary folder so that both
runs see the same (absent) git commit, then runs each ``analysis/*.py`` in run order with
``TARIMHM_ROOT`` and ``PYTHONPATH`` pointing at the copy. ``diff`` compares:
CSV/Markdown/TeX/YAML text exactly (after mapping old script names to new ones), JSON without its
``_provenance`` key, PNG by decoded pixels, PDF by content streams, GeoTIFF/NetCDF/npz by their
arrays; ``*.provenance.json`` sidecars only by the fields that are not provenance.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SKIP_COPY = {".git", ".venv", "data_derived", "figures", "dist", "__pycache__", ".pytest_cache"}
PROV_KEYS = {
    "created_utc",
    "git_commit",
    "git_dirty",
    "script",
    "params_hash",
    "inputs",
    "tarimhm_version",
    "note",
    "sha256",
    "sections",
    "file",
}


def _copy(tree: Path, dst: Path) -> None:
    def ignore(d, names):
        return [
            n
            for n in names
            if n in SKIP_COPY
            or n.endswith(".egg-info")
            or (Path(d).name == "paper" and n in ("audit", "tables", "REPORT.md"))
        ]

    shutil.copytree(tree, dst, ignore=ignore)
    for d in ("data_derived", "figures"):
        (dst / d).mkdir(exist_ok=True)


def _order(name: str) -> tuple:
    m = re.match(r"^(\d+)_", name)
    n = m.group(1)
    # stages: old two-digit 00-10, new 0Dx (three digits starting with 0)
    stage = len(n) == 2 or n.startswith("0")
    return (0 if stage else 1, int(n), name)


def run(tree: Path, out: Path, params: str = "tests/data/params_tiny.yaml") -> None:
    tmp = Path(tempfile.mkdtemp(prefix="tarimhm-cmp-"))
    root = tmp / "tree"
    _copy(tree, root)
    env = {
        **os.environ,
        "TARIMHM_ROOT": str(root),
        "PYTHONPATH": str(root / "src"),
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
    }
    for k in ("TARIMHM_DERIVED", "TARIMHM_FIGURES", "TARIMHM_AUDIT", "TARIMHM_OUTPUT"):
        env.pop(k, None)
    scripts = sorted((p.name for p in (root / "analysis").glob("[0-9]*_*.py")), key=_order)
    profiles = sorted(p.stem for p in (root / "analysis" / "profiles").glob("*.yaml"))
    log = []
    for s in scripts:
        extra = [["--profile", p] for p in profiles] if "risk_deterministic" in s else [[]]
        for e in extra:
            t0 = time.time()
            cmd = [sys.executable, str(root / "analysis" / s), "--params", str(root / params), *e]
            r = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
            log.append(f"{s} {' '.join(e)}: rc={r.returncode} {time.time() - t0:.1f}s")
            print(log[-1], flush=True)
            if r.returncode:
                print(r.stdout[-3000:], r.stderr[-3000:], sep="\n")
                raise SystemExit(f"{s} failed")
    out.mkdir(parents=True, exist_ok=True)
    for d in ("data_derived", "figures", "paper/audit", "paper/tables"):
        if (root / d).exists():
            shutil.copytree(root / d, out / d, dirs_exist_ok=True)
    if (root / "paper" / "REPORT.md").exists():
        shutil.copy2(root / "paper" / "REPORT.md", out / "paper" / "REPORT.md")
    (out / "run.log").write_text("\n".join(log) + "\n")
    shutil.rmtree(tmp)


def _strip(obj):
    if isinstance(obj, dict):
        return {
            k: _strip(v)
            for k, v in obj.items()
            if k not in ("_provenance", "provenance") and not k.startswith("tarimhm_")
        }
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


# outputs that moved on purpose (issue 13: data_derived/<domain>/ for every domain)
RENAMES = {
    "data_derived/risk_uncertainty/": "data_derived/uncertainty/",
    # Table 9 rows: written by the risk audit stage; paper/audit/exposure.csv now has the audit row schema
    "paper/audit/exposure.csv": "data_derived/risk/table9.csv",
}
# text that names a moved folder or a renumbered stage (the report's list of audits)
TEXT_RENAMES = {
    "data_derived/risk_uncertainty/": "data_derived/uncertainty/",
    "statistics (stage 05)": "statistics (stage 020)",
    "risk (stage 04)": "risk (stage 032)",
    "RF accuracy (Table 4)": "RF accuracy (Table 4; stage 060)",
    "soil maps (Table 5)": "soil maps (Table 5; stage 070)",
    "water maps (Table 6)": "water maps (Table 6; stage 070)",
    "exposure factors (Table 9)": "exposure factors (Table 9; stage 032)",
    "(Sect. 4.2.1; stage 10)": "(Sect. 4.2.1; stage 040)",
    "(Sect. 2.1; with Fig. 1)": "(Sect. 2.1; stage 010)",
    # paper/elements.yaml names the stages of Fig. 3 by their new numbers
    "stages 06, 07 and 09": "stages 050, 060 and 070",
}
# outputs whose content is run-time measurements, not results
VOLATILE = {"data_derived/maps/timings.json"}


def _renamed(rel: str) -> str:
    for old, new in RENAMES.items():
        if rel.startswith(old):
            return new + rel[len(old) :]
    return rel


def _csv_columns_kept(a: Path, b: Path) -> tuple[bool, list[str]]:
    """(every column of ``a`` is in ``b`` with identical text, columns ``b`` adds)."""
    import pandas as pd

    x = pd.read_csv(a, dtype=str, keep_default_na=False)
    y = pd.read_csv(b, dtype=str, keep_default_na=False)
    added = [c for c in y.columns if c not in x.columns]
    if len(x) != len(y) or any(c not in y.columns for c in x.columns):
        return False, added
    return bool((x == y[list(x.columns)]).all().all()), added


def _digest(path: Path, names: dict[str, str]) -> str:
    suf = path.suffix.lower()
    if path.name.endswith(".provenance.json"):
        body = json.loads(path.read_text())
        return json.dumps({k: v for k, v in body.items() if k not in PROV_KEYS}, sort_keys=True)
    if suf == ".json":
        return json.dumps(_strip(json.loads(path.read_text())), sort_keys=True)
    if suf in (".csv", ".md", ".tex", ".txt", ".yaml", ".log"):
        text = path.read_text(encoding="utf-8", errors="replace")
        for old, new in {**names, **TEXT_RENAMES}.items():
            text = text.replace(old, new)
        # provenance quoted in text outputs: commit, parameter hash, script
        text = re.sub(r"`[0-9a-f]{10,12}`", "`HASH`", text)
        text = re.sub(r"analysis/\d+_[A-Za-z0-9_]+\.py", "analysis/SCRIPT.py", text)
        text = re.sub(r"(unknown|[0-9a-f]{10})(\b; data status)", r"COMMIT\2", text)
        return hashlib.sha256(text.encode()).hexdigest()
    if suf == ".png":
        import matplotlib.image as mpimg

        return hashlib.sha256(mpimg.imread(path).tobytes()).hexdigest()
    if suf == ".pdf":
        data = path.read_bytes()
        streams = re.findall(rb"stream\r?\n(.*?)endstream", data, flags=re.S)
        return hashlib.sha256(b"".join(streams)).hexdigest()
    if suf in (".tif", ".tiff"):
        import rasterio

        h = hashlib.sha256()
        with rasterio.open(path) as src:
            h.update(src.read().tobytes())
            h.update(repr((src.crs.to_wkt() if src.crs else None, tuple(src.transform), src.descriptions)).encode())
            tags = {k: v for k, v in src.tags().items() if not k.startswith("tarimhm_")}
            h.update(json.dumps(tags, sort_keys=True).encode())
        return h.hexdigest()
    if suf == ".nc":
        import xarray as xr

        with xr.open_dataset(path) as ds:
            h = hashlib.sha256()
            for k in sorted(ds.variables):
                v = ds[k].values
                h.update(k.encode() + (v.astype(str).tobytes() if v.dtype == object else v.tobytes()))
            return h.hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def diff(a: Path, b: Path) -> int:
    """Exit 0 when every output of run ``a`` is in run ``b`` unchanged (renamed, or with columns added)."""
    fa = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file() and p.name != "run.log"}
    fb = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file() and p.name != "run.log"}
    names: dict[str, str] = {}
    pairs = {rel: _renamed(rel) for rel in fa}
    only_a = sorted(rel for rel, new in pairs.items() if new not in fb)
    only_b = sorted(fb - set(pairs.values()))
    same, moved, widened, volatile, differ = 0, 0, [], [], []
    for rel, new in sorted(pairs.items()):
        if new not in fb:
            continue
        if rel in VOLATILE:
            volatile.append(rel)
        elif _digest(a / rel, names) == _digest(b / new, names):
            same += 1
            moved += rel != new
        elif rel.endswith(".csv"):
            kept, added = _csv_columns_kept(a / rel, b / new)
            (
                widened.append((rel if rel == new else f"{rel} -> {new}", added))
                if kept and added
                else differ.append(rel)
            )
        else:
            differ.append(rel)
    print(
        f"{same} files identical, provenance fields aside ({moved} of them under a new folder); "
        f"{len(widened)} identical on every old column with columns added; {len(volatile)} run-time "
        f"measurements; {len(differ)} differ; {len(only_a)} only before; {len(only_b)} new"
    )
    for rel, added in widened:
        print(f"  columns added: {rel}: {', '.join(added)}")
    for title, items in (
        ("run-time measurements", volatile),
        ("DIFFER", differ),
        ("only before", only_a),
        ("new", only_b),
    ):
        for rel in items:
            print(f"  {title}: {rel}")
    return 1 if differ or only_a else 0


if __name__ == "__main__":
    cmd, x, y = sys.argv[1], Path(sys.argv[2]).resolve(), Path(sys.argv[3]).resolve()
    raise SystemExit(run(x, y) if cmd == "run" else diff(x, y))
