"""Reconstruct the site tables (S1-S10 soil, W1-W9 water) from the paper's statistics.

The paper's Supplementary Tables S1/S2 are not public. This module finds, per medium, the
concentration matrix C (sites x As, Cd, Pb, Cu, Zn) that best matches every reported
statistic (:mod:`tarimhm.sites.targets`) in a weighted least-squares sense:

.. math:: \\min_{x}\\; \\sum_k w_k\\,\\lVert r_k(e^{x}) \\rVert^2,\\qquad C = e^{x}

with x = ln C (so concentrations stay positive), solved by ``scipy.optimize.least_squares``
(trust-region reflective) from ``n_starts`` deterministic starts: the per-metal means
perturbed by a seeded normal draw. The best start wins; ties go to the lowest start index.
The result is rounded to ``significant_digits`` and every target is evaluated
on the rounded values, so the residual table describes exactly the CSV that is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from ..config import ReconstructionParams
from ..domain import METALS
from ..reported import Reported
from .targets import SITE_IDS, Target, build_targets, reported_loadings

__all__ = ["Reconstruction", "reconstruct", "residual_table"]


@dataclass
class Reconstruction:
    medium: str
    concentrations: pd.DataFrame  # site_id + metals
    targets: list[Target]
    cost: float
    start_costs: list[float]
    best_start: int
    optima: list[np.ndarray] | None = None  # ln C of every start's optimum


def _weights(t: Target, p: ReconstructionParams) -> float:
    w = p.weights
    return {
        "mean": w.mean,
        "sum": w.sum,
        "extreme": w.extreme,
        "named": w.named,
        "count": w.count,
        "pearson": w.pearson,
        "pca_implied": w.pca_implied,
        "eigen": w.eigen,
        "hpi": w.hpi,
        "ratio": w.ratio,
        "standard": w.standard,
    }[t.kind]


def _objective(targets: list[Target], p: ReconstructionParams, shape):
    fitted = [(t, _weights(t, p)) for t in targets if t.fit]

    def fun(x):
        C = np.exp(x.reshape(shape))
        return np.concatenate([w * np.atleast_1d(t.residuals(C)) for t, w in fitted])

    return fun


def _start(rng, means, L, targets, sites, spread):
    """A start with the reported correlation structure, anchored on the named site facts.

    ln C = ln(mean) + spread * (z L^T + 0.5 e), z ~ N(0, 1) per site and component,
    e ~ N(0, 1) per cell; then named values (e.g. S10 Cd) are set and rows with a named
    ΣHMs (e.g. S1) are rescaled to it. Only reported facts enter; the fit decides the rest.
    """
    n = len(sites)
    z = rng.standard_normal((n, L.shape[1]))
    e = rng.standard_normal((n, len(means)))
    x = np.log(means)[None, :] + spread * (z @ L.T + 0.5 * e)
    C = np.exp(x)
    fixed = np.zeros_like(C, dtype=bool)
    for t in targets:
        if t.kind == "named":
            _, _, site, metal = t.cid.split(".")
            i, j = sites.index(site), METALS.index(metal)
            C[i, j] = t.reported
            fixed[i, j] = True
    for t in targets:
        if t.kind == "sum" and t.cid.split(".")[-1] in sites:
            i = sites.index(t.cid.split(".")[-1])
            free = ~fixed[i]
            rest = t.reported - C[i, ~free].sum()
            if rest > 0 and C[i, free].sum() > 0:
                C[i, free] *= rest / C[i, free].sum()
    return np.log(C).ravel()


def round_significant(a: np.ndarray, digits: int) -> np.ndarray:
    """Round to ``digits`` significant digits (as the CSV writes them with %.{digits}g)."""
    return np.array([float(f"{v:.{digits}g}") for v in np.ravel(a)]).reshape(np.shape(a))


def _fit_starts(fun, starts, p: ReconstructionParams, medium: str, progress: bool):
    """Run every start; the lowest cost wins (the first index on ties). Returns every optimum too."""
    best, costs, optima = None, [], []
    for x0 in tqdm(starts, desc=f"reconstruct {medium}", disable=None if progress else True, leave=False):
        res = least_squares(fun, x0, method="trf", max_nfev=p.max_nfev)
        costs.append(float(res.cost))
        optima.append(res.x)
        if best is None or res.cost < best.cost:
            best = res
    return best, costs, optima


def reconstruct(
    rep: Reported,
    medium: str,
    p: ReconstructionParams,
    exclude: set[str] = frozenset(),
    *,
    hpi_form: str,
    progress: bool = True,
) -> Reconstruction:
    """Fit the site table of one medium. Deterministic for fixed parameters and library versions.

    ``exclude``: constraint ids left out of the fit (evaluated and reported all the same),
    normally :func:`tarimhm.sites.consistency.excluded_constraints` of the failed checks.
    ``hpi_form``: the form of Eq. 14 in which W3's HPI is fitted (``risk.hpi_form`` of the parameters).
    """
    sites = SITE_IDS[medium]
    targets = build_targets(rep, medium, p.count_margin, hpi_form)
    # ids are prefixed by their medium; the other medium's ids are checked when it is fitted
    unknown = {c for c in exclude if not c.startswith(tuple(f"{m}." for m in SITE_IDS))}
    unknown |= {c for c in exclude if c.startswith(f"{medium}.")} - {t.cid for t in targets}
    if unknown:
        raise ValueError(f"exclude names unknown constraint ids: {sorted(unknown)}")
    for t in targets:
        if t.cid in exclude:
            t.fit = False
    means = np.array([next(t.reported for t in targets if t.cid == f"{medium}.mean.{m}") for m in METALS])
    shape = (len(sites), len(METALS))
    fun = _objective(targets, p, shape)
    # one seed per medium, derived from the configured seed, so soil and water are independent
    rng = np.random.default_rng([p.seed, 0 if medium == "soil" else 1])
    loadings = reported_loadings(rep, medium)
    starts = [_start(rng, means, loadings, targets, sites, p.start_spread) for _ in range(p.n_starts)]
    with threadpool_limits(1):  # tiny matrices: BLAS threads only add overhead
        best, costs, optima = _fit_starts(fun, starts, p, medium, progress)
    C = round_significant(np.exp(best.x.reshape(shape)), p.significant_digits)
    df = pd.DataFrame(C, columns=list(METALS))
    df.insert(0, "site_id", sites)
    return Reconstruction(medium, df, targets, float(best.cost), costs, int(np.argmin(costs)), optima)


def residual_table(rec: Reconstruction, p: ReconstructionParams, conflicts: dict[str, list[str]]) -> pd.DataFrame:
    """One row per target: reported, reconstructed, error, whether it is met, and its conflicts."""
    C = rec.concentrations[list(METALS)].to_numpy(float)
    rows = []
    for t in rec.targets:
        v = float(t.value(C))
        err = t.error(v)
        if t.error_kind == "rel":
            tol = p.tolerance_rel if t.tolerance is None else t.tolerance
            met = abs(err) <= tol
        elif t.error_kind == "abs":
            tol = p.tolerance_r if t.tolerance is None else t.tolerance
            met = abs(err) <= tol
        elif t.error_kind == "share":
            tol = 0.0
            met = abs(err) < 1e-9
        else:  # ineq: the value is a violation measure (0 = satisfied) or r vs a critical r
            tol = 0.0
            met = (v >= t.reported) if t.cid.startswith(f"{t.medium}.claim.pearson_p") else (v <= 0.0)
        rows.append(
            {
                "constraint_id": t.cid,
                "medium": t.medium,
                "kind": t.kind,
                "description": t.description,
                "reported": t.reported,
                "reconstructed": v,
                "error": err,
                "error_kind": t.error_kind,
                "tolerance": tol,
                "met": bool(met),
                "fitted": t.fit,
                "conflicts_with": ";".join(conflicts.get(t.cid, [])),
                "reported_ids": ";".join(t.sources),
            }
        )
    return pd.DataFrame(rows)


@dataclass
class EnsembleFit:
    """The ensemble of one medium: members (member 0 = medoid), the intervals and the diagnostics."""

    medium: str
    members: np.ndarray  # (n_members, n_sites, n_metals), rounded as written
    chain: np.ndarray
    intervals: dict
    widened: dict[str, str]  # target id -> why its interval is wider than the printed rounding
    diagnostics: dict
    jacobian: np.ndarray  # at member 0, rows = interval targets (scaled by their half-widths)
    jacobian_rows: list[str]


def _widen(iv, pairs, x, shape, p: ReconstructionParams) -> dict[str, str]:
    """Widen the intervals a refined optimum still violates: first to the fit tolerance, then to its value."""
    from .ensemble import Interval

    C = np.exp(x.reshape(shape))
    out = {}
    for t, v in pairs:
        val = float(t.value(C))
        if v.source == "soft" or v.contains(val):
            continue
        if t.error_kind == "rel":
            tol = p.tolerance_rel * abs(t.reported)
        elif t.error_kind == "abs":
            tol = p.tolerance_r
        else:
            tol = 0.0
        lo, hi = min(v.lo, t.reported - tol), max(v.hi, t.reported + tol)
        why = "tolerance (rounding interval not attained)"
        if not lo <= val <= hi:
            slack = 1e-3 * max(abs(val), 1e-12)  # room for the rounding of the written table
            lo, hi = min(lo, val - slack), max(hi, val + slack)
            why = f"not attained: widened to {val:.6g} (the fit's value)"
        iv[t.cid] = Interval(t.cid, lo, hi, why)
        out[t.cid] = why
    return out


def reconstruct_ensemble(
    rep: Reported,
    medium: str,
    p: ReconstructionParams,
    exclude: set[str] = frozenset(),
    *,
    hpi_form: str,
    progress: bool = True,
) -> tuple[Reconstruction, EnsembleFit]:
    """The least-squares fit, then an ensemble of tables consistent with the printed numbers.

    See :mod:`tarimhm.sites.ensemble` for the method. The least-squares optima (best cost first) are
    moved inside the printed intervals; if none gets there, the intervals still violated by the best
    one are widened (first to the fit tolerance) and the widening is reported, never hidden.
    """
    import arviz as az

    from . import ensemble as E

    rec = reconstruct(rep, medium, p, exclude, hpi_form=hpi_form, progress=progress)
    q = p.ensemble
    shape = (len(SITE_IDS[medium]), len(METALS))
    iv = E.intervals(rec.targets, rep, p.tolerance_r)
    pairs = E.hard_first(rec.targets, iv)
    starts, refined = [], []
    with threadpool_limits(1):
        for i in np.argsort(rec.start_costs, kind="stable"):
            xf = E.feasible_start(rec.optima[i], pairs, shape, max_nfev=q.refine_nfev)
            refined.append(xf)
            if not E.violations(np.exp(xf.reshape(shape)), pairs):
                starts.append(xf)
            if len(starts) >= q.feasible_starts:
                break
        widened: dict[str, str] = {}
        if not starts:
            widened = _widen(iv, pairs, refined[0], shape, p)
            pairs = E.hard_first(rec.targets, iv)
            starts = [refined[0]]
        means = np.array([next(t.reported for t in rec.targets if t.cid == f"{medium}.mean.{m}") for m in METALS])
        chain_starts = [starts[c % len(starts)] for c in range(q.chains)]
        extra = max(2, q.n_members // 10)  # rounding to the written digits may push a member outside
        bar = tqdm(
            total=q.chains * (q.burn + -(-(q.n_members + extra) // q.chains) * q.thin),
            desc=f"ensemble {medium}",
            disable=None if progress else True,  # None: no bar unless stderr is a terminal
            leave=False,
        )
        raw, chain, acc, kept = E.sample(
            chain_starts,
            pairs,
            shape,
            means,
            n_members=q.n_members + extra,
            burn=q.burn,
            thin=q.thin,
            prior_sd=q.prior_sd,
            seed_seq=[p.seed, 0 if medium == "soil" else 1, 14],
            progress=bar,
        )
        bar.close()
        rounded = np.array([round_significant(m, p.significant_digits) for m in raw])
        ok = np.array([E.feasible(m, pairs) for m in rounded])
        keep = np.flatnonzero(ok)[: q.n_members]
        if len(keep) < q.n_members:
            bad = sorted({c for m in rounded[~ok] for c in E.violations(m, pairs)})
            raise RuntimeError(
                f"ensemble {medium}: only {len(keep)} of {q.n_members} members stay consistent after rounding "
                f"to {p.significant_digits} significant digits (violated: {', '.join(bad)})"
            )
        members, chain = rounded[keep], chain[keep]
        i0 = E.medoid(members)
        order = [i0, *[i for i in range(len(members)) if i != i0]]
        members, chain = members[order], chain[order]
        J, rows = E.jacobian(np.log(members[0]).ravel(), pairs, shape)
    draws = kept.reshape(kept.shape[0], kept.shape[1], -1)
    diag = {"rhat_max": None, "rhat_median": None, "ess_bulk_min": None, "ess_bulk_median": None}
    moving = draws.std(axis=(0, 1)) > 0
    if draws.shape[0] > 1 and draws.shape[1] > 3 and moving.any():
        ds = az.convert_to_dataset(draws[:, :, moving])
        rhat, ess = az.rhat(ds).x.values, az.ess(ds).x.values
        diag = {
            "rhat_max": float(np.max(rhat)),
            "rhat_median": float(np.median(rhat)),
            "ess_bulk_min": float(np.min(ess)),
            "ess_bulk_median": float(np.median(ess)),
        }
    diag.update(
        {
            "acceptance_after_burn_in": [round(a, 4) for a in acc],
            "feasible_starts": len(starts) if not widened else 0,
            "members_dropped_by_rounding": int((~ok).sum()),
            "medoid_draw": int(keep[order[0]]),
        }
    )
    rec.concentrations[list(METALS)] = members[0]
    fit = EnsembleFit(medium, members, chain, iv, widened, diag, J, rows)
    return rec, fit
