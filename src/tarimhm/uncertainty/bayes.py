"""Bayesian calibration (PyMC): which exposure factors are consistent with the paper's own soil HI/CR?

The grid calibration (:mod:`tarimhm.risk.calibrate`) finds the *structure* behind the paper's 28
soil HI/CR range endpoints (dermal form, ABS, toxicity values) and a common factor it cannot
attribute. This module asks the continuous question with uncertainty: given the priors of an
uncertainty spec (the spans of the paper's own Table 9), what posterior do BW, IngR and ED take
when the endpoints are observed?

Model. Each endpoint is a sum over pathways of terms that are products of powers of the exposure
factors, ``T_ep(f) = T_ep(f0) * prod_k (f_k / f0_k) ** x_pk``. The reference terms ``T_ep(f0)``
come from :func:`tarimhm.risk.assess.soil_terms` (the deterministic equations, not a copy) at the
concentrations the printed Igeo extremes imply; the exponents ``x_pk`` are measured by doubling
each factor in the same function and must come out as exact integers (checked), so the PyMC
graph cannot drift from the equations. Likelihood:
``log(reported_e) ~ Normal(log(sum_p T_ep(f)), sqrt(s_print_e**2 + s_model**2))`` with
``s_print_e`` the rounding of a 3-significant-digit print (uniform, sd = half a unit / sqrt 3) and
``s_model ~ HalfNormal(0.05)`` for what the structure does not capture. Sampling: NUTS.

Everything here uses printed numbers only (data status ``real``); the posterior predictive at
the pipeline's site tables reuses :func:`tarimhm.uncertainty.montecarlo.simulate`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..domain import METALS, PATHWAYS
from ..reported import Reported
from ..risk.assess import concentrations, soil_terms
from ..risk.calibrate import extreme_sites, soil_endpoints
from ..risk.profiles import Profile
from .montecarlo import Dist, Spec

__all__ = ["structure", "build_model", "fit", "print_sd", "posterior_tables", "identification"]


def print_sd(value: float, digits: int = 3) -> float:
    """Relative sd of the rounding of ``value`` printed with ``digits`` significant digits."""
    unit = 10.0 ** (np.floor(np.log10(abs(value))) - (digits - 1))
    return float(0.5 * unit / abs(value) / np.sqrt(3))


def _factors(spec: Spec) -> list[tuple[str, str, Dist]]:
    return [
        (g, k, d) for g in ("child", "adult") for k, d in sorted(spec.groups.get(g, {}).items()) if d.dist != "fixed"
    ]


def structure(prof: Profile, rep: Reported, spec: Spec) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, list[str]]:
    """(endpoints, reference terms (endpoint x pathway), exponents (pathway-kind x factor) per endpoint, factor names).

    Returns ``ends`` (the 28 endpoints with their site and reported value), ``T`` of shape
    (endpoints, pathways), ``X`` of shape (endpoints, pathways, factors) and the factor names
    ('child.BW', ...). Factors that move no endpoint are dropped.
    """
    ends = soil_endpoints(rep)
    sites = extreme_sites(rep)
    c = concentrations(sites)  # rows: min, max pseudo-sites
    facs = _factors(spec)
    names = [f"{g}.{k}" for g, k, _ in facs]
    T = np.zeros((len(ends), len(PATHWAYS)))
    X = np.zeros((len(ends), len(PATHWAYS), len(facs)))
    base = {g: soil_terms(c, prof, g) for g in ("child", "adult")}
    for j, (g, k, _) in enumerate(facs):
        f0 = getattr(prof.groups[g], k).value
        moved = soil_terms(c, prof, g, {k: 2.0 * f0})
        for i, e in enumerate(ends.itertuples()):
            if e.group != g:
                continue
            kind = "nc" if e.quantity == "hi" else "c"
            m, row = METALS.index(e.metal), 0 if e.stat == "min" else 1
            for p, pw in enumerate(PATHWAYS):
                t0, t1 = base[g][(pw, kind)][row, m], moved[(pw, kind)][row, m]
                if t0 == 0:
                    continue
                x = np.log2(t1 / t0)
                if abs(x - round(x)) > 1e-9:
                    raise ValueError(
                        f"{pw} {kind} term is not a power law in {g}.{k} (exponent {x}); "
                        "the Bayesian calibration cannot represent this profile"
                    )
                X[i, p, j] = round(x)
    for i, e in enumerate(ends.itertuples()):
        kind = "nc" if e.quantity == "hi" else "c"
        m, row = METALS.index(e.metal), 0 if e.stat == "min" else 1
        T[i] = [base[e.group][(pw, kind)][row, m] for pw in PATHWAYS]
    keep = np.any(X != 0, axis=(0, 1))
    return ends, T, X[:, :, keep], [n for n, k in zip(names, keep) if k]


def _prior(pm, name: str, d: Dist):
    if d.dist == "triangular":
        return pm.Triangular(name, lower=d.min, c=d.mode, upper=d.max)
    if d.dist == "uniform":
        return pm.Uniform(name, lower=d.min, upper=d.max)
    if d.dist == "lognormal":
        return pm.LogNormal(name, mu=np.log(d.median), sigma=np.log(d.gsd))
    if d.dist == "beta":
        return pm.Beta(name, alpha=d.a, beta=d.b)
    return pm.TruncatedNormal(name, mu=d.mean, sigma=d.sd, lower=d.min, upper=d.max)


def build_model(prof: Profile, rep: Reported, spec: Spec, observed: np.ndarray | None = None):
    """The PyMC model and the structure it was built from (``observed`` replaces the printed endpoints)."""
    import pymc as pm

    ends, T, X, names = structure(prof, rep, spec)
    if observed is not None:
        ends = ends.assign(reported=np.asarray(observed, dtype=float))
    dists = {f"{g}.{k}": d for g, k, d in _factors(spec)}
    f0 = np.array([getattr(prof.groups[n.split(".")[0]], n.split(".")[1]).value for n in names])
    y = np.log(ends.reported.to_numpy())
    s_print = np.array([print_sd(v) for v in ends.reported])
    with pm.Model(coords={"factor": names, "endpoint": ends.reported_id.to_list()}) as model:
        f = pm.math.stack([_prior(pm, n, dists[n]) for n in names])
        s_model = pm.HalfNormal("s_model", sigma=0.05)
        # log T_ep(f) = log T_ep(f0) + sum_k x_epk log(f_k / f0_k); terms that are 0 stay 0
        logratio = pm.math.log(f / f0)
        scale = pm.math.exp(pm.math.sum(X * logratio[None, None, :], axis=2))
        mu = pm.Deterministic("log_endpoint", pm.math.log(pm.math.sum(T * scale, axis=1)), dims="endpoint")
        pm.Normal("obs", mu=mu, sigma=pm.math.sqrt(s_print**2 + s_model**2), observed=y, dims="endpoint")
    return model, ends, names


def fit(
    prof: Profile,
    rep: Reported,
    spec: Spec,
    draws: int,
    tune: int,
    chains: int,
    seed: int,
    observed: np.ndarray | None = None,
):
    """Prior and posterior draws (arviz InferenceData), the endpoints and the factor names."""
    import warnings

    import pymc as pm

    model, ends, names = build_model(prof, rep, spec, observed)
    with model, warnings.catch_warnings():
        # pytensor's graph rewriting divides constant zeros (terms of pathways a metal lacks); harmless
        warnings.filterwarnings("ignore", "divide by zero", RuntimeWarning)
        warnings.filterwarnings("ignore", "PyTensor could not link to a BLAS", UserWarning)
        idata = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=min(chains, 2),
            random_seed=seed,
            progressbar=False,
            target_accept=0.95,
        )
        idata.extend(pm.sample_prior_predictive(draws=draws * chains, random_seed=seed + 1))
    return idata, ends, names


def posterior_tables(idata, ends: pd.DataFrame, names: list[str], spec: Spec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per factor: prior and posterior summaries with diagnostics; per endpoint: reported vs posterior."""
    import arviz as az

    summ = az.summary(idata, var_names=[*names, "s_model"], hdi_prob=0.94, round_to="none")
    dists = {f"{g}.{k}": d for g, k, d in _factors(spec)}
    rows = []
    for n in [*names, "s_model"]:
        prior = np.asarray(idata.prior[n]).ravel()
        post = np.asarray(idata.posterior[n]).ravel()
        d = dists.get(n)
        rows.append(
            {
                "parameter": n,
                "prior": f"{d.dist} {d.model_dump(exclude_none=True, exclude={'dist', 'unit', 'source'})}"
                if d
                else "HalfNormal(0.05)",
                "unit": d.unit if d else "log units",
                "prior_mean": prior.mean(),
                "prior_p5": np.percentile(prior, 5),
                "prior_p95": np.percentile(prior, 95),
                "posterior_mean": post.mean(),
                "posterior_sd": post.std(ddof=1),
                "posterior_hdi_3": summ.loc[n, "hdi_3%"],
                "posterior_hdi_97": summ.loc[n, "hdi_97%"],
                "r_hat": summ.loc[n, "r_hat"],
                "ess_bulk": summ.loc[n, "ess_bulk"],
                "source": d.source if d else "weakly informative: a few % model error",
            }
        )
    pe = np.exp(np.asarray(idata.posterior["log_endpoint"]).reshape(-1, len(ends)))
    ep = ends[["reported_id", "quantity", "group", "metal", "stat", "reported"]].copy()
    ep["posterior_median"] = np.median(pe, axis=0)
    ep["posterior_p3"], ep["posterior_p97"] = np.percentile(pe, 3, axis=0), np.percentile(pe, 97, axis=0)
    ep["posterior_rel_error_pct"] = 100 * (ep.posterior_median / ep.reported - 1)
    return pd.DataFrame(rows), ep


def identification(idata, names: list[str], prof: Profile, rep: Reported, spec: Spec) -> pd.DataFrame:
    """What the printed endpoints identify: prior and posterior spread of each factor and of the
    combinations the equations contain.

    Every endpoint is a sum of power-law terms in the factors (:func:`structure`), so the data can
    only pin the combinations with the endpoints' exponents -- for ingestion IngR/BW, for the
    carcinogenic terms also ED (ED x IngR / BW, ED / BW) -- not BW alone. Per quantity on the log
    scale: prior and posterior sd and the shrinkage 1 - sd_post / sd_prior. A combination is
    ``identified`` when the data halve its spread (shrinkage >= 0.5); a single factor only if, in
    addition, its log is not tied to another factor's (|posterior correlation| < 0.9) -- otherwise
    the data fixed a combination and the factor's own value is whatever its prior allows given it.
    A factor pinned at a bound of its prior, and any combination containing one, is prior-data
    conflict (the prior's edge, not the data, holds it), never "identified".
    """
    _, _, X, nm = structure(prof, rep, spec)
    logs_post = {n: np.log(np.asarray(idata.posterior[n]).ravel()) for n in names}
    logs_prior = {n: np.log(np.asarray(idata.prior[n]).ravel()) for n in names}
    combos = {n: {n: 1} for n in names}
    for g in ("child", "adult"):
        bw, ing, ed = f"{g}.BW", f"{g}.IngR", f"{g}.ED"
        if bw in names and ing in names:
            combos[f"{g}.IngR/BW"] = {ing: 1, bw: -1}
        if bw in names and ed in names:
            combos[f"{g}.ED/BW"] = {ed: 1, bw: -1}
            if ing in names:
                combos[f"{g}.ED*IngR/BW"] = {ed: 1, ing: 1, bw: -1}
    # the exponent patterns the endpoints actually contain (a check that the combinations are the right ones)
    patterns = {tuple(int(v) for v in row) for row in X.reshape(-1, X.shape[-1]) if np.any(row)}
    rows, pinned = [], set()  # factors come before the combinations in ``combos``
    for label, w in combos.items():
        post = sum(k * logs_post[n] for n, k in w.items())
        prior = sum(k * logs_prior[n] for n, k in w.items())
        sd_prior, sd_post = float(np.std(prior, ddof=1)), float(np.std(post, ddof=1))
        vec = tuple(int(w.get(n, 0)) for n in nm)
        partner, corr = "", 0.0
        if len(w) == 1:
            others = [(o, float(np.corrcoef(post, logs_post[o])[0, 1])) for o in names if o != label]
            if others:
                partner, corr = max(others, key=lambda t: abs(t[1]))
        ok = bool(sd_prior > 0 and sd_post <= 0.5 * sd_prior)
        if len(w) > 1 and pinned & set(w):
            ok = False
            reading = (
                f"at the corner of the prior ({', '.join(sorted(pinned & set(w)))} pinned at a bound): "
                "prior-data conflict, not identification"
            )
        elif len(w) > 1:
            reading = "identified by the endpoints" if ok else "not identified"
        elif (
            ok
            and abs(corr) < 0.9
            and min(abs(np.median(post) - prior.min()), abs(prior.max() - np.median(post)))
            < 0.02 * (prior.max() - prior.min())
        ):
            edge = np.exp(
                prior.max() if abs(prior.max() - np.median(post)) < abs(np.median(post) - prior.min()) else prior.min()
            )
            reading = (
                f"pinned at the bound {edge:.4g} of its prior: the endpoints want a value beyond the prior's support"
            )
            pinned.add(label)
        elif ok and abs(corr) < 0.9:
            reading = "identified alone"
        elif ok:
            reading = f"narrowed only jointly with {partner} (posterior correlation of logs {corr:+.2f}): its value is set by the priors given the combination"
        else:
            reading = "not identified: the posterior follows the prior"
        rows.append(
            {
                "quantity": label,
                "kind": "factor" if len(w) == 1 else "combination",
                "in_equations": vec in patterns or any(tuple(-v for v in vec) == p for p in patterns),
                "prior_sd_log": sd_prior,
                "posterior_sd_log": sd_post,
                "shrinkage": 1 - sd_post / sd_prior if sd_prior > 0 else np.nan,
                "identified": ok and (len(w) > 1 or reading == "identified alone"),
                "max_posterior_corr": corr,
                "corr_with": partner,
                "posterior_median": float(np.exp(np.median(post))),
                "reading": reading,
            }
        )
    return pd.DataFrame(rows)
