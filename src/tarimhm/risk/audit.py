"""Risk audit: every risk and index number of the paper beside its reproduction under each profile.

All reproductions start from the site tables the pipeline uses (reconstructed or real); the
method column says how each reported statistic is read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..audit import Verdict, by_construction, differs, not_audited, reproduced, share_verdict, verdict, within
from ..domain import METALS, WATER_CARCINOGENS
from ..reported import Reported, backgrounds, igeo_factor, standards
from .assess import site_summary, soil_indices, soil_risk, water_indices, water_risk
from .profiles import Profile, load_profile

__all__ = [
    "audit_profile",
    "water_checks",
    "table9",
    "exposure_audit",
    "assign_basis",
    "fitted_ids",
    "EXPLANATIONS",
    "TABLE9_ROWS",
]

# Risk numbers that are means over sites of a quantity linear in the concentrations: with fitted
# per-metal means and calibrated (or stated) exposure factors they follow by arithmetic alone.
MEAN_OF_LINEAR = {("ncr", "mean"), ("cr", "mean")}


def _row(rec, profile, value, method, n_sites=None):
    if rec.stat == "share" and n_sites:
        v = share_verdict(rec.value, value, n_sites)
    elif rec.quantity == "igeo" and rec.decimals is not None:
        # Igeo is printed to two decimals around zero: a relative tolerance is meaningless there, so a
        # value reproduces the print when it rounds to it (|difference| <= half a unit of the last digit)
        v = within(rec.value, value, rec.half_unit, fmt="{:+.3f}")
    else:
        v = verdict(rec.value, value)
    return {
        "reported_id": rec.id,
        "locator": rec.locator,
        "quantity": rec.quantity,
        "medium": rec.medium,
        "group": rec.group,
        "metal": rec.metal,
        "site": rec.site,
        "stat": rec.stat,
        "reported": rec.value,
        "profile": profile,
        "reproduced": value,
        "ratio": value / rec.value if rec.value else np.nan,
        "verdict": v.text,
        "method": method,
        "explanation": "" if v.text == "reproduced" else EXPLANATIONS.get(rec.quantity, ""),
        "verdict_class": v.cls,
        "basis": "independent",
        "basis_detail": f"computed under profile {profile}",
    }


def fitted_ids(rep: Reported, residuals: Path | None) -> set[str]:
    """Ids of the printed numbers the site reconstruction fitted, and their printed duplicates.

    Read from the reconstruction's own target list (``data_derived/sites/residuals.csv``, column
    ``reported_ids`` of the fitted rows), never typed in.
    """
    if residuals is None or not Path(residuals).exists():
        return set()
    r = pd.read_csv(residuals, comment="#")
    ids = {i for s in r.loc[r.fitted.astype(bool), "reported_ids"].dropna() for i in str(s).split(";")}
    key = lambda x: (x.quantity, x.medium, x.group, x.metal, x.site, x.stat, x.cls, x.value)  # noqa: E731
    keys = {key(rep[i]) for i in ids if i in rep._by_id}
    return {x.id for x in rep.records if key(x) in keys}


def assign_basis(audit: pd.DataFrame, rep: Reported, residuals: Path | None, calibrated_profile: str) -> pd.DataFrame:
    """The ``basis`` of every risk row, from the reconstruction's and the calibration's target lists.

    * ``calibrated``: a soil HI/CR range endpoint (the calibration's targets,
      :func:`tarimhm.risk.calibrate.soil_endpoints`) under the calibrated profile;
    * ``fitted``: a number the site reconstruction fitted (Igeo extremes, named Igeo, W3 HPI, shares of
      sites over thresholds, and their printed duplicates);
    * ``follows_from_fit``: a mean over sites of a quantity linear in the concentrations (fitted means
      times calibrated factors), or an Igeo extreme over all metals (the extreme of fitted extremes);
    * ``independent``: everything else; on real site tables everything but the calibrated endpoints.
    """
    from .calibrate import soil_endpoints

    fitted = fitted_ids(rep, residuals)
    cal = set(soil_endpoints(rep).reported_id)
    a = audit.copy()
    real = a.get("data_status", pd.Series("", index=a.index)).eq("real")
    basis, detail = [], []
    for i, r in a.iterrows():
        q, st = r.quantity, r.stat
        if r.reported_id in cal and r.profile == calibrated_profile:
            b, d = "calibrated", "a target of the calibration of the exposure factors (soil HI/CR endpoints)"
        elif real[i]:
            b, d = "independent", "real site data"
        elif r.reported_id in fitted:
            b, d = "fitted", "a target of the site reconstruction (or a printed duplicate of one)"
        elif (q, st) in MEAN_OF_LINEAR:
            b, d = "follows_from_fit", "mean over sites of a linear function of the concentrations: fitted means"
        elif q == "igeo" and r.metal == "all":
            b, d = "follows_from_fit", "extreme over metals of the fitted per-metal Igeo extremes"
        else:
            b, d = "independent", f"computed under profile {r.profile}; not a target of the fit or the calibration"
        basis.append(b)
        detail.append(d)
    a["basis"], a["basis_detail"] = basis, detail
    a["verdict_class"] = [
        by_construction(Verdict(t, c), b).cls for t, c, b in zip(a.verdict, a.verdict_class, a.basis, strict=True)
    ]
    return a


def _agg(s: pd.Series, stat: str) -> float:
    return float(s.min() if stat == "min" else s.max() if stat == "max" else s.mean())


# Why a reported number may not be reproduced: quantity -> explanation (findings of the package,
# each backed by a computation in the audit or in data_derived/sites/consistency.csv).
EXPLANATIONS = {
    "hi": "soil HI: the paper's parameters are not all printed; paper_reproducing is the calibrated set "
    "(data_derived/risk/calibration.csv). Zn minima differ by ~3 % because the printed HI ratio and the "
    "printed Igeo range of Zn disagree by 3 % (check soil.hi_ratio_vs_igeo.Zn).",
    "cr": "soil CR as for HI; water CR: no standard slope factor reproduces the reported ranges (implied CSF in "
    "risk_water_checks.csv), Pb is treated as a water carcinogen only, and the water carcinogenic AT is ED x 365.",
    "tcr_share": "As share of TCR: with every profile As is > 80 % of soil TCR at every site; 58-64 % does not follow "
    "from the paper's own CR ranges (As CR max 4.2e-5 vs Cd 8.2e-6).",
    "hi_share": "Cd share of HI: the paper's own HI ranges cap the Cd share near 3 % (children) and 8 % (adults): "
    "Cd HI max 0.037 against As HI 0.35-1.09; 24-31 % / 12-18 % cannot hold.",
    "hi_change_ingr330": "HI is linear in IngR for the ingestion route: 330/200 mg/d raises ingestion HQ by 65 %; "
    "38-45 % needs a smaller ingestion share than the paper's own 'ingestion dominant'.",
    "risk_change_bioaccessible": "As dominates HI and TCR and the paper gives no As bioaccessibility; with Zn, Pb "
    "and Cd at 20-35 % bioaccessible the reduction is far below 52-78 %.",
    "share_sites_cr_gt_1e-4": "depends on the water slope factors, which the paper does not state.",
    "hpi": "HPI minimum: contradicts the As/Cd CR ratios and the As mean "
    "(check water.hpi_min_vs_ratios_and_as_mean); left out of the site fit.",
    "igeo": "Igeo is printed to two decimals; the reconstructed S1 As and Zn maximum lie within 0.006 of the "
    "printed values (S1's As value shares the fit with S1's ΣHMs, which needs the maxima of Pb, Cu, Zn).",
}


def audit_profile(
    rep: Reported, prof: Profile, soil: pd.DataFrame, water: pd.DataFrame, hpi_form: str = "normalised"
) -> pd.DataFrame:
    rows = []
    sl, wl = soil_risk(soil, prof), water_risk(water, prof)
    ss, ws = site_summary(sl), site_summary(wl)
    name = prof.name
    # soil HI / CR ranges per metal and group
    for q, loc, col in (("hi", "Sect. 3.4.2 (1) ¶1", "HI"), ("cr", "Sect. 3.4.2 (2) ¶1", "CR")):
        for r in rep.find(locator=loc, quantity=q, medium="soil"):
            v = _agg(ss.loc[ss.group == r.group, f"{col}_{r.metal}"], r.stat)
            rows.append(_row(r, name, v, f"{r.stat} over soil sites of the {col} of {r.metal} (all pathways)"))
    for r in rep.find(locator="Sect. 3.4.2 (1) ¶2", quantity="ncr"):
        v = float(ss.loc[ss.group == r.group, "HI"].mean() / len(METALS))
        rows.append(_row(r, name, v, "mean over sites and the five metals of per-metal HI"))
    for r in rep.find(locator="Sect. 3.4.2 (2) ¶2", quantity="cr", stat="mean"):
        sub = ss.loc[ss.group == r.group]
        v = float((sub["CR_As"].mean() + sub["CR_Cd"].mean()) / 2)
        rows.append(_row(r, name, v, "mean over sites and the two soil carcinogens (As, Cd) of per-metal CR"))
    for r in rep.find(quantity="share_sites_hi_gt_1", medium="soil"):
        v = float(100 * (ss.loc[ss.group == r.group, "HI"] > 1).mean())
        rows.append(_row(r, name, v, "% of soil sites with HI > 1", len(soil)))
    for r in rep.find(locator="Sect. 3.4.2 (2) ¶2", quantity="share_sites_cr_gt_1e-6"):
        v = float(100 * (ss.loc[ss.group == r.group, f"CR_{r.metal}"] > 1e-6).mean())
        rows.append(_row(r, name, v, f"% of soil sites with {r.metal} CR > 1e-6", len(soil)))
    # shares of the soil HI / TCR
    for r in rep.find(locator="Sect. 4.2 ¶2", quantity="tcr_share"):
        share = 100 * ss["CR_As"] / ss["TCR"]
        rows.append(
            _row(r, name, _agg(share, r.stat), f"{r.stat} over sites and groups of the As share of soil TCR (%)")
        )
    for r in rep.find(locator="Sect. 4.2 ¶2", quantity="hi_share"):
        sub = ss.loc[ss.group == r.group]
        share = 100 * sub[f"HI_{r.metal}"] / sub["HI"]
        rows.append(
            _row(r, name, _agg(share, r.stat), f"{r.stat} over sites of the {r.metal} share of {r.group} soil HI (%)")
        )
    # sensitivity statements (Sect. 4.2.1)
    base_hi = ss.set_index(["site_id", "group"])["HI"]
    base_tcr = ss.set_index(["site_id", "group"])["TCR"]

    def _with(update):
        d = prof.model_dump()
        update(d)
        return site_summary(soil_risk(soil, Profile.model_validate(d))).set_index(["site_id", "group"])

    ingr = rep.value(locator="Sect. 4.2.1", quantity="soil_ingestion_scenario")
    alt = _with(lambda d: d["groups"]["child"]["IngR"].update(value=ingr))
    chg = 100 * (alt["HI"] / base_hi - 1).xs("child", level="group")
    for r in rep.find(locator="Sect. 4.2.1", quantity="hi_change_ingr330"):
        rows.append(
            _row(r, name, _agg(chg, r.stat), f"{r.stat} over sites of the child HI change with IngR {ingr:g} mg/d (%)")
        )
    for r in rep.find(locator="Sect. 4.2.1", quantity="risk_change_bioaccessible"):
        lo = rep.value(locator="Sect. 4.2.1", quantity="bioaccessibility", stat="min") / 100
        hi = rep.value(locator="Sect. 4.2.1", quantity="bioaccessibility", stat="max") / 100
        vals = []
        for f in (lo, hi):
            alt = _with(lambda d, f=f: d["options"].update(bioaccessibility={m: f for m in ("Zn", "Pb", "Cd")}))
            vals += list(100 * (alt["HI"] / base_hi - 1)) + list(100 * (alt["TCR"] / base_tcr - 1))
        v = float(np.min(vals) if r.stat == "min" else np.max(vals))
        rows.append(
            _row(
                r,
                name,
                v,
                f"{r.stat} over sites, groups, HI and TCR of the change when Zn, Pb, Cd are "
                f"{100 * lo:.0f}-{100 * hi:.0f} % bioaccessible (%)",
            )
        )
    # water CR ranges and exceedances
    for r in rep.find(locator="Sect. 3.4.3 ¶1", quantity="cr", medium="water"):
        v = _agg(ws.loc[ws.group == r.group, f"CR_{r.metal}"], r.stat)
        rows.append(_row(r, name, v, f"{r.stat} over river sites of the {r.metal} CR (ingestion)"))
    for r in rep.find(locator="Sect. 3.4.3 ¶1", quantity="share_sites_cr_gt_1e-4"):
        v = float(100 * (ws.loc[ws.group == r.group, f"CR_{r.metal}"] > 1e-4).mean())
        rows.append(_row(r, name, v, f"% of river sites with {r.metal} CR > 1e-4", len(water)))
    # indices (profile-independent)
    ig = soil_indices(soil, backgrounds(rep), igeo_factor(rep))
    for r in rep.find(locator="Sect. 3.4.1 ¶2", quantity="igeo"):
        if r.site:
            v = float(ig.loc[ig.site_id == r.site, r.metal].iloc[0])
        elif r.metal == "all":
            v = _agg(ig[list(METALS)].stack(), r.stat)
        else:
            v = _agg(ig[r.metal], r.stat)
        rows.append(_row(r, name, v, "Igeo (Eq. 13) of the site table"))
    hp = water_indices(water, standards(rep), form=hpi_form)
    for r in rep.find(locator="Sect. 3.4.1 ¶3", quantity="hpi"):
        if r.site:
            col = "HPI_III" if r.cls == 3 else "HPI_V"
            v = float(hp.loc[hp.site_id == r.site, col].iloc[0])
        else:
            v = _agg(hp["HPI_III"], r.stat)
        rows.append(_row(r, name, v, f"HPI (Eq. 14, {hpi_form}, Ii = 0) of the site table"))
    return pd.DataFrame(rows)


def water_checks(rep: Reported, profiles: list[Profile], water: pd.DataFrame) -> pd.DataFrame:
    """Water CR findings: implied slope factors and the averaging time behind the child/adult ratio."""
    rows = []
    for prof in profiles:
        wl = water_risk(water, prof)
        ws = site_summary(wl)
        for m in WATER_CARCINOGENS:
            rc = rep.value(locator="Sect. 3.4.3 ¶1", quantity="cr", group="child", metal=m, stat="max")
            ra = rep.value(locator="Sect. 3.4.3 ¶1", quantity="cr", group="adult", metal=m, stat="max")
            pc = ws.loc[ws.group == "child", f"CR_{m}"].max()
            pa = ws.loc[ws.group == "adult", f"CR_{m}"].max()
            rows.append(
                {
                    "profile": prof.name,
                    "metal": m,
                    "check": "child/adult CR ratio",
                    "reported": rc / ra,
                    "reproduced": pc / pa if pa else np.nan,
                    "note": f"water carcinogenic AT mode: {prof.options.at_carcinogenic_water}",
                }
            )
            for g, rv in (("child", rc), ("adult", ra)):
                csf = prof.toxicity[m].CSFw.value if prof.toxicity[m].CSFw else np.nan
                repro = ws.loc[ws.group == g, f"CR_{m}"].max()
                implied = rv / repro * csf if repro else np.nan
                rows.append(
                    {
                        "profile": prof.name,
                        "metal": m,
                        "check": f"implied CSF ({g}, max CR)",
                        "reported": implied,
                        "reproduced": csf,
                        "note": "slope factor that would turn the reproduced max CR into the reported one",
                    }
                )
    return pd.DataFrame(rows)


# ---- Table 9: the exposure factors the paper prints beside those the profiles use --------------------
# Three questions per printed cell (parameter x child/adult x column):
# * paper_as_stated / usepa_default / china_xinjiang must carry the printed value (or, for the local
#   column's ranges, a value inside the range): a typing check of the profiles.
# * paper_reproducing is what the paper's own soil HI/CR ranges imply (calibration of stage 030,
#   printed numbers only). Where it differs from the "this study" column the paper's results were not
#   computed with the factors its Table 9 states: a finding, reported, never corrected.
# Built from parameter files and printed numbers only, so its data status is ``real``.

# Table 9 row -> (profile key, printed unit)
TABLE9_ROWS = {
    "body_weight": ("BW", "kg"),
    "water_ingestion_rate": ("IRw", "L/day"),
    "soil_ingestion_rate": ("IngR", "mg/day"),
    "exposure_duration": ("ED", "years"),
    "skin_adherence": ("AF", "mg/cm2"),
}
LABEL = {
    "body_weight": "Body weight",
    "water_ingestion_rate": "Water ingestion rate",
    "soil_ingestion_rate": "Soil ingestion rate",
    "exposure_duration": "Exposure duration",
    "skin_adherence": "Skin adherence factor",
}
# printed column (id prefix in reported.yaml) -> the profile that should carry it
TABLE9_COLUMNS = {"this_study": "paper_as_stated", "usepa_default": "usepa_default", "china_xinjiang": "china_xinjiang"}
CALIBRATED = "paper_reproducing"


def _value(prof: Profile, quantity: str, group: str) -> float | None:
    """The value a profile actually uses; None when the factor does not enter its equations."""
    key = TABLE9_ROWS[quantity][0]
    if key == "AF" and not prof.options.dermal_af:
        return None
    return float(getattr(prof.groups[group], key).value)


def _records(rep: Reported, column: str, quantity: str, group: str):
    return [
        r for r in rep.find(locator="Table 9", quantity=quantity, group=group) if r.id.startswith(f"tab9:{column}.")
    ]


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
    names = list(TABLE9_COLUMNS.values()) + [CALIBRATED]
    profs = profiles or {n: load_profile(n) for n in names}
    rows = []
    for q, (key, unit) in TABLE9_ROWS.items():
        for g in ("child", "adult"):
            row = {"parameter": LABEL[q], "key": key, "group": g, "unit": unit}
            checks = []
            for col, pname in TABLE9_COLUMNS.items():
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
                v = not_audited("not tested: the calibration uses the soil HI/CR only")
            elif implied is None:
                v = differs(
                    f"differs: the paper's soil HI/CR imply the dermal dose without {key} "
                    "(Eq. 7 as printed), though Table 9 lists it"
                )
            elif stated is not None and abs(implied - stated[0]) <= 1e-9 * max(1.0, abs(stated[0])):
                v = reproduced("consistent with the paper's soil HI/CR")
            else:
                text = (
                    f"differs by {100 * (implied / stated[0] - 1):+.0f} %: the paper's soil HI/CR imply "
                    f"{implied:g} {unit}, Table 9 states {stated[0]:g}"
                )
                if key == "BW":
                    text += (
                        " (a factor common to all 28 endpoints: it could equally be the exposure "
                        "frequency or the concentration level)"
                    )
                v = differs(text)
            row["verdict_this_study"] = v.text
            row["verdict_class"] = v.cls
            row["reported_id"] = ";".join(r.id for r in _records(rep, "this_study", q, g))
            rows.append(row)
    return pd.DataFrame(rows)


def exposure_audit(rep: Reported, t9: pd.DataFrame) -> pd.DataFrame:
    """Table 9 in the audit row schema: one row per printed "this study" value, the implied value beside it."""
    rows = []
    for r in t9.itertuples(index=False):
        for rid in str(r.reported_id).split(";"):
            if not rid:
                continue
            rows.append(
                {
                    "reported_id": rid,
                    "parameter": r.parameter,
                    "key": r.key,
                    "group": r.group,
                    "unit": r.unit,
                    "reported": rep[rid].value,
                    "reproduced": r.paper_reproducing,
                    "verdict": r.verdict_this_study,
                    "verdict_class": r.verdict_class,
                    "basis": "calibrated",
                    "data_status": "real",
                    "basis_detail": "the printed factor beside the one the paper's soil HI/CR imply (calibration)",
                }
            )
    return pd.DataFrame(rows)
