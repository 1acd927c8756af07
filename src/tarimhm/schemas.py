"""Schemas (pandera) of the saved tables that a later stage reads back, and the reader that checks them.

A stage that reads a table another stage wrote (the training table of stage 050, the Table 4 metrics and
the risk calibration ranking) reads it through :func:`read_checked`: the columns it needs with their
types, allowed values and ranges are checked in one pass, and a file that does not fit (edited by hand,
written by another version, truncated) ends the run with one line per problem naming the file, the
column, what is wrong and the make target that writes it again. pandera does the checking; only the
wording of the message is ours (its report is a table of failure cases, meant for a developer).

The site concentration tables have their own reader with the messages a user writing them needs
(:mod:`tarimhm.sitetable`); these schemas are for tables the package wrote itself.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from ._errors import DerivedTableError, MissingOutputError
from .domain import MEDIA, METALS

__all__ = ["calibration_schema", "metrics_schema", "read_checked", "training_schema"]

STATUS_PATTERN = r"^(real|reconstructed|surrogate)(\+(reconstructed|surrogate))*$"
SPECTRAL_BANDS = ("B02", "B03", "B04", "B08")  # the site spectra stage 050 samples (imagery.grid.BANDS)


def _status() -> pa.Column:
    return pa.Column(str, pa.Check.str_matches(STATUS_PATTERN), nullable=False)


def training_schema() -> pa.DataFrameSchema:
    """Stage 050's ``training_table.csv``: one row per (medium, site), reflectances in [0, 1.6], concentrations ≥ 0."""
    reflectance = pa.Check.in_range(0.0, 1.6)  # L2A surface reflectance (DN / 10 000); > 1 happens over snow and glint
    return pa.DataFrameSchema(
        {
            "site_id": pa.Column(str, pa.Check.str_matches(r"^[SW]\d{1,2}$")),
            "medium": pa.Column(str, pa.Check.isin(MEDIA)),
            **{b: pa.Column(float, reflectance) for b in SPECTRAL_BANDS},
            **{m: pa.Column(float, pa.Check.ge(0.0)) for m in METALS},
            "data_status": _status(),
        },
        unique=["medium", "site_id"],
        strict=False,
        coerce=True,
    )


def metrics_schema() -> pa.DataFrameSchema:
    """Stage 060's ``metrics.csv`` (Table 4): one row per (medium, metal) with its split sizes and fitted forest."""
    return pa.DataFrameSchema(
        {
            "medium": pa.Column(str, pa.Check.isin(MEDIA)),
            "metal": pa.Column(str, pa.Check.isin(METALS)),
            "n_train": pa.Column(int, pa.Check.ge(2)),
            "n_validation": pa.Column(int, pa.Check.ge(1)),
            "MAE": pa.Column(float, pa.Check.ge(0.0)),
            "RMSE": pa.Column(float, pa.Check.ge(0.0)),
            "R2": pa.Column(float, pa.Check.le(1.0)),
            "best_n_estimators": pa.Column(int, pa.Check.ge(1)),
            "best_min_samples_leaf": pa.Column(int, pa.Check.ge(1)),
            "degenerate": pa.Column(bool),
            "data_status": _status(),
        },
        unique=["medium", "metal"],
        strict=False,
        coerce=True,
    )


def calibration_schema() -> pa.DataFrameSchema:
    """Stage 030's ``calibration.csv``: the ranked reading grid, rank 1, 2, … with non-negative misfits."""
    return pa.DataFrameSchema(
        {
            "rank": pa.Column(int, pa.Check.ge(1), unique=True),
            "rms_raw": pa.Column(float, pa.Check.ge(0.0)),
            "scale": pa.Column(float, pa.Check.gt(0.0)),
            "rms_scaled": pa.Column(float, pa.Check.ge(0.0)),
            "max_abs_scaled_pct": pa.Column(float, pa.Check.ge(0.0)),
            "max_abs_raw_pct": pa.Column(float, pa.Check.ge(0.0)),
        },
        checks=pa.Check(lambda d: d["rank"].is_monotonic_increasing, error="rows ordered by rank"),
        strict=False,
        coerce=True,
    )


def _problems(exc: pa.errors.SchemaErrors, limit: int = 8) -> list[str]:
    """One sentence per (column, check) from pandera's failure-case table, with up to three offending values."""
    fc = exc.failure_cases
    lines = []
    col_s = fc["column"].where(fc["column"].notna(), "").astype(str)
    dup = fc["check"].astype(str) == "multiple_fields_uniqueness"
    if dup.any():  # one finding for the key, not one per key column
        keys = ", ".join(dict.fromkeys(col_s[dup]))
        rows = sorted({int(i) + 2 for i in fc.loc[dup, "index"].dropna()})
        lines.append(f"rows repeat ({keys}) at lines {', '.join(map(str, rows[:6]))}")
        fc, col_s = fc[~dup], col_s[~dup]
    uncoerced = set(col_s[fc["check"].astype(str).str.startswith("coerce_dtype")])
    keep = ~col_s.isin(uncoerced) | fc["check"].astype(str).str.startswith("coerce_dtype")
    fc, col_s = fc[keep], col_s[keep]  # a column that is not numeric: its range checks only repeat that
    for (col, check), g in fc.groupby([col_s, fc["check"].astype(str)], sort=False):
        if check == "column_in_dataframe":
            lines.append(f"missing column{'s' if len(g) > 1 else ''} {', '.join(map(str, g['failure_case']))}")
            continue
        where = f"column {col}" if col else "the table"
        vals = ", ".join(repr(v) for v in g["failure_case"].head(3).tolist())
        rows = [int(i) + 2 for i in g["index"].dropna().head(3).tolist()]  # +2: header line, 1-based lines
        at = f" at line{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))}" if rows else ""
        lines.append(f"{where}: fails {check} ({len(g)} case{'s' if len(g) > 1 else ''}: {vals}{at})")
    return lines[:limit] + ([f"... and {len(lines) - limit} more"] if len(lines) > limit else [])


def read_checked(path: Path | str, schema: pa.DataFrameSchema, make_target: str, name: str = "") -> pd.DataFrame:
    """The CSV at ``path`` validated against ``schema`` (all problems at once), or one error line per problem.

    The frame returned is the file as read (``pd.read_csv``), not pandera's coerced copy, so a reader sees
    the same values with and without the check.
    """
    from .provenance import _rel

    path = Path(path)
    if not path.exists():
        raise MissingOutputError(f"{_rel(path)}: missing; run `make {make_target}` first")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DerivedTableError(
            f"{_rel(path)}: not a readable CSV ({str(exc).splitlines()[0]}); run `make {make_target}` again"
        ) from None
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fix = f"the file was edited or written by another version; run `make {make_target}` again"
        raise DerivedTableError(
            "\n".join(f"{_rel(path)}: {p}; {fix}" for p in _problems(exc)) or f"{_rel(path)}: invalid; {fix}"
        ) from None
    return df
