"""Structured verdicts and the one row schema of every audit file in ``paper/audit/``.

A verdict is data: its ``text`` (what a reviewer reads) and its ``cls`` (one of :data:`CLASSES`,
what the report counts). Every audit row carries the columns :data:`AUDIT_COLUMNS`; an audit may add
columns of its own after them. The report never parses verdict text.

Classes keep apart what a reviewer must not confuse: a number reproduced independently, one
reproduced because the reconstruction was fitted to it, agreement on surrogate data that is
coincidence, a difference, and what cannot be reproduced from what was published.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .provenance import Provenance, write_table

__all__ = [
    "BASES",
    "CLASSES",
    "AUDIT_COLUMNS",
    "Verdict",
    "verdict",
    "share_verdict",
    "within",
    "reproduced",
    "differs",
    "cannot",
    "coincidence",
    "not_audited",
    "by_construction",
    "check_audit",
    "write_audit",
]

CLASSES = (
    "reproduced",
    "reproduced by construction",
    "within 3 %",
    "agrees by coincidence",
    "differs",
    "cannot be reproduced",
    "input",
    "method setting",
    "not computable",
    "not audited",
)
BASES = ("independent", "fitted", "calibrated", "follows_from_fit", "coincidence", "input", "method setting")
"""Closed set of the ``basis`` column: why a reproduction is, or is not, evidence.

* ``independent``: computed from inputs that were not fitted to this number (real data, or reconstructed
  tables whose fit never used it);
* ``fitted``: a target of the site reconstruction (or a printed duplicate of one);
* ``calibrated``: a target of the risk calibration of the exposure factors;
* ``follows_from_fit``: an arithmetic consequence of fitted or calibrated quantities;
* ``coincidence``: agreement (or not) on surrogate data, which is never evidence;
* ``input`` / ``method setting``: a number the package uses, not one it computes.
"""
AUDIT_COLUMNS = ("reported_id", "reported", "reproduced", "verdict", "verdict_class", "basis", "data_status")
"""Columns every audit file has (``reported_id`` may be empty for rows that audit no printed number)."""


class Verdict(NamedTuple):
    text: str
    cls: str


def reproduced(text: str = "reproduced") -> Verdict:
    return Verdict(text, "reproduced")


def differs(text: str) -> Verdict:
    return Verdict(text, "differs")


def cannot(text: str = "cannot be reproduced") -> Verdict:
    return Verdict(text, "cannot be reproduced")


def coincidence(text: str) -> Verdict:
    return Verdict(text, "agrees by coincidence")


def not_audited(text: str) -> Verdict:
    return Verdict(text, "not audited")


def by_construction(v: Verdict, basis: str) -> Verdict:
    """A reproduced number whose basis is a fit, a calibration or their arithmetic is reproduced by construction."""
    built = basis in ("fitted", "calibrated", "follows_from_fit") or str(basis).startswith("by construction")
    if v.cls == "reproduced" and built:
        return Verdict(v.text, "reproduced by construction")
    return v


def verdict(reported: float, reproduced_value: float, tol: float = 0.01) -> Verdict:
    """Relative comparison: reproduced within ``tol``, within 3 tol, or differs by the signed percentage."""
    if not np.isfinite(reproduced_value):
        return cannot()
    if reported == 0:
        return (
            reproduced()
            if abs(reproduced_value) < 1e-12
            else differs(f"differs (reproduced {reproduced_value:.3g}, reported 0)")
        )
    r = reproduced_value / reported - 1
    # a relative epsilon absorbs the float error of the ratio: 101 / 100 - 1 is 0.010000000000000009, and a
    # printed 1 % edge must count as 1 % (1e-9 is far above double rounding, far below any printed digit)
    eps = 1e-9
    if abs(r) <= tol * (1 + eps):
        return reproduced()
    if abs(r) <= 3 * tol * (1 + eps):
        return Verdict("reproduced within 3 %", "within 3 %")
    return differs(f"differs by {100 * r:+.0f} %")


def share_verdict(reported: float, reproduced_value: float, n_sites: int) -> Verdict:
    """Verdict for a share of sites (%), compared as whole site counts."""
    if round(reproduced_value * n_sites / 100) == round(reported * n_sites / 100):
        return reproduced()
    return differs(
        f"differs ({reproduced_value * n_sites / 100:.0f} vs {reported * n_sites / 100:.1f} of {n_sites} sites)"
    )


def within(reported: float, reproduced_value: float, tol_abs: float, fmt: str = "{:+.3f}", unit: str = "") -> Verdict:
    """Absolute comparison: reproduced when ``|reproduced - reported| <= tol_abs``."""
    d = reproduced_value - reported
    if abs(d) <= tol_abs * (1 + 1e-9):  # within(0.80, 0.78, 0.02): 0.020000000000000018 is within
        return reproduced()
    return differs(f"differs by {fmt.format(d)}{unit}")


def check_audit(df: pd.DataFrame, name: str = "audit") -> pd.DataFrame:
    """``df`` if it has every column of :data:`AUDIT_COLUMNS` and only known verdict classes."""
    missing = [c for c in AUDIT_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{name}: audit rows lack column(s) {missing}; every audit has {list(AUDIT_COLUMNS)}")
    bad = sorted(set(df.verdict_class.dropna()) - set(CLASSES))
    if bad:
        raise ValueError(f"{name}: unknown verdict class(es) {bad}; allowed: {', '.join(CLASSES)}")
    bad = sorted({str(b) for b in df.basis.dropna()} - set(BASES) - {""})
    if bad:
        raise ValueError(f"{name}: unknown basis {bad}; allowed: {', '.join(BASES)} (free text goes in basis_detail)")
    return df


def write_audit(df: pd.DataFrame, path: Path | str, prov: Provenance, float_format: str | None = "%.6g") -> Path:
    """Check the row schema, then write the audit CSV with its provenance sidecar."""
    return write_table(check_audit(df, Path(path).name), path, prov, float_format=float_format)
