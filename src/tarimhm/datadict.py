"""Data dictionary: a frictionless Data Package (``datapackage.json``) of every CSV the pipeline writes.

The descriptor follows Data Package v1 (profile ``tabular-data-package``,
https://specs.frictionlessdata.io/data-package/) with one ``tabular-data-resource`` per CSV below
``data_derived/``, ``paper/tables/`` and ``paper/audit/``. Each resource has:

* ``path`` (relative to the package root), ``bytes`` and ``hash`` (``sha256:<hex>``);
* ``data_status`` and ``script`` from the file's provenance sidecar, if it has one;
* a Table Schema in which every column has a ``type``, a ``description`` and a ``unit`` (a custom
  property: ``"1"`` for dimensionless numbers, ``""`` for text).

**Descriptions and units** come from ``paper/columns.yaml`` (:func:`load_dictionary`): a mapping
``columns`` keyed by column name (most columns recur across files) with per-file overrides under
``files`` (keys are paths relative to the package root or :func:`fnmatch.fnmatchcase` patterns,
``*`` also matching ``/``). A column takes the entry of the exact path, else of the first pattern that
matches (in file order), else of ``columns``. An entry is ``{description, unit, type}`` (``unit``
and ``type`` optional) or a plain string (the description). A column no entry describes, or a
numeric column without a unit, is listed by :func:`missing_descriptions` and refused by
:func:`build_datapackage`, so the dictionary stays complete as stages add columns.

**Types** are inferred by ``frictionless.describe`` from every row (the sample is the whole file,
field confidence 1), unless the entry declares one. Types other than integer, number, boolean,
string and any (all cells empty) are read as string. They are then checked: the package is validated
by frictionless against the files (every cell against its type, the byte count and the hash); a
failure is an error.

**Location.** Data Package paths are relative to the descriptor and may not contain ``..``, so the
descriptor sits at the root shared by ``data_derived/`` and ``paper/`` (:func:`default_path`: the
project, or the ``TARIMHM_OUTPUT`` folder of a redirected run); a CSV outside that root is refused.
The descriptor carries no timestamp: the same files give the same bytes.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from . import paths
from ._errors import TarimHMError
from ._version import __version__
from .archive_meta import KEYWORDS, LICENSE_DATA, LICENSE_NAME, LICENSE_URL, PAPER_DOI, PAPER_TITLE
from .config import load_model, params_hash
from .provenance import (
    atomic_write_text,
    combine_status,
    make_provenance,
    read_sidecar,
    sha256_file,
    sidecar_path,
    write_sidecar,
)

__all__ = [
    "DICTIONARY",
    "DataDictionaryError",
    "Entry",
    "Dictionary",
    "load_dictionary",
    "default_root_dirs",
    "default_path",
    "csv_files",
    "lookup",
    "missing_descriptions",
    "build_datapackage",
    "validate_datapackage",
    "write_datapackage",
]

DICTIONARY = paths.PAPER / "columns.yaml"
"""The dictionary source: descriptions and units of every column."""
DESCRIPTOR = "datapackage.json"
TYPES = ("integer", "number", "boolean", "string", "any")
"""Column types the package uses (Table Schema v1 names); other inferred types are read as string."""
NUMERIC = ("integer", "number")
PACKAGE_NAME = "tarim-hm-outputs"
UNITS_NOTE = (
    'Column property `unit`: "1" dimensionless (ratios, indices, probabilities, counts), "%" percent, '
    '"pp" percentage points, a unit symbol (mg/kg, µg/L, kg, mg/d, km, ...), "" text, identifiers and booleans; '
    '"{<column>}": the unit is given on each row in that column of the same file; '
    '"mg/kg|µg/L": a concentration, mg/kg on soil rows and µg/L on river-water rows (column medium); '
    '"varies": the unit depends on the row (the column description says where to find it).'
)


class DataDictionaryError(TarimHMError, ValueError):
    """The data dictionary does not describe every column, or the package does not validate."""


class Entry(BaseModel):
    """What the dictionary says about one column."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str = Field(min_length=1)
    unit: str | None = None
    type: str | None = Field(default=None, pattern="^(" + "|".join(TYPES) + ")$")


class Dictionary(BaseModel):
    """``paper/columns.yaml``: column entries, per-file overrides and optional table descriptions."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    columns: dict[str, Entry | str]
    files: dict[str, dict[str, Entry | str]] = {}
    tables: dict[str, str] = {}
    """Optional resource descriptions, keyed like ``files`` (exact path or pattern)."""


def load_dictionary(path: Path | str | None = None) -> Dictionary:
    """Read and validate the dictionary (safe YAML, duplicate keys refused by :func:`tarimhm.config.load_yaml`)."""
    return load_model(path if path is not None else DICTIONARY, Dictionary)


def _entry(e: Entry | str) -> Entry:
    return Entry(description=e) if isinstance(e, str) else e


def _match(keys: Iterable[str], rel: str) -> str | None:
    """The key for ``rel``: the exact path, else the first pattern that matches."""
    keys = list(keys)
    if rel in keys:
        return rel
    return next((k for k in keys if fnmatch.fnmatchcase(rel, k)), None)


def lookup(d: Dictionary, rel: str, column: str) -> Entry | None:
    """The entry that describes ``column`` of the file ``rel``: exact path, first matching pattern, ``columns``."""
    exact = d.files.get(rel, {})
    if column in exact:
        return _entry(exact[column])
    for key, cols in d.files.items():
        if key != rel and column in cols and fnmatch.fnmatchcase(rel, key):
            return _entry(cols[column])
    return _entry(d.columns[column]) if column in d.columns else None


def default_root_dirs() -> list[Path]:
    """The folders whose CSVs the package describes: data_derived/, paper/tables/, paper/audit/."""
    return [paths.DATA_DERIVED, paths.TABLES, paths.AUDIT]


def default_path() -> Path:
    """``datapackage.json`` at the root of the generated outputs (the project, or ``TARIMHM_OUTPUT``)."""
    return paths.OUTPUT_ROOT / DESCRIPTOR


def csv_files(root_dirs: Sequence[Path | str], base: Path | str) -> list[tuple[str, Path]]:
    """(path relative to ``base``, absolute path) of every CSV below ``root_dirs``, sorted.

    Hidden names are left out (``.params`` stamps, the ``.tmp-*`` files of interrupted writes).
    """
    base = Path(base).absolute()
    out: dict[str, Path] = {}
    for d in root_dirs:
        d = Path(d).absolute()
        if not d.is_dir():
            continue
        for f in d.rglob("*.csv"):
            if not f.is_file() or any(part.startswith(".") for part in f.relative_to(d).parts):
                continue  # hidden: temporary files, a running stage's staging copy, resumable scratch
            try:
                rel = f.relative_to(base).as_posix()
            except ValueError:
                raise DataDictionaryError(
                    f"{f}: outside the package root {base}; a Data Package names its files relative to the "
                    "descriptor (no '..'): write the descriptor in a folder that holds every output"
                ) from None
            if any(part.startswith(".") for part in Path(rel).parts):
                continue
            out[rel] = f
    return sorted(out.items())


def _infer_types(rel: str, base: Path) -> list[tuple[str, str]] | None:
    """(column, type) of one CSV, inferred by frictionless from every row; None without a header row."""
    import frictionless

    with open(base / rel, "rb") as fh:
        rows = sum(1 for _ in fh)
    if rows == 0:
        return None
    detector = frictionless.Detector(sample_size=rows + 1, field_confidence=1.0)
    res = frictionless.describe(rel, basepath=str(base), detector=detector, encoding="utf-8")
    fields = [(f.name, f.type if f.type in TYPES else "string") for f in res.schema.fields]
    return fields or None


def _header(path: Path) -> list[str]:
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh), [])


def _fields(d: Dictionary, rel: str, types: list[tuple[str, str]], where: str) -> tuple[list[dict], list[str]]:
    fields, problems = [], []
    for name, inferred in types:
        e = lookup(d, rel, name)
        if e is None:
            problems.append(
                f"{where}: {rel}: column {name!r}: no description; add it under `columns:` "
                f"(or under `files: {{{rel!r}: ...}}` if it means something else in this file)"
            )
            continue
        typ = e.type or inferred
        unit = e.unit
        if unit is None:
            if typ in NUMERIC:
                problems.append(
                    f"{where}: {rel}: column {name!r} ({typ}): no unit; give `unit` "
                    '("1" if dimensionless; see the header of the dictionary)'
                )
                continue
            unit = ""
        fields.append({"name": name, "type": typ, "description": e.description.strip(), "unit": unit})
    return fields, problems


def _resource_name(rel: str) -> str:
    stem = rel[: -len(".csv")] if rel.lower().endswith(".csv") else rel
    return "".join(c if c.isascii() and (c.isalnum() or c in "-._") else "-" for c in stem.lower().replace("/", "-"))


def _shown(path: Path) -> str:
    """A path as the project names it (relative to the checkout), else as given."""
    try:
        return Path(path).absolute().relative_to(paths.ROOT).as_posix()
    except ValueError:
        return str(path)


def _sidecar(path: Path) -> dict:
    if not sidecar_path(path).exists():
        return {}
    try:
        return read_sidecar(path)
    except (OSError, ValueError):
        return {}


def _build(
    root_dirs: Sequence[Path | str] | None, base: Path | str | None, dictionary: Dictionary | Path | str | None
) -> tuple[dict, list[str]]:
    """(descriptor, problems): every CSV with its schema; problems name the columns the dictionary misses."""
    base = Path(base).absolute() if base is not None else paths.OUTPUT_ROOT
    if isinstance(dictionary, Dictionary):
        d, where = dictionary, "data dictionary"
    else:
        src = Path(dictionary) if dictionary is not None else DICTIONARY
        d, where = load_dictionary(src), _shown(src)
    resources, problems, names = [], [], {}
    for rel, f in csv_files(root_dirs if root_dirs is not None else default_root_dirs(), base):
        types = _infer_types(rel, base)
        if types is None:
            problems.append(f"{rel}: no header row; every CSV output names its columns")
            continue
        header = _header(f)
        if len(set(header)) != len(header):
            dup = sorted({c for c in header if header.count(c) > 1})
            problems.append(f"{rel}: duplicate column name(s) {dup}; a Table Schema needs unique names")
            continue
        fields, bad = _fields(d, rel, types, where)
        problems += bad
        name = _resource_name(rel)
        if name in names:
            problems.append(f"{rel}: resource name {name!r} also names {names[name]}; rename one of the files")
        names[name] = rel
        r: dict = {"name": name, "path": rel, "profile": "tabular-data-resource"}
        table = _match(d.tables, rel)
        if table is not None:
            r["description"] = d.tables[table].strip()
        side = _sidecar(f)
        if side.get("data_status"):
            r["data_status"] = side["data_status"]
        if side.get("script"):
            r["script"] = side["script"]
        r.update(
            format="csv",
            mediatype="text/csv",
            encoding="utf-8",
            bytes=f.stat().st_size,
            hash=f"sha256:{sha256_file(f)}",
            schema={"fields": fields, "missingValues": [""]},
        )
        resources.append(r)
    descriptor = {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": f"tarim-hm {__version__}: the tables of the reproduction of Zhao, Mu, Luo et al. (2026), Sci Rep",
        "description": (
            "Every CSV the tarim-hm pipeline writes below data_derived/, paper/tables/ and paper/audit/, with the "
            "type, unit and meaning of each column (descriptions: paper/columns.yaml). Resource property "
            "data_status (real / reconstructed / surrogate, joined by +) and script come from the file's "
            "provenance sidecar. " + UNITS_NOTE
        ),
        "version": __version__,
        "keywords": list(KEYWORDS),
        "licenses": [
            {"name": LICENSE_DATA, "path": LICENSE_URL[LICENSE_DATA], "title": LICENSE_NAME[LICENSE_DATA]},
        ],
        "sources": [{"title": PAPER_TITLE, "path": f"https://doi.org/{PAPER_DOI}"}],
        "resources": resources,
    }
    return descriptor, problems


def missing_descriptions(
    root_dirs: Sequence[Path | str] | None = None,
    base: Path | str | None = None,
    dictionary: Dictionary | Path | str | None = None,
) -> list[str]:
    """One line per column the dictionary does not describe (or numeric column without a unit); [] if complete."""
    return _build(root_dirs, base, dictionary)[1]


def _report_lines(report, limit: int = 20) -> list[str]:
    lines = []
    for task in report.tasks:
        for err in task.errors:
            row = f"row {err.row_number}: " if getattr(err, "row_number", None) else ""
            field = f"column {err.field_name!r}: " if getattr(err, "field_name", None) else ""
            lines.append(f"{task.name}: {row}{field}{err.type}: {err.note}")
    for err in report.errors:
        lines.append(f"{err.type}: {err.note}")
    return lines[:limit] + ([f"... and {len(lines) - limit} more"] if len(lines) > limit else [])


def build_datapackage(
    root_dirs: Sequence[Path | str] | None = None,
    base: Path | str | None = None,
    dictionary: Dictionary | Path | str | None = None,
    validate: bool = True,
) -> dict:
    """The Data Package descriptor of every CSV below ``root_dirs`` (default: data_derived/, paper/tables/,
    paper/audit/), paths relative to ``base`` (default: :data:`tarimhm.paths.OUTPUT_ROOT`).

    Raises :class:`DataDictionaryError` listing every undescribed column, and (``validate``) every cell,
    byte count or hash that frictionless finds not to match the descriptor.
    """
    base = Path(base).absolute() if base is not None else paths.OUTPUT_ROOT
    descriptor, problems = _build(root_dirs, base, dictionary)
    if problems:
        raise DataDictionaryError("\n".join(problems))
    if validate and descriptor["resources"]:
        import frictionless

        report = frictionless.Package(descriptor, basepath=str(base)).validate()
        if not report.valid:
            raise DataDictionaryError(
                "\n".join(f"{base / DESCRIPTOR}: {line}" for line in _report_lines(report))
                + "\n(the files changed while the package was built, or a declared type does not fit the data)"
            )
    return descriptor


def validate_datapackage(path: Path | str) -> list[str]:
    """Problems frictionless finds in a written descriptor and its files (schema, cells, bytes, hashes); [] if valid."""
    import frictionless

    report = frictionless.validate(str(path))
    return [] if report.valid else _report_lines(report, limit=1000)


def write_datapackage(
    path: Path | str | None = None,
    root_dirs: Sequence[Path | str] | None = None,
    dictionary: Dictionary | Path | str | None = None,
    script: Path | str | None = None,
) -> Path:
    """Build and write the descriptor (atomically) at ``path`` (default :func:`default_path`); the package root
    is the folder of ``path``. With ``script``, also a provenance sidecar (inputs: the dictionary and every CSV)."""
    path = Path(path).absolute() if path is not None else default_path()
    base = path.parent
    descriptor = build_datapackage(root_dirs, base, dictionary)
    atomic_write_text(path, json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n")
    if script is not None:
        statuses = [r["data_status"] for r in descriptor["resources"] if "data_status" in r]
        src = dictionary if isinstance(dictionary, (str, Path)) else DICTIONARY
        inputs = [Path(src), *(base / r["path"] for r in descriptor["resources"])]
        prov = make_provenance(
            script,
            params_hash({}),
            [p for p in inputs if os.path.exists(p)],
            combine_status(*statuses) if statuses else "real",
            note=f"data dictionary: {len(descriptor['resources'])} CSV files with the type, unit and meaning of "
            "every column",
        )
        write_sidecar(path, prov)
    return path
