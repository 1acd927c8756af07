"""Table 9: the exposure factors the paper prints beside those the package's profiles use.

Three questions per printed cell (parameter x child/adult x column):

* ``paper_as_stated`` / ``usepa_default`` / ``china_xinjiang`` must carry the printed value
  (or, for the local column's ranges, a value inside the range): a typing check of the profiles.
* ``paper_reproducing`` is what the paper's own soil HI/CR ranges imply (calibration of stage 02,
  printed numbers only). Where it differs from the "this study" column the paper's results were
  not computed with the factors its Table 9 states: a finding, reported, never corrected.

Built from parameter files and printed numbers only, so its data status is ``real``.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import paths
from ..config import Params, params_hash
from ..provenance import atomic_write_text, make_provenance, write_table
from ..reported import Reported
from .profiles import Profile, load_profile

__all__ = ["table9", "render_table9", "ROWS"]

# Table 9 row -> (profile key, printed unit)
ROWS = {"body_weight": ("BW", "kg"), "water_ingestion_rate": ("IRw", "L/day"),
        "soil_ingestion_rate": ("IngR", "mg/day"), "exposure_duration": ("ED", "years"),
        "skin_adherence": ("AF", "mg/cm2")}
LABEL = {"body_weight": "Body weight", "water_ingestion_rate": "Water ingestion rate",
         "soil_ingestion_rate": "Soil ingestion rate", "exposure_duration": "Exposure duration",
         "skin_adherence": "Skin adherence factor"}
# printed column (id prefix in reported.yaml) -> the profile that should carry it
COLUMNS = {"this_study": "paper_as_stated", "usepa_default": "usepa_default", "china_xinjiang": "china_xinjiang"}
CALIBRATED = "paper_reproducing"


def _value(prof: Profile, quantity: str, group: str) -> float | None:
    """The value a profile actually uses; None when the factor does not enter its equations."""
    key = ROWS[quantity][0]
    if key == "AF" and not prof.options.dermal_af:
        return None
    return float(getattr(prof.groups[group], key).value)


def _records(rep: Reported, column: str, quantity: str, group: str):
    return [r for r in rep.find(locator="Table 9", quantity=quantity, group=group) if r.id.startswith(f"tab9:{column}.")]


def _printed(rep: Reported, column: str, quantity: str, group: str) -> tuple[float, float] | None:
    recs = _records(rep, column, quantity, group)
    if not recs:
        return None
    vals = {r.stat: r.value for r in recs}
    if "value" in vals:
        return vals["value"], vals["value"]
    return vals["min"], vals["max"]


def _fmt(lo_hi: tuple[float, float] | None) -> str:
    if lo_hi is None:
        return "-"
    lo, hi = lo_hi
    return f"{lo:g}" if lo == hi else f"{lo:g}-{hi:g}"


def table9(rep: Reported, profiles: dict[str, Profile] | None = None) -> pd.DataFrame:
    """One row per Table 9 parameter and group: printed columns, profile values, verdicts."""
    names = list(COLUMNS.values()) + [CALIBRATED]
    profs = profiles or {n: load_profile(n) for n in names}
    rows = []
    for q, (key, unit) in ROWS.items():
        for g in ("child", "adult"):
            row = {"parameter": LABEL[q], "key": key, "group": g, "unit": unit}
            checks = []
            for col, pname in COLUMNS.items():
                printed = _printed(rep, col, q, g)
                used = _value(profs[pname], q, g)
                row[f"paper_{col}"] = _fmt(printed)
                row[pname] = used
                if printed is None:
                    continue
                lo, hi = printed
                if used is None:
                    checks.append(f"{pname}: factor not used")
                elif not lo - 1e-12 <= used <= hi + 1e-12:
                    checks.append(f"{pname}: {used:g} is not the printed {_fmt(printed)}")
            row["profiles_check"] = "; ".join(checks) or "profiles carry the printed values"
            stated = _printed(rep, "this_study", q, g)
            implied = _value(profs[CALIBRATED], q, g)
            row[CALIBRATED] = implied
            if q == "water_ingestion_rate":
                v = "not tested: the calibration uses the soil HI/CR only"
            elif implied is None:
                v = (f"differs: the paper's soil HI/CR imply the dermal dose without {key} "
                     "(Eq. 7 as printed), though Table 9 lists it")
            elif stated is not None and abs(implied - stated[0]) <= 1e-9 * max(1.0, abs(stated[0])):
                v = "consistent with the paper's soil HI/CR"
            else:
                v = (f"differs by {100 * (implied / stated[0] - 1):+.0f} %: the paper's soil HI/CR imply "
                     f"{implied:g} {unit}, Table 9 states {stated[0]:g}")
                if key == "BW":
                    v += (" (a factor common to all 28 endpoints: it could equally be the exposure "
                          "frequency or the concentration level)")
            row["verdict_this_study"] = v
            row["reported_id"] = ";".join(r.id for r in _records(rep, "this_study", q, g))
            rows.append(row)
    return pd.DataFrame(rows)


def render_table9(params: Params, rep: Reported, script: Path) -> list[Path]:
    names = list(COLUMNS.values()) + [CALIBRATED]
    files = [paths.PROFILES / f"{n}.yaml" for n in names]
    t = table9(rep)
    prov = make_provenance(script, params_hash(params), [*files, paths.REPORTED], "real",
                           note="Table 9: printed exposure factors beside the profiles and what the results imply")
    out = paths.PAPER / "tables"
    csv = write_table(t, out / "tab9_exposure.csv", prov, float_format="%.6g")
    write_table(t, paths.AUDIT / "exposure.csv", prov, float_format="%.6g")
    esc = lambda s: str(s).replace("%", r"\%").replace("_", r"\_")   # noqa: E731
    num = lambda v: "--" if v is None or pd.isna(v) else f"{v:g}"    # noqa: E731
    lines = [f"% Table 9 generated by {prov.script} at {prov.git_commit[:10]}. Do not edit.",
             r"\begin{tabular}{lllllll}", r"\hline",
             r"Parameter & Unit & Group & This study (paper) & US EPA default (paper) & "
             r"Implied by the paper's results & Verdict \\", r"\hline"]
    for r in t.itertuples():
        lines.append(f"{r.parameter} & {esc(r.unit)} & {r.group} & {r.paper_this_study} & "
                     f"{r.paper_usepa_default} & {num(r.paper_reproducing)} & {esc(r.verdict_this_study)} \\\\")
    lines += [r"\hline", r"\multicolumn{7}{l}{\footnotesize Implied: calibration of the paper's 28 soil HI/CR "
              r"endpoints (profile paper\_reproducing). Data: printed numbers (real).}", r"\end{tabular}"]
    atomic_write_text(out / "tab9_exposure.tex", "\n".join(lines) + "\n")
    return [csv, out / "tab9_exposure.tex"]
