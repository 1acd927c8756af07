"""The reproduction report: every element and every printed number of the paper with its verdict.

Reads the audits the stages wrote (``paper/audit/*.csv``), the catalogue of printed numbers
(``paper/reported.yaml``) and the element registry (``paper/elements.yaml``), and writes

* ``paper/audit/numbers.csv``: one row per printed number (all of them, audited or not), with the
  reproduced value, the verdict, its class and the audit it comes from;
* ``paper/REPORT.md``: per table and figure the output, the rebuild target and a verdict; per
  locator the counts; the numbers nothing audits and why.

Verdict classes (``CLASSES``) keep apart what a reviewer must not confuse: a number reproduced
independently, one reproduced because the reconstruction was fitted to it, agreement on surrogate
data that is coincidence, a difference, and what cannot be reproduced from what was published.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import paths
from ._errors import ConfigError, format_pydantic
from .audit import CLASSES, check_audit
from .config import Params, load_yaml, section_hash
from .provenance import atomic_write_text, combine_status, make_provenance, read_table, write_table
from .reported import Reported
from .viz.tables import md_table

__all__ = ["Element", "load_elements", "collect_numbers", "element_rows", "render_report", "AUDITS"]

ELEMENTS = paths.ELEMENTS
# audits written by the stages, in the order a number's first audit is chosen: file -> what it audits.
# Every file has the row schema of tarimhm.audit; rows of an audit made under several profiles (a
# ``profile`` column) count under the reference profile.
AUDITS = {
    "statistics.csv": "statistics (stage 020)",
    "risk.csv": "risk (stage 032)",
    "rf.csv": "RF accuracy (Table 4; stage 060)",
    "maps_soil.csv": "soil maps (Table 5; stage 070)",
    "maps_water.csv": "water maps (Table 6; stage 070)",
    "exposure.csv": "exposure factors (Table 9; stage 032)",
    "sensitivity.csv": "sensitivity claims (Sect. 4.2.1; stage 040)",
    "geography.csv": "study-area numbers (Sect. 2.1; stage 010)",
}
# printed numbers no computation can check, by locator prefix
NOT_COMPUTABLE = {
    "Table 10": "policy target or cost estimate; no method or data given",
    "Sect. 4.3": "policy target or cost estimate; no method or data given",
}
SETTINGS = ("Sect. 2.3.1", "Sect. 2.3.2", "Sect. 2.3.3")
SETTING_WHY = (
    "a method setting or threshold, not a result; analysis/params.yaml and the README say where the "
    "package follows it and where it cannot (e.g. 10-fold CV on 6-7 sites)"
)
INPUTS = {
    "Table 1": "background / standard used as printed (input of Igeo, HPI, exceedance shares)",
    "Table 9": "exposure factor carried by a profile (see Table 9 and paper/audit/exposure.csv)",
}


EXTRAS = [
    (
        "paper/audit/rf_validation.md",
        "could the printed R² arise by chance: nested LOSO, permutation nulls with split selection, NNDM",
    ),
    ("figures/figV1_validation_nulls.pdf", "no-signal R² of the paper's protocol beside the printed R² (Fig. V1)"),
    ("data_derived/rf/aoa.csv", "area of applicability of each model (dissimilarity index, threshold)"),
    ("data_derived/maps/soil_maps.tif", "60 m basin rasters: mean, ensemble spread, interval bounds (COG)"),
    ("figures/fig6unc_soil_uncertainty.pdf", "spread and area-of-applicability companions of Figs 6-7"),
    ("data_derived/sites/consistency.csv", "checks of whether the printed numbers can hold together"),
    (
        "data_derived/sites/ensemble_soil.nc",
        "200 site tables per medium consistent with every printed number (member 0 = the table used)",
    ),
    ("data_derived/sites/identifiability.csv", "how much of each site table the printed numbers pin down"),
    ("data_derived/ensemble/holds.csv", "in how many ensemble members each site-level verdict holds"),
    ("data_derived/sites/checker_validation.csv", "sensitivity and specificity of the consistency checks"),
    ("paper/tables/tab9_exposure.csv", "Table 9 beside the exposure factors the paper's own results imply"),
    ("data_derived/uncertainty/mc_summary.csv", "Monte Carlo HI/TCR per site: percentiles, P(HI > 1), P(TCR > 1e-4)"),
    (
        "data_derived/uncertainty/bayes_posterior.csv",
        "Bayesian calibration (PyMC) of the exposure factors to the printed soil HI/CR",
    ),
    ("figures/figU1_risk_montecarlo.pdf", "probabilistic HI/TCR per site (Figs U1-U3)"),
    (
        "data_derived/uncertainty/twod/summary.csv",
        "2-D Monte Carlo (RAGS III): child/adult RME with 90 % uncertainty intervals, population shares above "
        "HI 1 and TCR 1e-4 / 1e-6, MCSE, U/V ratio (stage 042)",
    ),
    ("data_derived/uncertainty/twod/sobol.csv", "Sobol first-order and total indices of HI and TCR per site (SALib)"),
    (
        "data_derived/uncertainty/bayes_identification.csv",
        "what the printed endpoints identify (IngR/BW, ED/BW) and what only the priors set (BW alone)",
    ),
    (
        "figures/figU4_twod_cdf.pdf",
        "2-D Monte Carlo (variability x uncertainty): CDFs per site, Sobol indices, prior vs posterior (Figs U4-U6)",
    ),
]


class Element(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    element: str = Field(pattern=r"^(Table \d+|Fig\. \d+|Tables S\d+-S\d+)$")
    caption: str = Field(min_length=3)
    role: Literal["result", "input", "schematic", "text"]
    locators: list[str] = []
    outputs: list[str] = []
    make: str | None = None
    why: str | None = None


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    elements: list[Element]


def load_elements(path: Path | str = ELEMENTS, rep: Reported | None = None) -> list[Element]:
    """The element registry, validated; every locator must exist in the catalogue of printed numbers."""
    path = Path(path)
    try:
        els = _File.model_validate(load_yaml(path)).elements
    except ValidationError as e:
        raise ConfigError(format_pydantic(path, e)) from None
    if rep is not None:
        known = set(rep.counts_by_locator())
        for e in els:
            bad = [loc for loc in e.locators if loc not in known]
            if bad:
                raise ConfigError(
                    f"{path}: {e.element}: locator(s) {bad} are not in {rep.path.name}; "
                    "use a locator exactly as reported.yaml spells it"
                )
    return els


def _audit_rows(reference_profile: str) -> tuple[pd.DataFrame, list[Path], list[str]]:
    frames, used, statuses = [], [], []
    cols = ["reported_id", "reproduced", "verdict", "verdict_class", "basis", "basis_detail", "profile"]
    for name in AUDITS:
        f = paths.audit_file(name)
        if not f.exists():
            continue
        a = check_audit(pd.read_csv(f, comment="#"), str(f))
        used.append(f)
        statuses += [s for s in a.data_status.dropna().unique()]
        if "profile" in a.columns:
            a = a[a.profile == reference_profile]
        else:
            a = a.assign(profile="")
        if "basis_detail" not in a.columns:
            a = a.assign(basis_detail="")
        a = a[a.reported_id.notna()]
        frames.append(a[cols].assign(audit=f"paper/audit/{name}"))
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*cols, "audit"])
    return rows, used, statuses


def collect_numbers(rep: Reported, reference_profile: str) -> tuple[pd.DataFrame, list[Path], list[str]]:
    """Every printed number beside its reproduction (first audit that checks it) and a verdict class."""
    cat = rep.frame()[["id", "locator", "quantity", "medium", "group", "metal", "site", "stat", "value", "unit"]]
    cat = cat.rename(columns={"id": "reported_id", "value": "reported"})
    rows, used, statuses = _audit_rows(reference_profile)
    n_audits = rows.groupby("reported_id").size().rename("n_audits")
    first = rows.drop_duplicates("reported_id", keep="first")
    out = cat.merge(first, on="reported_id", how="left").merge(n_audits, on="reported_id", how="left")
    out["n_audits"] = out.n_audits.fillna(0).astype(int)
    out["class"] = out.pop("verdict_class").fillna("not audited")
    for prefix, why in {**NOT_COMPUTABLE, **INPUTS}.items():
        hit = (out["class"] == "not audited") & out.locator.str.startswith(prefix)
        out.loc[hit, "class"] = "not computable" if prefix in NOT_COMPUTABLE else "input"
        out.loc[hit, "verdict"] = out.loc[hit, "verdict"].fillna(why)
    hit = (out["class"] == "not audited") & out.quantity.str.startswith("literature_")
    out.loc[hit, "class"], out.loc[hit, "verdict"] = "not computable", "a number of the cited literature"
    hit = (out["class"] == "not audited") & out.locator.str.startswith(SETTINGS)
    out.loc[hit, "class"], out.loc[hit, "verdict"] = "method setting", SETTING_WHY
    # a number printed twice (abstract, text and table) takes the verdict of its audited twin
    key = ["quantity", "medium", "group", "metal", "site", "stat", "reported"]
    done = out[out.audit.notna()].drop_duplicates(key).set_index(key)
    for i in out.index[out["class"] == "not audited"]:
        k = tuple(out.loc[i, key])
        if k in done.index:
            twin = done.loc[k]
            out.loc[i, ["reproduced", "verdict", "class", "audit"]] = [
                twin.reproduced,
                twin.verdict,
                twin["class"],
                twin.audit,
            ]
            out.loc[i, "basis"] = twin.basis
            out.loc[i, "basis_detail"] = f"same printed number as {twin.reported_id}"
    # a number the package uses, or cannot compute, has no reproduction to weigh
    out.loc[out["class"] == "input", "basis"] = "input"
    out.loc[out["class"] == "method setting", "basis"] = "method setting"
    out["basis"] = out["basis"].fillna("")
    out = _with_holds(out, reference_profile)
    return out, used, statuses


def _with_holds(out: pd.DataFrame, reference_profile: str) -> pd.DataFrame:
    """holds_k / n_members / invariance of every audited number (data_derived/ensemble/holds.csv).

    Site-level audits carry the ensemble's counts; the RF, map and sensitivity audits use member 0
    only (n_members = 1). Numbers nothing audits have none.
    """
    f = paths.derived("ensemble") / "holds.csv"
    out = out.copy()
    audited = out.audit.notna() & ~out["class"].isin(["not audited", "input", "method setting", "not computable"])
    out["holds_k"] = pd.array([1 if a else pd.NA for a in audited], dtype="Int64")
    out["n_members"] = pd.array([1 if a else pd.NA for a in audited], dtype="Int64")
    out["invariance"] = ["member 0 only" if a else "" for a in audited]
    if not f.exists():
        return out
    h = pd.read_csv(f, comment="#", keep_default_na=False, na_values=[""])
    h["profile"] = h["profile"].fillna("")
    h = h[h.profile.isin(["", reference_profile])].drop_duplicates(["audit", "reported_id"])
    h = h.set_index(["audit", "reported_id"])
    for i in out.index[audited]:
        k = (out.at[i, "audit"], out.at[i, "reported_id"])
        twin = str(out.at[i, "basis_detail"]) if pd.notna(out.at[i, "basis_detail"]) else ""
        if k not in h.index and twin.startswith("same printed number as "):
            k = (k[0], twin.removeprefix("same printed number as "))
        if k in h.index:
            out.at[i, "holds_k"] = int(h.at[k, "holds_k"])
            out.at[i, "n_members"] = int(h.at[k, "n_members"])
            out.at[i, "invariance"] = h.at[k, "invariance"]
    return out


HEADLINE_BASES = ("independent", "fitted", "calibrated", "follows_from_fit", "coincidence")


def _basis_table(numbers: pd.DataFrame) -> list[str]:
    """Audited numbers by basis (rows) and verdict class (columns)."""
    sub = numbers[numbers.basis.isin(HEADLINE_BASES)]
    classes = [c for c in CLASSES if c in set(sub["class"])]
    rows = []
    for b in HEADLINE_BASES:
        s = sub[sub.basis == b]
        rows.append([f"**{b}**", len(s), *[int((s["class"] == c).sum()) or "" for c in classes]])
    return md_table(["basis", "numbers", *classes], rows)


def _ensemble_lines(numbers: pd.DataFrame) -> list[str]:
    """The reconstruction ensemble: members, identifiability, and which verdicts hold in every member."""
    ident = paths.sites_dir() / "identifiability.csv"
    holds = numbers[numbers.n_members.fillna(0).astype(int) > 1]
    if holds.empty and not ident.exists():
        return []
    lines = ["### How much the verdicts depend on the reconstruction", ""]
    if ident.exists():
        d = pd.read_csv(ident, comment="#")
        lines += [
            "The site tables are one of many that meet the printed numbers within their rounding "
            "(`data_derived/sites/ensemble_*.nc`, method in `tarimhm.sites.ensemble`). The printed statistics "
            "pin only part of each table:",
            "",
            *md_table(
                ["medium", "cells", "interval constraints", "Jacobian rank", "free directions", "widened intervals"],
                [
                    [r.medium, r.cells, r.interval_constraints, r.jacobian_rank, r.null_space_dimension]
                    + [r.widened_intervals]
                    for r in d.itertuples()
                ],
            ),
            "",
        ]
    if not holds.empty:
        n = int(holds.n_members.max())
        inv = holds[holds.invariance == "invariant given the printed statistics"]
        dep = holds[holds.invariance != "invariant given the printed statistics"]
        lines += [
            f"Every site-level audit was recomputed on each of the {n} members (`data_derived/ensemble/holds.csv`; "
            "the RF and the maps use member 0, the medoid). Of the audited numbers that depend on the site "
            f"tables, **{len(inv)} keep their verdict in every member** (invariant given the printed statistics) "
            f"and **{len(dep)} depend on unprinted detail**:",
            "",
            *md_table(
                ["basis", "invariant", "depends on unprinted detail"],
                [
                    [b, int((inv.basis == b).sum()), int((dep.basis == b).sum())]
                    for b in HEADLINE_BASES
                    if ((holds.basis == b).any())
                ],
            ),
            "",
        ]
    checker = paths.sites_dir() / "checker_validation.csv"
    if checker.exists():
        c = pd.read_csv(checker, comment="#")
        c = c[c.typo_kind == "all"] if "typo_kind" in c.columns else c

        def ci(v, lo, hi):
            return "" if pd.isna(v) else f"{v:.2f} [{lo:.2f}, {hi:.2f}]"

        table = [
            [r.family, r.mutants, r.flagged, ci(r.sensitivity, r.sensitivity_ci_low, r.sensitivity_ci_high)]
            + [r.masked, _fmt_cell(r.clean), _fmt_cell(r.false_alarms)]
            + [ci(r.specificity, r.specificity_ci_low, r.specificity_ci_high)]
            for r in c.itertuples(index=False)
        ]
        lines += [
            "### How well the consistency checks find typos",
            "",
            "Mutants of `paper/reported.yaml` (one printed number changed by a realistic typo) and "
            "rounding-only perturbations, run through `tarimhm.sites.consistency` "
            "(`data_derived/sites/checker_validation.csv`, `make checker-validation`):",
            "",
            *md_table(
                [
                    "check family",
                    "mutants",
                    "flagged",
                    "sensitivity [95 % CI]",
                    "masked",
                    "clean",
                    "false alarms",
                    "specificity [95 % CI]",
                ],
                table,
            ),
            "",
            "*Masked*: mutants whose number enters only checks the paper already fails. Clopper-Pearson intervals.",
            "",
        ]
    return lines


def _twod_lines() -> list[str]:
    """Probabilistic risk to RAGS III (stage 042): per site the child RME with its uncertainty, the As scenarios."""
    out = paths.uncertainty_dir() / "twod"
    f = out / "summary.csv"
    if not f.exists():
        return []
    s = read_table(
        f,
        "risk-twod",
        (
            "medium",
            "group",
            "site_id",
            "HI_deterministic",
            "HI_P95",
            "HI_P95_lo90",
            "HI_P95_hi90",
            "P_HI_frac_gt_1_gt_0.05",
            "P_HI_frac_gt_1_gt_0.05_mcse",
            "TCR_P95",
            "TCR_P95_lo90",
            "TCR_P95_hi90",
            "HI_P95_rel_mcse_inner",
        ),
    )
    run = json.loads((out / "run.json").read_text())
    conv = read_table(
        out / "convergence.csv", "risk-twod", ("quantity", "r_hat", "ess_bulk", "ess_tail", "divergences")
    )
    tails = read_table(out / "tail_stability.csv", "risk-twod", ("stable", "rel_sd_over_seeds"))
    scen = read_table(
        out / "toxicity_scenarios.csv",
        "risk-twod",
        ("choice", "scenario", "medium", "output", "group", "site_id", "P95_median"),
    )
    sob = read_table(out / "sobol.csv", "risk-twod", ("medium", "group", "output", "input", "ST", "S1"))

    def g(x):
        return f"{x:.3g}"

    child = s[s.group == "child"]
    pk = "P_HI_frac_gt_1_gt_0.05"
    rows = [
        [
            r["medium"],
            r["site_id"],
            g(r["HI_deterministic"]),
            f"{g(r['HI_P95'])} [{g(r['HI_P95_lo90'])}, {g(r['HI_P95_hi90'])}]",
            f"{r[pk]:.2f} ± {r[pk + '_mcse']:.2f}",
            f"{g(r['TCR_P95'])} [{g(r['TCR_P95_lo90'])}, {g(r['TCR_P95_hi90'])}]",
        ]
        for _, r in child.iterrows()
    ]
    tcr = scen[(scen.output == "TCR") & (scen.group == "child")]
    lines_s = []
    for (_choice, name), sub in tcr.groupby(["choice", "scenario"], sort=False):
        n_above = int((sub.P95_median > 1e-4).sum())
        lines_s.append(f"{name}: median child RME TCR above 1e-4 at {n_above} of {len(sub)} sites")
    top = []
    for med in ("soil", "water"):
        d = sob[(sob.medium == med) & (sob.group == "child") & (sob.output == "HI")]
        if len(d):
            st = d.groupby("input").ST.median().sort_values(ascending=False)
            top.append(f"{med}: " + ", ".join(f"{k} {v:.2f}" for k, v in st.head(4).items()))
    ev = (
        "no survey evidence in the spec, so the posterior equals the prior"
        if not run["evidence"]
        else (f"survey evidence for {', '.join(run['evidence'])}")
    )
    return [
        "### Probabilistic risk: a two-dimensional Monte Carlo (US EPA RAGS III)",
        "",
        f"Stage 042 (`make risk-twod`, spec `{run['spec']}`, base profile `{run['base_profile']}`, data status "
        f"{run['data_status']}): the PyMC posterior of bioaccessibility (all five metals) and of the exposure "
        f"distributions' parameters ({ev}) forms {run['n_outer']} outer draws; each draws {run['n_inner']} persons "
        f"(relative MCSE of P95 <= {child.HI_P95_rel_mcse_inner.max():.3f}); concentrations: "
        f"{run['concentrations']['soil']} ({run['members']['soil']} members). Convergence gate passed: "
        f"{conv.quantity.size} quantities, R-hat <= {conv.r_hat.max():.3f}, ESS >= {min(conv.ess_bulk.min(), conv.ess_tail.min()):.0f}, "
        f"{int(conv.divergences.max()) if len(conv) else 0} divergences; tail stability over 4 inner seeds: "
        f"{int(tails.stable.sum())} of {len(tails)} P95 stable (relative sd across seeds <= 2 %).",
        "",
        "Child RME (P95 of the variability distribution; median and 90 % uncertainty interval over the outer "
        "draws) and the probability that more than 5 % of children exceed HI = 1:",
        "",
        *md_table(
            ["medium", "site", "HI (deterministic)", "HI P95 [90 %]", "P(> 5 % of children HI > 1)", "TCR P95 [90 %]"],
            rows,
        ),
        "",
        "Arsenic toxicity scenario (IRIS 1991/1995 vs IRIS 2025, whose oral slope factor 32 per mg/kg-day is "
        "secondary here): " + "; ".join(lines_s) + ".",
        "",
        "Sobol total indices of child HI (median over sites; Sobol assumes independent inputs, see "
        "`sobol.csv` `valid`): " + "; ".join(top) + ".",
        "",
    ]


def _validation_lines() -> list[str]:
    """The reviewer's question about Table 4, from paper/audit/rf_validation.csv (stage 061)."""
    f = paths.audit_file("rf_validation.csv")
    if not f.exists():
        return []
    cols = ("medium", "metal", "printed_R2", "p_b", "p_c", "p_c_adj", "LOSO_R2_nested", "nested_ci_lo")
    cols += ("nested_ci_hi", "LOSO_R2_nonnested", "p_a_adj", "beats_chance", "ridge_LOSO_R2", "NNDM_geographic_R2")
    v = read_table(f, "rf-validation", cols + ("n_permutations", "n_split_permutations", "ci_level", "data_status"))

    def r2(x):
        return "undefined" if pd.isna(x) else f"{x:.3g}"

    def ci(x, lo, hi):
        return f"{r2(x)} [{r2(lo)}, {r2(hi)}]"

    rows = [
        [f"{r.medium} {r.metal}", r2(r.printed_R2), r2(r.p_b), r2(r.p_c), r2(r.p_c_adj)]
        + [ci(r.LOSO_R2_nested, r.nested_ci_lo, r.nested_ci_hi), r2(r.LOSO_R2_nonnested), r2(r.p_a_adj)]
        + ["yes" if r.beats_chance else "no", r2(r.ridge_LOSO_R2), r2(r.NNDM_geographic_R2)]
        for r in v.itertuples(index=False)
    ]
    n_b = int(v.n_permutations.iloc[0])
    n_c = int(v.n_split_permutations.iloc[0])
    beats = int(v.beats_chance.sum())
    chance = int((v.p_c_adj >= 0.05).sum())  # NaN (no printed R²) counts in neither
    return [
        "### Could the printed validation R² arise by chance?",
        "",
        f"Stage 061 re-runs the paper's whole protocol (Min-Max, leave-one-out grid search, refit) in every fold "
        f"and every permutation ({n_b} permutations; {n_c} for the split-selection null; `paper/audit/rf_validation.md`). "
        f"**{chance} of the {len(v)} printed R²** are consistent with chance (adjusted p >= 0.05) once the "
        "choice among all 7/3 (6/3) splits is part of the null (p (c)); on the printed split alone (p (b)) "
        "chance reaches them less often. "
        f"With our data, **{beats} of {len(v)} models beat chance** (Westfall-Young adjusted p of the nested "
        f"LOSO R² < 0.05 and R² > 0). Data status: {v.data_status.iloc[0]} - with surrogate spectra the "
        "nested LOSO R² says nothing about the paper's models; the nulls (b) and (c) say how often a no-signal "
        "protocol on data like these reaches the printed numbers.",
        "",
        *md_table(
            [
                "model",
                "printed R²",
                "p (b) printed split",
                "p (c) best split",
                "p (c) adjusted",
                f"nested LOSO R² [{100 * v.ci_level.iloc[0]:.0f} % bootstrap range]",
                "non-nested",
                "p (a) adjusted",
                "beats chance",
                "ridge",
                "NNDM (geographic)",
            ],
            rows,
        ),
        "",
    ]


def _fmt_cell(v) -> str:
    if isinstance(v, float):
        return "" if pd.isna(v) else (f"{v:.0f}" if v.is_integer() else f"{v:.3g}")
    return str(v)


def _counts(sub: pd.DataFrame) -> dict[str, int]:
    vc = sub["class"].value_counts()
    return {c: int(vc.get(c, 0)) for c in CLASSES}


def _element_verdict(e: Element, sub: pd.DataFrame, have: bool) -> str:
    if e.role in ("schematic", "text"):
        return f"cannot be reproduced: {e.why}" if e.role == "schematic" else f"nothing to compute: {e.why}"
    if e.outputs and not have:
        return f"not built yet (`make {e.make}`)"
    c = _counts(sub)
    audited = {
        k: v for k, v in c.items() if v and k not in ("not audited", "input", "method setting", "not computable")
    }
    if e.role == "input":
        extra = f"; {c['differs']} printed value(s) contradicted by the paper's own results" if c["differs"] else ""
        return f"used as printed{extra}"
    if not audited:
        return "rebuilt; no printed number to compare" + (f" ({e.why})" if e.why else "")
    parts = [f"{v} {k}" for k, v in audited.items()]
    if set(audited) <= {"cannot be reproduced", "agrees by coincidence"}:
        return f"cannot be reproduced from what was published ({', '.join(parts)})"
    if len(audited) == 1:
        return f"{next(iter(audited))} ({sum(audited.values())} numbers)"
    return "mixed: " + ", ".join(parts)


def element_rows(elements: list[Element], numbers: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for e in elements:
        sub = numbers[numbers.locator.isin(e.locators)]
        have = all(paths.output(o).exists() for o in e.outputs)
        rows.append(
            {
                "element": e.element,
                "caption": e.caption,
                "role": e.role,
                "outputs": ";".join(e.outputs),
                "built": have if e.outputs else None,
                "make": f"make {e.make}" if e.make else "",
                "printed_numbers": len(sub),
                **_counts(sub),
                "verdict": _element_verdict(e, sub, have),
            }
        )
    return pd.DataFrame(rows)


def render_report(params: Params, rep: Reported, script: Path) -> list[Path]:
    """Write paper/audit/numbers.csv, paper/audit/elements.csv and paper/REPORT.md."""
    elements = load_elements(rep=rep)
    numbers, used, statuses = collect_numbers(rep, params.risk.reference_profile)
    site_status = [
        pd.read_csv(paths.site_table(m), comment="#").data_status.iloc[0]
        for m in ("soil", "water")
        if paths.site_table(m).exists()
    ]
    status = combine_status(*(site_status + statuses)) if site_status + statuses else "real"
    prov = make_provenance(
        script,
        section_hash(params, "risk"),
        [*used, paths.REPORTED, ELEMENTS],
        status,
        note="reproduction report: every printed number and element with its verdict",
    )
    els = element_rows(elements, numbers)
    f_num = write_table(numbers, paths.audit_file("numbers.csv"), prov, float_format="%.6g")
    f_el = write_table(els, paths.audit_file("elements.csv"), prov)

    total = _counts(numbers)
    lines = [
        "# Reproduction report",
        "",
        f"Zhao, Mu, Luo et al. (2026), *Sci Rep*, doi:{rep.paper.get('doi', '10.1038/s41598-026-38887-9')}. "
        f"Generated by `{prov.script}` at commit `{prov.git_commit[:10]}` (parameters `{prov.params_hash[:12]}`); "
        "do not edit.",
        "",
        f"**Data status: {status}.** "
        + (
            "The site tables are reconstructed from the printed statistics and the imagery is a surrogate, so "
            "agreement with a number that depends on them is never evidence; see the README. "
            if status != "real"
            else ""
        )
        + "A number is *reproduced* within 1 % (shares: the same whole number of sites; map classes: 1 "
        "percentage point); *reproduced by construction* means the reconstruction was fitted to it.",
        "",
        f"## The {len(numbers)} printed numbers",
        "",
        *md_table(["class", "numbers"], [[k, v] for k, v in total.items() if v]),
        "",
        "### On what each verdict rests",
        "",
        "Only an *independent* reproduction is evidence: *fitted* numbers were targets of the site "
        "reconstruction, *calibrated* ones of the calibration of the exposure factors, *follows_from_fit* ones "
        "are arithmetic of those, and any agreement on surrogate imagery is *coincidence*.",
        "",
        *_basis_table(numbers),
        "",
        *_ensemble_lines(numbers),
        *_validation_lines(),
        *_twod_lines(),
        f"Risk numbers are read under the profile drawn in Figs 9-15, `{params.risk.reference_profile}`; "
        "`paper/audit/risk.md` has every profile. Every number: `paper/audit/numbers.csv`.",
        "",
        "## Tables and figures",
        "",
    ]
    lines += md_table(
        ["element", "what", "rebuild", "printed numbers", "verdict"],
        [
            [r.element, r.caption, f"`{r.make}`" if r.make else "-", r.printed_numbers, r.verdict]
            for r in els.itertuples()
        ],
    )
    lines += ["", "## Printed numbers by place in the paper", ""]
    by_loc = []
    for loc, sub in numbers.groupby("locator", sort=False):
        c = _counts(sub)
        by_loc.append([loc, len(sub), *[c[k] or "" for k in CLASSES]])
    lines += md_table(["locator", "printed", *CLASSES], by_loc)
    missing = numbers[numbers["class"] == "not audited"]
    lines += [
        "",
        f"## Numbers no audit checks yet ({len(missing)})",
        "",
        "Printed but not (yet) compared with a computation; most are study-area facts, method "
        "settings or statements of the discussion.",
        "",
    ]
    for loc, sub in missing.groupby("locator", sort=False):
        lines.append(f"* **{loc}** ({len(sub)}): " + ", ".join(f"`{q}`" for q in dict.fromkeys(sub.quantity)))
    lines += ["", "## Beyond the paper", "", "What a careful review needs and the paper does not have:", ""]
    for path, what in EXTRAS:
        mark = "" if paths.output(path).exists() else " (not built yet)"
        lines.append(f"* `{path}`{mark}: {what}")
    lines += ["", "## Detailed audits", ""] + [f"* `paper/audit/{u.name}`: {AUDITS[u.name]}" for u in used]
    lines += [
        "* `paper/audit/rf_validation.md`: nested LOSO, full-protocol permutation nulls of the printed R², NNDM, "
        "leave-region-out",
        "* `data_derived/sites/consistency.csv`: printed numbers that contradict each other",
    ]
    f_md = atomic_write_text(paths.REPORT, "\n".join(lines) + "\n")
    return [f_num, f_el, f_md]
