"""The reported statistics a reconstruction of the site tables must match.

Each :class:`Target` turns one reported number (or one claim) into

* ``value(C)``: the same statistic computed from a candidate concentration matrix ``C``
  (sites x metals, in the order of :data:`METALS`), comparable with ``reported``;
* ``residuals(C)``: what the least-squares fit minimises (relative or absolute errors,
  or hinge terms for inequalities and counts). Counts and extremes act on sorted values,
  so no site has to be chosen in advance to hold a minimum or to fall below a threshold.

Targets with ``fit=False`` are evaluated and reported but not fitted: they contradict
other reported numbers (see :mod:`tarimhm.sites.consistency`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..domain import METALS
from ..reported import Reported, igeo_factor
from ..risk.indices import hpi, igeo_inverse

__all__ = ["Target", "build_targets", "reported_loadings", "SITE_IDS"]

SITE_IDS = {"soil": [f"S{i}" for i in range(1, 11)], "water": [f"W{i}" for i in range(1, 10)]}
_J = {m: j for j, m in enumerate(METALS)}
_relu = lambda x: np.maximum(x, 0.0)  # noqa: E731


@dataclass
class Target:
    cid: str
    medium: str
    kind: str
    description: str
    reported: float
    sources: tuple[str, ...]
    value: Callable[[np.ndarray], float]
    residuals: Callable[[np.ndarray], np.ndarray]
    error_kind: str = "rel"  # rel | abs | share | ineq
    fit: bool = True
    tolerance: float | None = None  # overrides the default tolerance of its error kind
    notes: list[str] = field(default_factory=list)

    def error(self, v: float) -> float:
        if self.error_kind == "rel":
            return (v - self.reported) / abs(self.reported)
        return v - self.reported


def reported_loadings(rep: Reported, medium: str) -> np.ndarray:
    """Varimax loadings of Table 7 (soil) or Table 8 (water), metals x components."""
    table = "Table 7" if medium == "soil" else "Table 8"
    recs = rep.find(locator=table, quantity="pca_loading", medium=medium)
    L = np.zeros((len(METALS), max(r.cls for r in recs)))
    for r in recs:
        L[_J[r.metal], r.cls - 1] = r.value
    return L


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    den = np.sqrt((a @ a) * (b @ b))
    return float(a @ b / den) if den > 0 else 0.0


def _eig(C: np.ndarray) -> np.ndarray:
    return np.sort(np.linalg.eigvalsh(np.corrcoef(C, rowvar=False)))[::-1]


def _count_residuals(vals: np.ndarray, thr: float, n_above: int, margin: float) -> np.ndarray:
    """Hinges asking exactly ``n_above`` of ``vals`` to exceed ``thr`` (with a relative margin)."""
    s = np.sort(vals)[::-1] / thr
    out = []
    if n_above > 0:
        out.append(_relu((1 + margin) - s[n_above - 1]))
    if n_above < len(s):
        out.append(_relu(s[n_above] - (1 - margin)))
    return np.array(out)


def build_targets(rep: Reported, medium: str, margin: float, hpi_form: str) -> list[Target]:
    """All targets for one medium, read from the reported numbers (never typed here)."""
    return _soil(rep, margin) if medium == "soil" else _water(rep, margin, hpi_form)


def _common(rep: Reported, medium: str, margin: float, sites: list[str]) -> list[Target]:
    T: list[Target] = []
    for m in METALS:
        r = rep.one(locator="Sect. 3.1 ¶2", quantity="concentration", medium=medium, metal=m)
        j = _J[m]
        T.append(
            Target(
                f"{medium}.mean.{m}",
                medium,
                "mean",
                f"mean {m} over sites",
                r.value,
                (r.id,),
                value=lambda C, j=j: float(C[:, j].mean()),
                residuals=lambda C, j=j, t=r.value: np.array([(C[:, j].mean() - t) / t]),
            )
        )
    sums = rep.find(locator="Sect. 3.1 ¶1", quantity="sum_hm", medium=medium)
    for r in sums:
        if r.site:
            i = sites.index(r.site)
            T.append(
                Target(
                    f"{medium}.sum.{r.site}",
                    medium,
                    "sum",
                    f"ΣHMs at {r.site}",
                    r.value,
                    (r.id,),
                    value=lambda C, i=i: float(C[i].sum()),
                    residuals=lambda C, i=i, t=r.value: np.array([(C[i].sum() - t) / t]),
                )
            )
        elif r.stat in ("min", "max"):
            f = np.max if r.stat == "max" else np.min
            T.append(
                Target(
                    f"{medium}.sum.{r.stat}",
                    medium,
                    "sum",
                    f"{r.stat} of ΣHMs over sites",
                    r.value,
                    (r.id,),
                    value=lambda C, f=f: float(f(C.sum(1))),
                    residuals=lambda C, f=f, t=r.value: np.array([(f(C.sum(1)) - t) / t]),
                )
            )
        elif r.stat == "mean":
            T.append(
                Target(
                    f"{medium}.sum.mean",
                    medium,
                    "sum",
                    "mean ΣHMs over sites",
                    r.value,
                    (r.id,),
                    value=lambda C: float(C.sum(1).mean()),
                    residuals=lambda C, t=r.value: np.array([(C.sum(1).mean() - t) / t]),
                )
            )
    # ranking of the named sites: "the maximum ... at S1, elevated levels also at S8 and S7"
    named = [r.site for r in sums if r.site]
    if len(named) > 1:
        lowest = min(
            named, key=lambda s: rep.one(locator="Sect. 3.1 ¶1", quantity="sum_hm", medium=medium, site=s).value
        )
        thr = rep.one(locator="Sect. 3.1 ¶1", quantity="sum_hm", medium=medium, site=lowest)
        others = [i for i, s in enumerate(sites) if s not in named]
        T.append(
            Target(
                f"{medium}.sum.rank",
                medium,
                "sum",
                f"unnamed sites have ΣHMs below {lowest} (the paper names {', '.join(named)} as highest)",
                0.0,
                (thr.id,),
                error_kind="ineq",
                value=lambda C, o=others, t=thr.value: float(max(0.0, C[o].sum(1).max() / t - 1)),
                residuals=lambda C, o=others, t=thr.value: _relu(C[o].sum(1) / t - (1 - margin)),
            )
        )
    return T


def _corr_targets(rep: Reported, medium: str, table: str, n_pc: int) -> list[Target]:
    T: list[Target] = []
    printed = {}
    loc = "Sect. 3.3.2 ¶1" if medium == "soil" else "Sect. 3.3.2 ¶2"
    for r in rep.find(locator=loc, quantity="pearson_r", medium=medium):
        a, b = r.metal.split("-")
        printed[frozenset((a, b))] = r
    load = {(r.metal, r.cls): r for r in rep.find(locator=table, quantity="pca_loading", medium=medium)}
    for ia, a in enumerate(METALS):
        for b in METALS[ia + 1 :]:
            key = frozenset((a, b))
            ja, jb = _J[a], _J[b]
            val = lambda C, ja=ja, jb=jb: _pearson(C[:, ja], C[:, jb])  # noqa: E731
            if key in printed:
                r = printed[key]
                T.append(
                    Target(
                        f"{medium}.pearson.{r.metal}",
                        medium,
                        "pearson",
                        f"Pearson r {r.metal}",
                        r.value,
                        (r.id,),
                        error_kind="abs",
                        value=val,
                        residuals=lambda C, val=val, t=r.value: np.array([val(C) - t]),
                    )
                )
            else:
                recs = [(load[(a, k)], load[(b, k)]) for k in range(1, n_pc + 1)]
                implied = float(sum(x.value * y.value for x, y in recs))
                ids = tuple(x.id for pair in recs for x in pair)
                T.append(
                    Target(
                        f"{medium}.pca_r.{a}-{b}",
                        medium,
                        "pca_implied",
                        f"r {a}-{b} implied by the varimax loadings of {table} (sum of products)",
                        round(implied, 4),
                        ids,
                        error_kind="abs",
                        value=val,
                        residuals=lambda C, val=val, t=implied: np.array([val(C) - t]),
                    )
                )
    for r in rep.find(locator=table, quantity="pca_eigenvalue", medium=medium):
        k = r.cls - 1
        T.append(
            Target(
                f"{medium}.eigen.{r.cls}",
                medium,
                "eigen",
                f"eigenvalue {r.cls} of the correlation matrix",
                r.value,
                (r.id,),
                value=lambda C, k=k: float(_eig(C)[k]),
                residuals=lambda C, k=k, t=r.value: np.array([(_eig(C)[k] - t) / t]),
            )
        )
    return T


def _soil(rep: Reported, margin: float) -> list[Target]:
    sites = SITE_IDS["soil"]
    n = len(sites)
    T = _common(rep, "soil", margin, sites)
    bg = {m: rep.one(locator="Table 1", quantity="background", metal=m) for m in METALS}
    k = igeo_factor(rep)
    cmax = {}
    for m in METALS:
        j = _J[m]
        for stat in ("min", "max"):
            r = rep.one(locator="Sect. 3.4.1 ¶2", quantity="igeo", metal=m, stat=stat, site=None)
            c = float(igeo_inverse(r.value, bg[m].value, k))
            if stat == "max":
                cmax[m] = c
            f = np.max if stat == "max" else np.min
            T.append(
                Target(
                    f"soil.extreme.{stat}.{m}",
                    "soil",
                    "extreme",
                    f"{stat} {m} = 1.5·B·2^Igeo with Igeo {r.value:+.2f} (Sect. 3.4.1)",
                    round(c, 4),
                    (r.id, bg[m].id),
                    value=lambda C, j=j, f=f: float(f(C[:, j])),
                    residuals=lambda C, j=j, f=f, t=c: np.array([(f(C[:, j]) - t) / t]),
                )
            )
    for r in rep.find(locator="Sect. 3.4.1 ¶2", quantity="igeo", stat="value"):
        i, j = sites.index(r.site), _J[r.metal]
        c = float(igeo_inverse(r.value, bg[r.metal].value, k))
        T.append(
            Target(
                f"soil.named.{r.site}.{r.metal}",
                "soil",
                "named",
                f"{r.metal} at {r.site} from Igeo {r.value:+.2f}",
                round(c, 4),
                (r.id, bg[r.metal].id),
                value=lambda C, i=i, j=j: float(C[i, j]),
                residuals=lambda C, i=i, j=j, t=c: np.array([(C[i, j] - t) / t]),
            )
        )
    for m in METALS:
        r = rep.one(locator="Sect. 3.1 ¶3", quantity="share_sites_below_background", metal=m)
        j, b = _J[m], bg[m].value
        n_above = n - int(round(r.value / 100 * n))
        T.append(
            Target(
                f"soil.count.below_background.{m}",
                "soil",
                "count",
                f"% of sites with {m} below the Xinjiang background {b}",
                r.value,
                (r.id, bg[m].id),
                error_kind="share",
                value=lambda C, j=j, b=b: float(100 * np.mean(C[:, j] < b)),
                residuals=lambda C, j=j, b=b, na=n_above: _count_residuals(C[:, j], b, na, margin),
            )
        )
    # Igeo classes of Cd: nine sites below Igeo 1, S10 in class 3 (2-3)
    c1 = float(igeo_inverse(1.0, bg["Cd"].value, k))
    rcd = rep.one(locator="Sect. 3.4.1 ¶2", quantity="count_sites_igeo_class", metal="Cd", cls=1)
    T.append(
        Target(
            "soil.count.igeo_lt1.Cd",
            "soil",
            "count",
            "number of sites with Cd Igeo < 1",
            rcd.value,
            (rcd.id,),
            error_kind="share",
            value=lambda C, t=c1: float(np.sum(C[:, 1] < t)),
            residuals=lambda C, t=c1: _count_residuals(C[:, 1], t, 1, margin),
        )
    )
    # "only one site (S1) classified as light pollution (Igeo 0 to 1)" for As; conflicts with As max Igeo 0.65
    c0 = float(igeo_inverse(0.0, bg["As"].value, k))
    ras = rep.one(locator="Sect. 3.4.1 ¶2", quantity="count_sites_igeo_class", metal="As", cls=1)
    T.append(
        Target(
            "soil.claim.igeo_gt0_single.As",
            "soil",
            "count",
            "number of sites with As Igeo > 0 ('only one site (S1)')",
            ras.value,
            (ras.id,),
            error_kind="share",
            fit=False,
            value=lambda C, t=c0: float(np.sum(C[:, 0] > t)),
            residuals=lambda C: np.zeros(0),
        )
    )
    # Risk-threshold counts in concentration terms, scaled by the paper's own reported ratios
    # (HI_max / C_max per metal), so that they do not depend on any exposure profile.
    hi_k = {}
    for m in METALS:
        r = rep.one(locator="Sect. 3.4.2 (1) ¶1", quantity="hi", group="child", metal=m, stat="max")
        hi_k[m] = r.value / cmax[m]
    kv = np.array([hi_k[m] for m in METALS])
    rhi = rep.one(locator="Sect. 3.4.2 (1) ¶2", quantity="share_sites_hi_gt_1", group="child")
    T.append(
        Target(
            "soil.count.hi_child_gt1",
            "soil",
            "count",
            "% of sites with child HI > 1 (HI scaled as HI_max/C_max per metal from Sect. 3.4.2)",
            rhi.value,
            (rhi.id,),
            error_kind="share",
            value=lambda C: float(100 * np.mean(C @ kv > 1)),
            residuals=lambda C, na=int(round(rhi.value / 100 * n)): _count_residuals(  # noqa: B008 (bound once)
                C @ kv, 1.0, na, margin
            ),
        )
    )
    for g in ("child", "adult"):
        r = rep.one(locator="Sect. 3.4.2 (2) ¶2", quantity="share_sites_cr_gt_1e-6", group=g, metal="Cd")
        crmax = rep.one(locator="Sect. 3.4.2 (2) ¶1", quantity="cr", group=g, metal="Cd", stat="max")
        thr = cmax["Cd"] * 1e-6 / crmax.value
        na = int(round(r.value / 100 * n))
        T.append(
            Target(
                f"soil.count.cr_gt_1e-6.Cd.{g}",
                "soil",
                "count",
                f"% of sites with {g} Cd CR > 1e-6 (Cd > {thr:.3f} mg/kg by the CR/C ratio)",
                r.value,
                (r.id, crmax.id),
                error_kind="share",
                value=lambda C, t=thr: float(100 * np.mean(C[:, 1] > t)),
                residuals=lambda C, t=thr, na=na: _count_residuals(C[:, 1], t, na, margin),
            )
        )
    T += _corr_targets(rep, "soil", "Table 7", 2)
    # "a highly significant correlation between Pb and As (p < 0.001)": evaluated, not fitted.
    from scipy import stats

    rp = rep.one(locator="Sect. 3.3.2 ¶1", quantity="pearson_p", metal="Pb-As")
    rcrit = _r_critical(rp.value, n, stats)
    T.append(
        Target(
            "soil.claim.pearson_p.Pb-As",
            "soil",
            "pearson",
            f"Pb-As correlation with two-tailed p < {rp.value} needs r >= {rcrit:.3f} at n = {n}",
            round(rcrit, 4),
            (rp.id,),
            error_kind="ineq",
            fit=False,
            value=lambda C: _pearson(C[:, 2], C[:, 0]),
            residuals=lambda C: np.zeros(0),
        )
    )
    return T


def _r_critical(p: float, n: int, stats) -> float:
    """Smallest |r| with two-tailed p <= p at n pairs (t-distribution, n-2 df)."""
    t = stats.t.ppf(1 - p / 2, n - 2)
    return float(t / np.sqrt(n - 2 + t * t))


def _water(rep: Reported, margin: float, hpi_form: str) -> list[Target]:
    sites = SITE_IDS["water"]
    T = _common(rep, "water", margin, sites)
    s3 = np.array([rep.value(locator="Table 1", quantity="standard_III", metal=m) for m in METALS])
    s5 = np.array([rep.value(locator="Table 1", quantity="standard_V", metal=m) for m in METALS])
    i3 = sites.index("W3")
    for r in rep.find(locator="Sect. 3.4.1 ¶3", quantity="hpi"):
        if r.site:
            s = s3 if r.cls == 3 else s5
            T.append(
                Target(
                    f"water.hpi.{r.site}.{'III' if r.cls == 3 else 'V'}",
                    "water",
                    "hpi",
                    f"HPI at {r.site} vs class {'III' if r.cls == 3 else 'V'} standards ({hpi_form}, Ii = 0)",
                    r.value,
                    (r.id,),
                    value=lambda C, s=s: float(hpi(C[i3], s, form=hpi_form)),
                    residuals=lambda C, s=s, t=r.value: np.array([(hpi(C[i3], s, form=hpi_form) - t) / t]),
                )
            )
        elif r.stat == "min":
            T.append(
                Target(
                    "water.hpi.min",
                    "water",
                    "hpi",
                    f"minimum HPI (class III, {hpi_form}, Ii = 0)",
                    r.value,
                    (r.id,),
                    value=lambda C: float(hpi(C, s3, form=hpi_form).min()),
                    residuals=lambda C, t=r.value: np.array([(hpi(C, s3, form=hpi_form).min() - t) / t]),
                )
            )
    for m in ("As", "Cd", "Pb"):
        j = _J[m]
        for g in ("adult", "child"):
            lo = rep.one(locator="Sect. 3.4.3 ¶1", quantity="cr", group=g, metal=m, stat="min")
            hi = rep.one(locator="Sect. 3.4.3 ¶1", quantity="cr", group=g, metal=m, stat="max")
            ratio = hi.value / lo.value
            T.append(
                Target(
                    f"water.ratio.{m}.{g}",
                    "water",
                    "ratio",
                    f"max/min {m} = max/min {g} CR (CR is linear in concentration)",
                    round(ratio, 3),
                    (lo.id, hi.id),
                    fit=(g == "adult"),
                    value=lambda C, j=j: float(C[:, j].max() / C[:, j].min()),
                    residuals=lambda C, j=j, t=ratio: np.array([np.log(C[:, j].max() / C[:, j].min() / t)]),
                )
            )
    for m in METALS:
        j = _J[m]
        r = rep.one(locator="Sect. 3.1 ¶3", quantity="share_sites_below_standard_III", metal=m)
        T.append(
            Target(
                f"water.count.below_standard_III.{m}",
                "water",
                "standard",
                f"% of river sites with {m} below the class III standard {s3[j]:g} µg/L",
                r.value,
                (r.id,),
                error_kind="share",
                value=lambda C, j=j: float(100 * np.mean(C[:, j] < s3[j])),
                residuals=lambda C, j=j: _relu(C[:, j] / s3[j] - (1 - margin)),
            )
        )
    T += _corr_targets(rep, "water", "Table 8", 1)
    return T
