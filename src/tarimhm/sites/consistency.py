"""Internal-consistency checks of the paper's reported numbers.

Each check computes, from ``paper/reported.yaml`` only, whether two or more reported
numbers can hold together. A failed check is a finding for the audit. Where two numbers
used by the site reconstruction collide, the check names the one left out of the fit
(``exclude``) and why (``resolution``); the reconstruction still evaluates and reports it.

Priority rule when numbers collide: numbers printed in tables and per-metal statistics
that agree with other independent numbers win over a single summary sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..domain import METALS
from ..reported import Reported, backgrounds, igeo_factor, standards
from ..risk.indices import igeo_inverse
from .targets import reported_loadings

__all__ = ["Check", "CHECKS", "run_checks", "checks_frame", "excluded_constraints", "conflict_map"]


@dataclass
class Check:
    check_id: str
    locators: str
    description: str
    lhs_label: str
    lhs: float
    rhs_label: str
    rhs: float
    verdict: str  # consistent | contradiction | approximate
    involves: list[str] = field(default_factory=list)  # reconstruction constraint ids
    exclude: list[str] = field(default_factory=list)  # left out of the fit because of this check
    resolution: str = ""

    @property
    def rel_diff(self) -> float:
        return (self.lhs - self.rhs) / abs(self.rhs) if self.rhs else float("nan")


def _verdict(ok: bool) -> str:
    return "consistent" if ok else "contradiction"


def _graded(rel: float, tol: float) -> str:
    """consistent within ``tol``, approximate within 5 tol (rounding of printed values), else contradiction."""
    return "consistent" if rel <= tol else ("approximate" if rel <= 5 * tol else "contradiction")


def _hpi_w3_terms(rep: Reported) -> tuple[np.ndarray, np.ndarray, float, int, float]:
    """Class III standards, weights 1/S, HPI(W3), Cd index and 100*W of the other metals (checks 3 and 3b)."""
    s3 = np.array([standards(rep)["III"][m] for m in METALS])
    w = 1 / s3
    h3 = rep.value(locator="Sect. 3.4.1 ¶3", quantity="hpi", site="W3", cls=3)
    j = METALS.index("Cd")
    others = 100 * (w.sum() - w[j])  # every other metal at its standard contributes 100*W
    return s3, w, h3, j, others


def _sum_vs_means(rep: Reported, tol_rel: float) -> list[Check]:
    """1-2. ΣHMs mean vs the sum of the per-metal means."""
    out: list[Check] = []
    for med in ("soil", "water"):
        s = sum(rep.value(locator="Sect. 3.1 ¶2", quantity="concentration", medium=med, metal=m) for m in METALS)
        r = rep.value(locator="Sect. 3.1 ¶1", quantity="sum_hm", medium=med, stat="mean", site=None)
        ok = abs(r - s) / s <= tol_rel
        out.append(
            Check(
                f"{med}.sum_mean_vs_metal_means",
                "Sect. 3.1 ¶1-2; Abstract",
                f"{med}: mean ΣHMs must equal the sum of the five metal means",
                "reported mean ΣHMs",
                r,
                "sum of metal means",
                round(s, 4),
                _verdict(ok),
                involves=[f"{med}.sum.mean"] + [f"{med}.mean.{m}" for m in METALS],
                exclude=[] if ok else [f"{med}.sum.mean"],
                resolution=""
                if ok
                else "the five metal means are printed individually and ordered "
                "consistently in the text; the single ΣHMs mean is left out of the fit",
            )
        )
    return out


def _hpi_w3_vs_standard(rep: Reported, tol_rel: float) -> list[Check]:
    """3. W3 HPI needs Cd above the class III standard."""
    out: list[Check] = []
    s3, w, h3, j, others = _hpi_w3_terms(rep)
    for form, total in (("normalised", h3 * w.sum()), ("unnormalised", h3)):
        cd_min = (total - others) * s3[j] / (100 * w[j])
        out.append(
            Check(
                f"water.hpi_W3_vs_standard.{form}",
                "Sect. 3.4.1 ¶3; Sect. 3.1 ¶3; Table 1",
                f"HPI(W3, class III) = {h3} ({form} Eq. 14, Ii = 0) needs Cd >= this even with every "
                "other metal at its class III limit; the paper says all river samples are below the "
                "standards",
                "minimum Cd at W3 (µg/L)",
                round(float(cd_min), 3),
                "class III Cd standard (µg/L)",
                float(s3[j]),
                _verdict(cd_min <= s3[j]),
                involves=["water.hpi.W3.III", "water.hpi.W3.V", "water.count.below_standard_III.Cd"],
                exclude=["water.count.below_standard_III.Cd"] if form == "normalised" else [],
                resolution="HPI at W3 (two printed values), the Cd mean and the Cd CR max/min ratio all "
                "need Cd of about 20 µg/L at one site; the sentence 'all below the standards' is left "
                "out of the fit for Cd"
                if form == "normalised"
                else "",
            )
        )
    return out


def _hpi_min_vs_ratios(rep: Reported, tol_rel: float) -> list[Check]:
    """3b. HPI minimum + As and Cd max/min ratios (from the CR ranges) + As mean + HPI(W3)."""
    s3, w, h3, j, others = _hpi_w3_terms(rep)
    hmin = rep.value(locator="Sect. 3.4.1 ¶3", quantity="hpi", stat="min")
    ratio = {}
    for m in ("As", "Cd"):
        lo = rep.value(locator="Sect. 3.4.3 ¶1", quantity="cr", group="adult", metal=m, stat="min")
        hi = rep.value(locator="Sect. 3.4.3 ¶1", quantity="cr", group="adult", metal=m, stat="max")
        ratio[m] = hi / lo
    ja = METALS.index("As")
    cd_lb = (h3 * w.sum() - others) * s3[j] / (100 * w[j])  # Cd max >= this (check 3)
    cd_min_lb = cd_lb / ratio["Cd"]  # every site has Cd >= this
    as_min_ub = (hmin * w.sum() - 100 * w[j] * cd_min_lb / s3[j]) * s3[ja] / (100 * w[ja])
    as_max_ub = ratio["As"] * as_min_ub
    as_mean = rep.value(locator="Sect. 3.1 ¶2", quantity="concentration", medium="water", metal="As")
    return [
        Check(
            "water.hpi_min_vs_ratios_and_as_mean",
            "Sect. 3.4.1 ¶3; Sect. 3.4.3 ¶1; Sect. 3.1 ¶2",
            f"HPI(W3) needs Cd max >= {cd_lb:.2f}, so every site has Cd >= {cd_min_lb:.4f} (Cd CR "
            f"max/min {ratio['Cd']:.0f}); HPI min {hmin} (class III, normalised, Ii = 0) then allows As "
            f"<= {as_min_ub:.3f} at that site, so As max <= {as_max_ub:.2f} (As CR max/min "
            f"{ratio['As']:.2f}), below the As mean",
            "largest possible As max (µg/L)",
            round(float(as_max_ub), 3),
            "As mean (µg/L)",
            as_mean,
            _verdict(as_max_ub >= as_mean),
            involves=[
                "water.hpi.min",
                "water.ratio.As.adult",
                "water.ratio.Cd.adult",
                "water.hpi.W3.III",
                "water.mean.As",
            ],
            exclude=["water.hpi.min"] if as_max_ub < as_mean else [],
            resolution="the As and Cd ratios are printed twice each (child and adult CR ranges, "
            "agreeing), the As mean and HPI(W3) are printed; the single HPI minimum is left out",
        )
    ]


def _as_igeo_single_site(rep: Reported, tol_rel: float) -> list[Check]:
    """4. As Igeo: max 0.65 and S1 = 0.33 mean two sites above 0, but 'only one site (S1)'."""
    amax = rep.value(locator="Sect. 3.4.1 ¶2", quantity="igeo", metal="As", stat="max", site=None)
    as1 = rep.value(locator="Sect. 3.4.1 ¶2", quantity="igeo", metal="As", site="S1")
    n_pos = 1 + int(amax > 0 and amax != as1)
    n_claim = rep.value(locator="Sect. 3.4.1 ¶2", quantity="count_sites_igeo_class", metal="As", cls=1)
    return [
        Check(
            "soil.as_igeo_single_site",
            "Sect. 3.4.1 ¶2",
            f"As Igeo max {amax:+.2f} and S1 {as1:+.2f} are different positive values, so at least "
            f"{n_pos} sites have As Igeo > 0; the text says only one (S1)",
            "sites with As Igeo > 0 implied",
            n_pos,
            "sites claimed",
            n_claim,
            _verdict(n_pos == n_claim),
            involves=["soil.claim.igeo_gt0_single.As", "soil.extreme.max.As", "soil.named.S1.As"],
            exclude=["soil.claim.igeo_gt0_single.As"] if n_pos != n_claim else [],
            resolution="the As range agrees with the As HI and CR ranges (same max/min ratio); the "
            "'only one site' sentence is left out of the fit",
        )
    ]


def _pb_as_p_vs_loadings(rep: Reported, tol_rel: float) -> list[Check]:
    """5. Pb-As 'p < 0.001' vs the correlation implied by Table 7."""
    n = int(rep.value(locator="Sect. 2.2.1", quantity="n_sites", medium="soil"))
    p = rep.value(locator="Sect. 3.3.2 ¶1", quantity="pearson_p", metal="Pb-As")
    t = stats.t.ppf(1 - p / 2, n - 2)
    rcrit = float(t / np.sqrt(n - 2 + t * t))
    L = reported_loadings(rep, "soil")
    r_imp = float(L[METALS.index("Pb")] @ L[METALS.index("As")])
    return [
        Check(
            "soil.pb_as_p_vs_table7",
            "Sect. 3.3.2 ¶1; Table 7",
            f"'highly significant Pb-As correlation (p < {p})' needs |r| >= {rcrit:.3f} at n = {n}; the "
            "varimax loadings of Table 7 imply r(Pb, As) = sum of loading products",
            "r implied by Table 7",
            round(r_imp, 4),
            "critical r",
            round(rcrit, 4),
            _verdict(r_imp >= rcrit),
            involves=["soil.claim.pearson_p.Pb-As", "soil.pca_r.As-Pb"],
            exclude=["soil.claim.pearson_p.Pb-As"] if r_imp < rcrit else [],
            resolution="Table 7 prints ten loadings whose products reproduce the four printed "
            "Pearson r within 0.01; the p-value sentence (no r printed) is left out of the fit",
        )
    ]


def _pearson_vs_loadings(rep: Reported, tol_rel: float) -> list[Check]:
    """6. printed Pearson r vs the r implied by the loadings (1-2 components: an approximation)."""
    out: list[Check] = []
    for med, table, loc in (("soil", "Table 7", "Sect. 3.3.2 ¶1"), ("water", "Table 8", "Sect. 3.3.2 ¶2")):
        L = reported_loadings(rep, med)
        for r in rep.find(locator=loc, quantity="pearson_r", medium=med):
            a, b = r.metal.split("-")
            imp = float(L[METALS.index(a)] @ L[METALS.index(b)])
            out.append(
                Check(
                    f"{med}.pearson_vs_loadings.{r.metal}",
                    f"{loc}; {table}",
                    f"printed Pearson r {r.metal} vs the r reproduced by the retained components "
                    f"({L.shape[1]}) of {table}; agreement within 0.1 expected, not exactness",
                    "printed r",
                    r.value,
                    "loadings-implied r",
                    round(imp, 4),
                    "consistent" if abs(r.value - imp) <= 0.1 else "approximate",
                    involves=[f"{med}.pearson.{r.metal}"],
                )
            )
    return out


def _loadings_vs_eigenvalues(rep: Reported, tol_rel: float) -> list[Check]:
    """7. loadings' sums of squares vs eigenvalues; variance % = eigenvalue / 5."""
    out: list[Check] = []
    for med, table in (("soil", "Table 7"), ("water", "Table 8")):
        L = reported_loadings(rep, med)
        eig = [r.value for r in sorted(rep.find(locator=table, quantity="pca_eigenvalue"), key=lambda r: r.cls)]
        ss = float((L**2).sum())
        out.append(
            Check(
                f"{med}.loadings_ss_vs_eigenvalues",
                table,
                "sum of squared varimax loadings must equal the sum of the retained eigenvalues",
                "sum of squared loadings",
                round(ss, 4),
                "sum of eigenvalues",
                round(sum(eig), 4),
                _verdict(abs(ss - sum(eig)) <= 0.005 * len(METALS)),
            )
        )
        for r in rep.find(locator=table, quantity="pca_variance"):
            e = rep.value(locator=table, quantity="pca_eigenvalue", cls=r.cls)
            out.append(
                Check(
                    f"{med}.variance_pct.{r.cls}",
                    table,
                    f"variance % of PC{r.cls} = eigenvalue / 5 x 100",
                    "printed %",
                    r.value,
                    "eigenvalue/5*100",
                    round(100 * e / len(METALS), 3),
                    _verdict(abs(r.value - 100 * e / len(METALS)) <= 0.01),
                )
            )
    return out


def _risk_ratios_vs_igeo(rep: Reported, tol_rel: float) -> list[Check]:
    """8. HI and CR max/min ratios vs the concentration ratio implied by the Igeo range."""
    out: list[Check] = []
    for m in METALS:
        lo = rep.value(locator="Sect. 3.4.1 ¶2", quantity="igeo", metal=m, stat="min", site=None)
        hi = rep.value(locator="Sect. 3.4.1 ¶2", quantity="igeo", metal=m, stat="max", site=None)
        cr = float(2 ** (hi - lo))
        for q, loc, groups in (
            ("hi", "Sect. 3.4.2 (1) ¶1", ("child", "adult")),
            ("cr", "Sect. 3.4.2 (2) ¶1", ("child", "adult")),
        ):
            for g in groups:
                recs = rep.find(locator=loc, quantity=q, medium="soil", group=g, metal=m)
                if len(recs) != 2:
                    continue
                rr = max(x.value for x in recs) / min(x.value for x in recs)
                out.append(
                    Check(
                        f"soil.{q}_ratio_vs_igeo.{m}.{g}",
                        f"{loc}; Sect. 3.4.1 ¶2",
                        f"{q.upper()} is linear in concentration, so its {g} max/min ratio for {m} must "
                        "equal the concentration ratio 2^(Igeo max - Igeo min)",
                        f"{q.upper()} max/min",
                        round(rr, 4),
                        "2^(ΔIgeo)",
                        round(cr, 4),
                        _graded(abs(rr / cr - 1), tol_rel),
                    )
                )
    return out


def _map_range_vs_training(rep: Reported, tol_rel: float) -> list[Check]:
    """9. RF predictions are averages of training values: a map minimum of 0.001 below the smallest site concentration cannot come from the forest itself."""
    out: list[Check] = []
    k = igeo_factor(rep)
    bg = backgrounds(rep)
    for m in METALS:
        cmin = float(
            igeo_inverse(rep.value(locator="Sect. 3.4.1 ¶2", quantity="igeo", metal=m, stat="min", site=None), bg[m], k)
        )
        mmin = rep.value(locator="Sect. 3.2.2", quantity="map_range", metal=m, stat="min")
        out.append(
            Check(
                f"soil.map_min_vs_training_min.{m}",
                "Sect. 3.2.2; Sect. 3.4.1 ¶2",
                f"an RF prediction is a weighted mean of training values, so the soil {m} map cannot go "
                "below the smallest site concentration (from the Igeo minimum)",
                "map minimum",
                mmin,
                "smallest site value",
                round(cmin, 4),
                _verdict(mmin >= cmin * (1 - tol_rel)),
            )
        )
        cmax = float(
            igeo_inverse(rep.value(locator="Sect. 3.4.1 ¶2", quantity="igeo", metal=m, stat="max", site=None), bg[m], k)
        )
        mmax = rep.value(locator="Sect. 3.2.2", quantity="map_range", metal=m, stat="max")
        out.append(
            Check(
                f"soil.map_max_vs_training_max.{m}",
                "Sect. 3.2.2; Sect. 3.4.1 ¶2",
                f"the soil {m} map maximum cannot exceed the largest site concentration",
                "map maximum",
                mmax,
                "largest site value",
                round(cmax, 4),
                _verdict(mmax <= cmax * (1 + tol_rel)),
            )
        )
    return out


def _text_shares_vs_classes(rep: Reported, tol_rel: float) -> list[Check]:
    """10. text area shares vs sums of Table 5/6 classes."""
    out: list[Check] = []
    for med, table, loc in (("soil", "Table 5", "Sect. 3.2.2"), ("water", "Table 6", "Sect. 3.2.3")):
        for r in rep.find(locator=loc, quantity="map_share_text", medium=med):
            cl = rep.find(locator=table, quantity="map_class", medium=med, metal=r.metal)
            lo = r.lower if r.lower is not None else min(c.lower for c in cl)
            s = sum(c.value for c in cl if c.lower >= lo - 1e-9 and c.upper <= r.upper + 1e-9)
            out.append(
                Check(
                    f"{med}.text_share_vs_classes.{r.metal}",
                    f"{loc}; {table}",
                    f"text share of area with {r.metal} in [{lo}, {r.upper}] vs the sum of those classes",
                    "text %",
                    r.value,
                    "sum of classes %",
                    round(s, 2),
                    _verdict(abs(s - r.value) <= 0.011),
                )
            )
        tot = {
            m: sum(c.value for c in rep.find(locator=table, quantity="map_class", medium=med, metal=m)) for m in METALS
        }
        for m, s in tot.items():
            out.append(
                Check(
                    f"{med}.class_shares_sum.{m}",
                    table,
                    f"{m} class shares sum to 100 %",
                    "sum of shares %",
                    round(s, 2),
                    "100 %",
                    100.0,
                    _verdict(abs(s - 100) <= 0.05),
                )
            )
    return out


def _share_above_background(rep: Reported, tol_rel: float) -> list[Check]:
    """11. map share above background must lie between whole-class bounds of Table 5."""
    out: list[Check] = []
    bg = backgrounds(rep)
    for r in rep.find(locator="Sect. 3.2.2", quantity="map_share_above_background"):
        cl = rep.find(locator="Table 5", quantity="map_class", metal=r.metal)
        b = bg[r.metal]
        lower = sum(c.value for c in cl if c.lower >= b)
        upper = sum(c.value for c in cl if c.upper > b)
        out.append(
            Check(
                f"soil.share_above_background_vs_classes.{r.metal}",
                "Sect. 3.2.2; Table 5",
                f"area share with {r.metal} above background {b} must lie between the classes wholly "
                f"above it ({lower:.2f} %) and those reaching above it ({upper:.2f} %); equality with the "
                "upper bound means whole classes straddling the background were counted",
                "reported %",
                r.value,
                "upper bound %",
                round(upper, 2),
                _verdict(lower - 0.011 <= r.value <= upper + 0.011),
            )
        )
    return out


def _rf_claims_vs_table4(rep: Reported, tol_rel: float) -> list[Check]:
    """12. R² and RMSE claims vs Table 4."""
    out: list[Check] = []
    r2 = [r.value for r in rep.find(locator="Table 4", quantity="rf_r2")]
    for loc, tag in (("Abstract", "abstract"), ("Sect. 4.1 ¶1", "sect4.1")):
        cmin = rep.value(locator=loc, quantity="rf_r2_claim", stat="min")
        out.append(
            Check(
                f"r2_claim_vs_table4.{tag}",
                f"{loc}; Table 4",
                "claimed lowest R² of the RF models vs the lowest R² in Table 4",
                "claimed minimum R²",
                cmin,
                "Table 4 minimum R²",
                min(r2),
                _verdict(abs(cmin - min(r2)) < 1e-9),
            )
        )
    for med in ("soil", "water"):
        rm = [r.value for r in rep.find(locator="Table 4", quantity="rf_rmse", medium=med)]
        for stat, f in (("min", min), ("max", max)):
            c = rep.value(locator="Abstract", quantity="rf_rmse_claim", medium=med, stat=stat)
            out.append(
                Check(
                    f"{med}.rmse_claim_vs_table4.{stat}",
                    "Abstract; Table 4",
                    f"{med} RMSE {stat} in the abstract vs Table 4",
                    "abstract",
                    c,
                    "Table 4",
                    f(rm),
                    _verdict(abs(c - f(rm)) <= 0.0051),
                )
            )
    return out


def _text_vs_table4(rep: Reported, tol_rel: float) -> list[Check]:
    """13. text duplicates of Table 4."""
    out: list[Check] = []
    for r in rep.find(locator="Sect. 3.2.1"):
        t4 = rep.one(locator="Table 4", quantity=r.quantity, medium=r.medium, metal=r.metal)
        out.append(
            Check(
                f"{r.medium}.text_vs_table4.{r.quantity}.{r.metal}",
                f"{r.locator}; Table 4",
                f"{r.quantity} {r.medium} {r.metal} in the text vs Table 4",
                "text",
                r.value,
                "Table 4",
                t4.value,
                _verdict(r.value == t4.value),
            )
        )
    return out


# The check sections in the order of their numbers; run_checks concatenates their output.
CHECKS: list[Callable[[Reported, float], list[Check]]] = [
    _sum_vs_means,  # 1-2
    _hpi_w3_vs_standard,  # 3
    _hpi_min_vs_ratios,  # 3b
    _as_igeo_single_site,  # 4
    _pb_as_p_vs_loadings,  # 5
    _pearson_vs_loadings,  # 6
    _loadings_vs_eigenvalues,  # 7
    _risk_ratios_vs_igeo,  # 8
    _map_range_vs_training,  # 9
    _text_shares_vs_classes,  # 10
    _share_above_background,  # 11
    _rf_claims_vs_table4,  # 12
    _text_vs_table4,  # 13
]


def run_checks(rep: Reported, tol_rel: float = 0.01) -> list[Check]:
    return [c for check in CHECKS for c in check(rep, tol_rel)]


def checks_frame(checks: list[Check]) -> pd.DataFrame:
    rows = []
    for c in checks:
        d = asdict(c)
        d["rel_diff"] = c.rel_diff
        d["involves"] = ";".join(c.involves)
        d["exclude"] = ";".join(c.exclude)
        rows.append(d)
    return pd.DataFrame(rows)


def excluded_constraints(checks: list[Check]) -> set[str]:
    return {cid for c in checks for cid in c.exclude}


def conflict_map(checks: list[Check]) -> dict[str, list[str]]:
    """constraint id -> ids of the failed checks that involve it."""
    out: dict[str, list[str]] = {}
    for c in checks:
        if c.verdict == "contradiction":
            for cid in c.involves:
                out.setdefault(cid, []).append(c.check_id)
    return out
