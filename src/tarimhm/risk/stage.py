"""Risk stages: calibration (030), deterministic risk per profile (031), audit and Table 9 rows (032)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import paths
from .._errors import ConfigError
from ..audit import write_audit
from ..config import Params, params_hash, section_hash
from ..provenance import atomic_write_text, committed, make_provenance, write_json, write_table
from ..reported import Reported, backgrounds, igeo_factor, standards
from ..schemas import calibration_schema, read_checked
from ..sitetable import data_status, load_sites, site_table_source
from .assess import site_summary, soil_indices, soil_risk, water_indices, water_risk
from .audit import CALIBRATED, TABLE9_COLUMNS, assign_basis, audit_profile, exposure_audit, table9, water_checks
from .calibrate import GRID_PATH, calibrate
from .profiles import Profile, is_shipped, list_profiles, load_profile

__all__ = ["RiskResult", "compute", "run_risk", "run_calibration", "run_audit", "diff_table"]


def _inputs(prof_path: Path) -> list[Path]:
    return [paths.REPORTED, prof_path, *(site_table_source(m) for m in ("soil", "water"))]


@dataclass(frozen=True)
class RiskResult:
    """Deterministic risk of the site tables under one profile."""

    soil: pd.DataFrame  # site table used (soil)
    water: pd.DataFrame  # site table used (water)
    long: pd.DataFrame  # HQ and CR per site x group x metal x pathway
    summary: pd.DataFrame  # per site and group: HI, TCR, per-metal HI and CR, exceedance flags
    igeo: pd.DataFrame  # Eq. 13 per soil site and metal
    hpi: pd.DataFrame  # Eq. 14 per river site
    data_status: str


def compute(prof: Profile, rep: Reported, hpi_form: str) -> RiskResult:
    soil, water = load_sites("soil"), load_sites("water")
    sl, wl = soil_risk(soil, prof), water_risk(water, prof)
    summary = pd.concat([site_summary(sl), site_summary(wl)], ignore_index=True)
    ig = soil_indices(soil, backgrounds(rep), igeo_factor(rep))
    hp = water_indices(water, standards(rep), form=hpi_form)
    return RiskResult(soil, water, pd.concat([sl, wl], ignore_index=True), summary, ig, hp, data_status(soil, water))


def shares(long: pd.DataFrame) -> pd.DataFrame:
    """Share (%) of each pathway and each metal in HI and TCR, per medium and group (all sites pooled)."""
    rows = []
    for (med, g), sub in long.groupby(["medium", "group"], sort=False):
        for by in ("pathway", "metal"):
            tot = sub.groupby(by, sort=False)[["HQ", "CR"]].sum()
            for k, r in tot.iterrows():
                rows.append(
                    {
                        "medium": med,
                        "group": g,
                        "by": by,
                        "key": k,
                        "HI_share_pct": 100 * r.HQ / tot.HQ.sum() if tot.HQ.sum() else 0.0,
                        "TCR_share_pct": 100 * r.CR / tot.CR.sum() if tot.CR.sum() else 0.0,
                    }
                )
    return pd.DataFrame(rows)


def exceedances(summary: pd.DataFrame) -> pd.DataFrame:
    g = summary.groupby(["medium", "group"], sort=False)
    return pd.DataFrame(
        {
            "n_sites": g.size(),
            "HI_gt_1": g["HI_gt_1"].sum(),
            "TCR_gt_1e-4": g["TCR_gt_1e-4"].sum(),
            "TCR_gt_1e-6": g["TCR_gt_1e-6"].sum(),
        }
    ).reset_index()


@committed("risk")
def run_risk(params: Params, rep: Reported, profile: str | Path, script: Path) -> Path:
    prof_path = Path(profile) if Path(profile).suffix else paths.PROFILES / f"{profile}.yaml"
    prof = load_profile(prof_path)
    if is_shipped(prof_path):
        out = paths.risk_dir(prof.name)
    elif prof.name in list_profiles():  # a user profile never overwrites (or stands in for) a shipped one
        raise ConfigError(
            f"{prof_path}: name: {prof.name!r} is a shipped profile; give your profile a name of its own "
            f"(not one of {', '.join(list_profiles())})"
        )
    else:  # user profiles, anywhere on disk, write below data_derived/risk/user/
        out = paths.risk_dir("user") / prof.name
    res = compute(prof, rep, params.risk.hpi_form)
    long, summary, ig, hp, status = res.long, res.summary, res.igeo, res.hpi, res.data_status
    prov = make_provenance(
        script,
        section_hash(params, "risk.hpi_form") + ":" + prof.hash()[:16],
        _inputs(prof_path),
        status,
        note=f"profile {prof.name}",
    )
    write_table(long, out / "risk_long.csv", prov, float_format="%.6g")
    write_table(summary, out / "site_summary.csv", prov, float_format="%.6g")
    write_table(shares(long), out / "shares.csv", prov, float_format="%.4f")
    write_table(exceedances(summary), out / "exceedances.csv", prov)
    write_table(ig, out / "igeo.csv", prov, float_format="%.4f")
    write_table(hp, out / "hpi.csv", prov, float_format="%.4f")
    write_json({"profile": prof.model_dump(mode="json"), "data_status": status}, out / "profile.json", prov)
    return out


@committed("risk")
def run_calibration(params: Params, rep: Reported, script: Path) -> pd.DataFrame:
    df = calibrate(rep)
    prov = make_provenance(
        script,
        params_hash({}),
        [paths.REPORTED, GRID_PATH, *sorted(paths.PROFILES.glob("*.yaml"))],
        "real",
        note="computed from reported numbers only (Igeo extremes and HI/CR ranges)",
    )
    write_table(df, paths.calibration(), prov, float_format="%.6g")
    return df


def diff_table(a: pd.DataFrame, b: pd.DataFrame, name_a: str, name_b: str) -> pd.DataFrame:
    """HI and TCR per site and group under two profiles, with the ratio b/a."""
    k = ["medium", "site_id", "group"]
    m = a[k + ["HI", "TCR"]].merge(b[k + ["HI", "TCR"]], on=k, suffixes=(f"_{name_a}", f"_{name_b}"))
    m["HI_ratio"] = m[f"HI_{name_b}"] / m[f"HI_{name_a}"]
    m["TCR_ratio"] = m[f"TCR_{name_b}"] / m[f"TCR_{name_a}"].where(m[f"TCR_{name_a}"] > 0)
    return m


@committed("risk")
def run_audit(params: Params, rep: Reported, script: Path) -> pd.DataFrame:
    soil, water = load_sites("soil"), load_sites("water")
    profs = [load_profile(n) for n in list_profiles()]
    status = data_status(soil, water)
    audit = pd.concat(
        [audit_profile(rep, p, soil, water, params.risk.hpi_form) for p in profs], ignore_index=True
    ).assign(data_status=status)
    audit = assign_basis(audit, rep, paths.sites_dir() / "residuals.csv", CALIBRATED)
    wc = water_checks(rep, profs, water)
    prov = make_provenance(
        script,
        section_hash(params, "risk.hpi_form"),
        _inputs(paths.PROFILES / "paper_as_stated.yaml") + sorted(paths.PROFILES.glob("*.yaml")),
        status,
    )
    write_audit(audit, paths.audit_file("risk.csv"), prov)
    write_table(wc, paths.audit_file("risk_water_checks.csv"), prov, float_format="%.6g")
    cal = read_checked(paths.calibration(), calibration_schema(), "calibration")
    atomic_write_text(paths.audit_file("risk.md"), _markdown(audit, wc, cal, status, prov))
    # Table 9 rows: printed exposure factors beside the profiles and the calibrated factors
    t9_files = [paths.PROFILES / f"{n}.yaml" for n in [*TABLE9_COLUMNS.values(), CALIBRATED]]
    t9_prov = make_provenance(
        script,
        params_hash({}),
        [*t9_files, paths.REPORTED],
        "real",
        note="Table 9: printed exposure factors beside the profiles and what the results imply",
    )
    t9 = table9(rep)
    write_table(t9, paths.risk_dir() / "table9.csv", t9_prov, float_format="%.6g")
    write_audit(exposure_audit(rep, t9), paths.audit_file("exposure.csv"), t9_prov)
    return audit


def _fmt(x) -> str:
    return f"{x:.3g}" if isinstance(x, float) else str(x)


def _markdown(audit: pd.DataFrame, wc: pd.DataFrame, cal: pd.DataFrame, status: str, prov) -> str:
    wide = audit.pivot_table(
        index=["reported_id", "reported"], columns="profile", values="reproduced", sort=False
    ).reset_index()
    main = audit[audit.profile == "paper_reproducing"].set_index("reported_id")
    lines = [
        "# Risk audit: the paper's risk and index numbers beside their reproduction",
        "",
        f"Data status of the site tables: **{status}**. Generated by `{prov.script}` at commit "
        f"`{prov.git_commit[:10]}`; do not edit.",
        "",
        "## Calibration (soil HI and CR ranges, Sect. 3.4.2)",
        "",
        "Best five combinations of `analysis/calibration_grid.yaml` at the concentrations implied by "
        "the reported Igeo extremes (RMS of the log error of 28 endpoints; `scale` = common factor):",
        "",
    ]
    cols = [c for c in cal.columns if c not in ("rank",)]
    lines.append("| rank | " + " | ".join(cols) + " |")
    lines.append("|" + "---|" * (len(cols) + 1))
    for r in cal.head(5).itertuples(index=False):
        lines.append("| " + " | ".join(_fmt(v) for v in r) + " |")
    counts = audit.groupby("profile")["verdict"].apply(lambda v: (v == "reproduced").sum())
    lines += [
        "",
        "## Reproduced numbers per profile (verdict 'reproduced' within 1 %)",
        "",
        "| profile | reproduced | of |",
        "|---|---|---|",
    ]
    for p, n in counts.items():
        lines.append(f"| {p} | {n} | {int((audit.profile == p).sum())} |")
    profs = [c for c in wide.columns if c not in ("reported_id", "reported")]
    lines += [
        "",
        "## Every number",
        "",
        "| reported id | reported | " + " | ".join(profs) + " | verdict (paper_reproducing) |",
        "|" + "---|" * (len(profs) + 3),
    ]
    for r in wide.itertuples(index=False):
        rid = r[0]
        vals = " | ".join(_fmt(v) for v in r[2:])
        lines.append(f"| `{rid}` | {_fmt(r[1])} | {vals} | {main.loc[rid, 'verdict'] if rid in main.index else ''} |")
    lines += ["", "## Why numbers differ (paper_reproducing)", ""]
    expl = main[main.verdict != "reproduced"].groupby("explanation", sort=False)
    for text, sub in expl:
        if text:
            lines.append(f"* **{', '.join(sorted(set(sub.quantity)))}** ({len(sub)} numbers): {text}")
    lines += [
        "",
        "## Water CR checks",
        "",
        "| profile | metal | check | reported/implied | reproduced/used | note |",
        "|---|---|---|---|---|---|",
    ]
    for r in wc.itertuples(index=False):
        lines.append(f"| {r.profile} | {r.metal} | {r.check} | {_fmt(r.reported)} | {_fmt(r.reproduced)} | {r.note} |")
    return "\n".join(lines) + "\n"
