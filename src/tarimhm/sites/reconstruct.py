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
    """Run every start; the lowest cost wins (the first index on ties)."""
    best, costs = None, []
    for x0 in tqdm(starts, desc=f"reconstruct {medium}", disable=not progress, leave=False):
        res = least_squares(fun, x0, method="trf", max_nfev=p.max_nfev)
        costs.append(float(res.cost))
        if best is None or res.cost < best.cost:
            best = res
    return best, costs


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
        best, costs = _fit_starts(fun, starts, p, medium, progress)
    C = round_significant(np.exp(best.x.reshape(shape)), p.significant_digits)
    df = pd.DataFrame(C, columns=list(METALS))
    df.insert(0, "site_id", sites)
    return Reconstruction(medium, df, targets, float(best.cost), costs, int(np.argmin(costs)))


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
