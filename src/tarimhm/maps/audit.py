"""Map audit: Tables 5-6 (share of mapped area per concentration class) and the map numbers of the text.

Shares are computed from the per-tile counts of stage 070 (``<medium>_summary.json``): class i
holds the post-processed means in (upper_{i-1}, upper_i] with the paper's printed upper bounds
(class 1 takes everything up to its upper bound; the printed lower bound 0.001 is the map
minimum), as % of the mapped area (target surface minus pixels removed above the training P99).
Values above the last printed bound are reported in their own row.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .. import paths
from ..audit import Verdict, cannot, coincidence, differs, reproduced
from ..audit import verdict as rel
from ..domain import TABLE_METALS as METALS
from ..reported import Reported, backgrounds

__all__ = ["class_shares", "audit_maps", "map_audit", "share_in", "TABLE"]
TABLE = {"soil": "Table 5", "water": "Table 6"}
SECT = {"soil": "Sect. 3.2.2", "water": "Sect. 3.2.3"}
NOT_PUBLIC = (
    "cannot be reproduced from what was published: the paper's site tables (S1/S2) and its Sentinel-2 "
    "mosaic are not public; this map is made from {status} data"
)


def load_summary(medium: str) -> dict:
    return json.loads(paths.require(paths.map_summary(medium), "maps").read_text())


def share_in(s: dict, lower: float | None, upper: float | None) -> float:
    """% of the mapped area with lower < value <= upper (None = unbounded); both bounds must be edges."""
    edges = list(s["edges"])
    counts = np.asarray(s["counts"], float)
    i0 = 0 if lower is None else edges.index(lower) + 1
    i1 = len(counts) if upper is None else edges.index(upper) + 1
    return float(100 * counts[i0:i1].sum() / s["n_valid"]) if s["n_valid"] else float("nan")


def _verdict(reported: float, ours: float, status: str, tol_pp: float = 1.0) -> Verdict:
    diff = ours - reported
    if status != "real":
        # agreement on surrogate data is a coincidence, never a reproduction
        if abs(diff) <= tol_pp:
            return coincidence(NOT_PUBLIC.format(status=status) + f" (within {tol_pp:g} pp by coincidence)")
        return cannot(NOT_PUBLIC.format(status=status) + f" (differs by {diff:+.1f} percentage points)")
    return reproduced() if abs(diff) <= tol_pp else differs(f"differs by {diff:+.1f} percentage points")


def class_shares(rep: Reported, medium: str) -> pd.DataFrame:
    summ = load_summary(medium)
    status = summ["data_status"]
    rows = []
    for m in METALS:
        s = summ["metals"][m]
        recs = sorted(rep.find(locator=TABLE[medium], quantity="map_class", metal=m), key=lambda r: r.cls)
        prev = None
        for r in recs:
            ours = share_in(s, prev, r.upper)
            vd = _verdict(r.value, ours, status)
            rows.append(
                {
                    "metal": m,
                    "class": str(r.cls),
                    "lower": r.lower,
                    "upper": r.upper,
                    "paper_pct": r.value,
                    "ours_pct": ours,
                    "diff_pp": ours - r.value,
                    "reported_id": r.id,
                    "verdict": vd.text,
                    "verdict_class": vd.cls,
                }
            )
            prev = r.upper
        rows.append(
            {
                "metal": m,
                "class": "above",
                "lower": prev,
                "upper": np.nan,
                "paper_pct": 0.0,
                "ours_pct": share_in(s, prev, None),
                "diff_pp": np.nan,
                "reported_id": "",
                "verdict": "not in the paper (its classes end at its map maximum)",
                "verdict_class": "not audited",
            }
        )
        n_dom = s["n_domain"]
        rows.append(
            {
                "metal": m,
                "class": "removed>P99",
                "lower": s["p99_training"],
                "upper": np.nan,
                "paper_pct": np.nan,
                "ours_pct": 100 * s["n_removed"] / n_dom if n_dom else np.nan,
                "diff_pp": np.nan,
                "reported_id": "",
                "verdict": "% of the target surface removed as above the training 99th percentile",
                "verdict_class": "not audited",
            }
        )
    out = pd.DataFrame(rows)
    out.insert(0, "medium", medium)
    out["data_status"] = status
    return out


def audit_maps(rep: Reported, medium: str) -> pd.DataFrame:
    """Every map number the paper gives in the text: ranges, quoted shares, exceedances."""
    summ = load_summary(medium)
    status = summ["data_status"]
    rows = []

    def row(r, ours, method, note=""):
        v = ours - r.value if np.isfinite(ours) else np.nan
        if not np.isfinite(ours):
            vd = cannot()
        elif r.stat == "share":
            vd = reproduced() if abs(v) <= 1 else differs(f"differs by {v:+.1f} percentage points")
        else:
            vd = rel(r.value, ours)
        if status != "real":  # as _verdict: agreement on surrogate data is a coincidence, never a reproduction
            head = NOT_PUBLIC.format(status=status)
            near = "1 pp" if r.stat == "share" else ("3 %" if vd.cls == "within 3 %" else "1 %")
            vd = (
                coincidence(f"{head} (within {near} by coincidence)")
                if vd.cls in ("reproduced", "within 3 %")
                else cannot(f"{head} ({vd.text})" if vd.cls == "differs" else head)
            )
        rows.append(
            {
                "reported_id": r.id,
                "locator": r.locator,
                "quantity": r.quantity,
                "medium": medium,
                "metal": r.metal,
                "stat": r.stat,
                "reported": r.value,
                "ours": ours,
                "method": method,
                "verdict": vd.text,
                "note": note,
                "data_status": status,
                "verdict_class": vd.cls,
            }
        )

    for r in rep.find(locator=SECT[medium], quantity="map_range"):
        s = summ["metals"][r.metal]
        row(r, s["min"] if r.stat == "min" else s["max"], f"{r.stat} of the post-processed map")
    for r in rep.find(locator=SECT[medium], quantity="map_share_text"):
        s = summ["metals"][r.metal]
        lo = r.lower if r.lower is not None and r.lower > 0.001 else None
        row(r, share_in(s, lo, r.upper), f"% of mapped area in ({lo or '-inf'}, {r.upper}]")
    # paper-internal checks, from the printed numbers only
    if medium == "soil":
        bg = backgrounds(rep)
        for r in rep.find(locator=SECT[medium], quantity="map_share_above_background"):
            classes = sorted(rep.find(locator=TABLE[medium], quantity="map_class", metal=r.metal), key=lambda x: x.cls)
            tails = {c.cls: sum(x.value for x in classes if x.cls >= c.cls) for c in classes}
            k = min(tails, key=lambda c: abs(tails[c] - r.value))
            note = (
                f"printed share equals the sum of Table 5 classes >= {k} (from {classes[k - 1].lower}) = "
                f"{tails[k]:.2f} %, while the background is {bg[r.metal]}"
            )
            row(
                r,
                share_in(summ["metals"][r.metal], bg[r.metal], None),
                f"% of mapped area > background {bg[r.metal]}",
                note,
            )
    else:
        for r in rep.find(locator=SECT[medium], metal="Cd", stat="share"):
            if not r.quantity.startswith("map_share_above_standard"):
                continue
            c = r.quantity.rsplit("_", 1)[1]
            std = rep.value(locator="Table 1", quantity=f"standard_{c}", metal="Cd")
            classes = sorted(rep.find(locator="Table 6", quantity="map_class", metal="Cd"), key=lambda x: x.cls)
            same = [x for x in classes if abs(x.value - r.value) < 1e-9]
            note = (
                f"printed share equals Table 6 class {same[0].cls} ({same[0].lower}-{same[0].upper} µg/L), whose "
                f"bounds are not the class {c} standard {std} µg/L"
                if same
                else ""
            )
            row(
                r, share_in(summ["metals"]["Cd"], std, None), f"% of mapped river area > class {c} standard {std}", note
            )
    return pd.DataFrame(rows)


def basis_of(status: str) -> tuple[str, str]:
    """(basis, basis_detail) of a map audit row made from data of this status.

    A map is the forests' prediction from the mosaic: unless both the spectra and the site tables are real it
    is not the paper's map, and agreement with a printed share or range is coincidence (as in :func:`_verdict`).
    """
    if status == "real":
        return "independent", "map predicted from the real Sentinel-2 mosaic by forests trained on the real site tables"
    return "coincidence", (
        f"map made from {status} data (the paper's site tables S1/S2 and its Sentinel-2 mosaic are not public): "
        "agreement with the printed number is no evidence"
    )


def map_audit(rep: Reported, medium: str, classes: pd.DataFrame) -> pd.DataFrame:
    """Table 5/6 class rows and the text's map numbers in the audit row schema."""
    a = pd.concat([classes.assign(locator=TABLE[medium]), audit_maps(rep, medium)], ignore_index=True)
    a["reproduced"] = a.ours_pct.fillna(a.ours)
    # a class row audits the printed share of its class (the "above" and "removed>P99" rows audit none)
    printed = a.reported_id.fillna("").astype(str).ne("")
    a["reported"] = a.reported.where(a.reported.notna(), a.paper_pct.where(printed))
    basis, detail = basis_of(a.data_status.iloc[0])
    a["basis"] = basis
    a["basis_detail"] = np.where(printed, detail, "not a printed number; " + detail.split(": agreement")[0])
    return a
