"""The reconstruction as an ensemble: many site tables, each consistent with every printed number.

The least-squares fit of :mod:`tarimhm.sites.reconstruct` returns one optimum, and that optimum is one
of many tables that meet the printed statistics equally well; it also piles sites onto constraint
boundaries (three soil Cd values equal to 1.01 x background). This module samples the set instead.

**The set.** Every fitted target ``t`` of :mod:`tarimhm.sites.targets` becomes an interval
``[lo_t, hi_t]`` on its own scale (:func:`intervals`):

* a printed number stands for everything that rounds to it: ``0.65`` is ``[0.645, 0.655]``, read
  with its printed decimals (:attr:`tarimhm.reported.Record.half_unit`); numbers the fit derives by a
  monotone map (the per-metal extremes and named values from Igeo, the max/min ratios of the water CR
  ranges) get the image of the printed intervals;
* shares and counts of sites are exact; inequalities (ranking of the named ΣHMs) are one-sided;
* the correlations implied by the varimax loadings (pairs the paper does not print) are not printed
  numbers: they keep the fit's absolute tolerance ``tolerance_r``, and are marked ``tolerance``.

A table ``C`` is *consistent* when every fitted target lies in its interval (``feasible``).
When no table of the least-squares family meets a printed interval (the paper's numbers can be
mutually inconsistent at their printed precision), that target falls back to the fit tolerance and
says so (``interval_source = "tolerance (rounding interval not attained)"``).

**The prior.** Weakly informative, lognormal per metal: ``ln C_ij ~ N(ln mean_j, prior_sd^2)``,
independent over sites, so no two sites tie unless the printed numbers force it.

**The sampler.** The target density is the prior restricted to the consistent set,
``pi(x) ∝ prior(x) 1[C(x) consistent]`` with ``x = ln C``. It is sampled by random-walk Metropolis
(Metropolis et al. 1953) on ``x`` from ``chains`` feasible starting tables (the least-squares optima of
the starts, moved into the interior of the intervals by a hinge least-squares; :func:`feasible_start`).
The printed equalities make the set a thin slab around a manifold of dimension ``d - rank(J)``;
an isotropic walk would need steps as small as the slab. The proposal therefore moves mostly inside
the null space ``N`` of the constraint Jacobian ``J`` at the chain's start (fixed per chain, so the
proposal is symmetric and Metropolis needs no Hastings correction):

    x' = x + a N z1 + b z2,  z1 ~ N(0, I_k), z2 ~ N(0, I_d)

with ``a, b`` adapted during burn-in only (to an acceptance near 0.25), then frozen. One step in
five instead proposes to exchange the rows of two sites: most printed statistics (means, extremes,
correlations, eigenvalues, shares) do not say which site holds which values, so the consistent set
is (nearly) invariant under such exchanges and a random walk alone would never leave the
arrangement of its start. The exchange is symmetric and the prior is the same for every site, so it
is accepted whenever the exchanged table is consistent (site-specific numbers, such as S1's ΣHMs or
S10's Cd, refuse it). Members are
the states after burn-in, thinned. Convergence is reported with ArviZ (R-hat, bulk ESS of every
cell); it is an honest diagnostic, not a guarantee. Hard constraints, adaptation during burn-in
only and fixed proposals are the textbook form (e.g. Robert & Casella 2004, ch. 7; Andrieu &
Thoms 2008 for the adaptive burn-in). Written by hand because no library samples a prior restricted
to a set given by black-box interval constraints on non-linear statistics (PyMC's NUTS needs a
differentiable density; the indicator of the set has no gradient).

**Member 0** is the medoid of the members (smallest summed distance to all others in standardised
``ln C``): a real member, consistent, and the most typical table. The RF, the maps and the figures
use it; it is labelled as such in every output.

Deterministic for a seed (numpy ``default_rng([seed, medium])``) and fixed library versions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from ..domain import METALS
from ..reported import Reported, igeo_factor
from ..risk.indices import igeo_inverse
from .targets import Target

__all__ = ["Interval", "intervals", "hard_first", "feasible", "feasible_start", "sample", "medoid", "jacobian"]

_SHARE_EPS = 1e-9  # shares are computed as 100 * mean(bool): 100 * 0.4 = 40.00000000000001


@dataclass(frozen=True)
class Interval:
    cid: str
    lo: float
    hi: float
    source: str  # rounding | exact | one-sided | tolerance | tolerance (rounding interval not attained)

    def contains(self, v: float) -> bool:
        return self.lo - _SHARE_EPS * max(1.0, abs(v)) <= v <= self.hi + _SHARE_EPS * max(1.0, abs(v))

    @property
    def half_width(self) -> float:
        w = 0.5 * (self.hi - self.lo)
        return w if np.isfinite(w) else np.inf


def _rounded(rep: Reported, rid: str) -> tuple[float, float]:
    r = rep[rid]
    return r.value - r.half_unit, r.value + r.half_unit


def intervals(targets: list[Target], rep: Reported, tolerance_r: float) -> dict[str, Interval]:
    """The interval of every fitted target (see the module docstring)."""
    bg = {m: rep.one(locator="Table 1", quantity="background", metal=m).value for m in METALS}
    k = igeo_factor(rep)
    out: dict[str, Interval] = {}
    for t in targets:
        if not t.fit:
            continue
        if t.kind in ("mean", "sum", "eigen", "pearson", "hpi") and t.error_kind in ("rel", "abs"):
            lo, hi = _rounded(rep, t.sources[0])
            out[t.cid] = Interval(t.cid, lo, hi, "rounding")
        elif t.kind in ("extreme", "named"):
            r = rep[t.sources[0]]
            lo, hi = (float(igeo_inverse(r.value + s * r.half_unit, bg[t.cid.split(".")[-1]], k)) for s in (-1, 1))
            out[t.cid] = Interval(t.cid, lo, hi, "rounding")
        elif t.kind == "ratio":
            (l0, l1), (h0, h1) = _rounded(rep, t.sources[0]), _rounded(rep, t.sources[1])
            out[t.cid] = Interval(t.cid, h0 / l1, h1 / l0, "rounding")
        elif t.kind == "pca_implied":
            out[t.cid] = Interval(t.cid, t.reported - tolerance_r, t.reported + tolerance_r, "soft")
        elif t.error_kind == "share":
            out[t.cid] = Interval(t.cid, t.reported, t.reported, "exact")
        elif t.error_kind == "ineq":
            out[t.cid] = Interval(t.cid, -np.inf, 0.0, "one-sided")
        else:  # pragma: no cover - a new target kind must say what its interval is
            raise ValueError(f"target {t.cid}: no interval rule for kind {t.kind!r} ({t.error_kind})")
    return out


def hard_first(targets: list[Target], iv: dict[str, Interval]) -> list[tuple[Target, Interval]]:
    """Fitted targets, cheapest and most often violated first (early exit in :func:`feasible`)."""
    rank = {"mean": 0, "sum": 1, "extreme": 2, "named": 2, "count": 3, "standard": 3, "ratio": 4, "hpi": 5}
    pairs = [(t, iv[t.cid]) for t in targets if t.cid in iv]
    return sorted(pairs, key=lambda p: rank.get(p[0].kind, 9))


def feasible(C: np.ndarray, pairs: list[tuple[Target, Interval]]) -> bool:
    """Whether every hard target of ``C`` lies in its interval (stops at the first that does not)."""
    return all(iv.contains(float(t.value(C))) for t, iv in pairs if iv.source != "soft")


def violations(C: np.ndarray, pairs: list[tuple[Target, Interval]]) -> list[str]:
    return [t.cid for t, iv in pairs if iv.source != "soft" and not iv.contains(float(t.value(C)))]


def soft_log_lik(C: np.ndarray, pairs) -> float:
    """Gaussian log-likelihood of the soft targets: the loadings-implied r, sd = the fit's tolerance_r.

    The r a varimax solution implies (sum of loading products over the retained components) is the
    correlation the retained components reproduce, not the observed one: it is no printed number and
    no identity, so it is a soft term, not a hard interval.
    """
    out = 0.0
    for t, iv in pairs:
        if iv.source == "soft":
            out -= 0.5 * ((float(t.value(C)) - 0.5 * (iv.lo + iv.hi)) / iv.half_width) ** 2
    return out


def _hinge_fun(pairs, shape, shrink: float):
    """Residuals zero inside the central ``shrink`` part of every interval (scaled by its half-width)."""

    def fun(x):
        C = np.exp(x.reshape(shape))
        out = []
        for t, iv in pairs:
            if iv.source in ("exact", "one-sided"):
                out.append(10.0 * np.atleast_1d(t.residuals(C)))  # the fit's hinges with their margin
                continue
            v = float(t.value(C))
            c, h = 0.5 * (iv.lo + iv.hi), iv.half_width * shrink
            out.append(np.array([(max(0.0, v - c - h) + max(0.0, c - h - v)) / iv.half_width]))
        return np.concatenate(out)

    return fun


def feasible_start(x0: np.ndarray, pairs, shape, max_nfev: int = 400) -> np.ndarray:
    """Move ``x0`` (ln C) into the central half of every interval by hinge least-squares."""
    # the squared hinge is only C1: TRF stops on a small step unless the tolerances are tight
    res = least_squares(
        _hinge_fun(pairs, shape, 0.5), x0, method="trf", max_nfev=max_nfev, xtol=1e-14, ftol=1e-14, gtol=1e-14
    )
    return res.x


def jacobian(x: np.ndarray, pairs, shape, eps: float = 1e-6) -> tuple[np.ndarray, list[str]]:
    """d(value_t / half-width_t) / d ln C: central differences, one row per interval target.

    Only targets with a finite interval width enter (shares, counts and one-sided ranks are locally
    flat and constrain no direction to first order).
    """
    rows = [(t, iv) for t, iv in pairs if iv.source not in ("exact", "one-sided", "soft")]
    J = np.zeros((len(rows), x.size))
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = eps
        Cp, Cm = np.exp((x + e).reshape(shape)), np.exp((x - e).reshape(shape))
        for i, (t, iv) in enumerate(rows):
            J[i, j] = (float(t.value(Cp)) - float(t.value(Cm))) / (2 * eps) / iv.half_width
    return J, [t.cid for t, _ in rows]


def _null_space(J: np.ndarray, rtol: float = 1e-8) -> tuple[np.ndarray, int]:
    u, s, vt = np.linalg.svd(J, full_matrices=True)
    rank = int(np.sum(s > rtol * s.max())) if s.size else 0
    return vt[rank:].T, rank


def medoid(X: np.ndarray) -> int:
    """Index of the member with the smallest summed Euclidean distance to all others (standardised ln C)."""
    Z = np.log(X.reshape(len(X), -1))
    sd = Z.std(0)
    Z = (Z - Z.mean(0)) / np.where(sd > 0, sd, 1.0)
    d2 = (Z**2).sum(1)[:, None] + (Z**2).sum(1)[None, :] - 2 * Z @ Z.T
    D = np.sqrt(np.maximum(d2, 0.0))
    return int(np.argmin(D.sum(1)))


def _log_prior(x: np.ndarray, mu: np.ndarray, sd: float) -> float:
    return float(-0.5 * np.sum(((x - mu) / sd) ** 2))


def sample(
    starts: list[np.ndarray],
    pairs,
    shape: tuple[int, int],
    means: np.ndarray,
    *,
    n_members: int,
    burn: int,
    thin: int,
    prior_sd: float,
    seed_seq,
    progress=None,
    swap_prob: float = 0.2,
) -> tuple[np.ndarray, np.ndarray, list[float], np.ndarray]:
    """Random-walk Metropolis from feasible ``starts`` (one chain each); see the module docstring.

    Returns members (n_members, *shape) in chain-major order, their chain index, the acceptance rate
    of each chain after burn-in and the kept draws as (chain, draw, cell) for the diagnostics.
    """
    rng = np.random.default_rng(seed_seq)
    n_chains = len(starts)
    per_chain = -(-n_members // n_chains)
    mu = np.broadcast_to(np.log(means)[None, :], shape).ravel()
    d = mu.size
    kept = np.zeros((n_chains, per_chain, d))
    acc_rates = []
    for c, x0 in enumerate(starts):
        J, _ = jacobian(x0, pairs, shape)
        N, _ = _null_space(J)
        x = x0.copy()
        lp = _log_prior(x0, mu, prior_sd) + soft_log_lik(np.exp(x0.reshape(shape)), pairs)
        a, b = 0.05, 0.002  # initial step in the null space / everywhere (ln units)
        acc_window, accepted_after = 0, 0
        total = burn + per_chain * thin
        for it in range(total):
            if rng.uniform() < swap_prob:  # exchange two sites' rows: symmetric, prior-neutral
                i, k = rng.choice(shape[0], 2, replace=False)
                P = x.reshape(shape).copy()
                P[[i, k]] = P[[k, i]]
                prop = P.ravel()
            else:
                prop = x + a * (N @ rng.standard_normal(N.shape[1])) + b * rng.standard_normal(d)
            Cp = np.exp(prop.reshape(shape))
            ok = feasible(Cp, pairs)  # hard constraints first: most proposals fail here
            if ok:
                lpp = _log_prior(prop, mu, prior_sd) + soft_log_lik(Cp, pairs)
                ok = np.log(rng.uniform()) < lpp - lp
            if ok:
                x, lp = prop, lpp
                acc_window += 1
                if it >= burn:
                    accepted_after += 1
            if it < burn and (it + 1) % 50 == 0:  # adapt during burn-in only, then frozen
                rate = acc_window / 50
                f = np.exp(rate - 0.25)
                a, b = a * f, b * f
                acc_window = 0
            if it < burn and (it + 1) % 500 == 0:  # the null space follows the chain during burn-in only
                N, _ = _null_space(jacobian(x, pairs, shape)[0])
            if it >= burn and (it - burn + 1) % thin == 0:
                kept[c, (it - burn) // thin] = x
            if progress is not None:
                progress.update(1)
        acc_rates.append(accepted_after / max(1, total - burn))
    members = np.exp(kept.reshape(-1, *shape))[:n_members]
    chain = np.repeat(np.arange(n_chains), per_chain)[:n_members]
    return members, chain, acc_rates, kept


def summarise_cells(members: np.ndarray, medium: str, sites: list[str]) -> pd.DataFrame:
    """Per cell: member 0, median and the 5-95 % range of the ensemble, and its relative width."""
    rows = []
    for i, s in enumerate(sites):
        for j, m in enumerate(METALS):
            v = members[:, i, j]
            q05, q50, q95 = np.quantile(v, [0.05, 0.5, 0.95])
            rows.append(
                {
                    "medium": medium,
                    "site_id": s,
                    "metal": m,
                    "member0": v[0],
                    "median": q50,
                    "q05": q05,
                    "q95": q95,
                    "min": v.min(),
                    "max": v.max(),
                    "rel_width_90": (q95 - q05) / q50,
                }
            )
    return pd.DataFrame(rows)
