r"""PyMC propagation model: the posterior of the uncertain quantities that feeds the 2-D Monte Carlo.

The outer (uncertainty) loop of :func:`tarimhm.uncertainty.twod.simulate_2d` needs draws of what we
do not know. This module states those quantities as one Bayesian model and samples it with NUTS:

* **bioaccessibility** of each of the five metals (``uncertainty.bioaccessibility``): a Beta prior
  per metal (fixed values stay constant);
* **parameters of the variability distributions** (``uncertainty.parameters``, e.g. the median soil
  ingestion of children): their priors;
* **evidence** (``uncertainty.evidence``, optional): summary statistics of a survey of one
  variability factor -- its sample size ``n`` and sample percentiles -- whose likelihood updates the
  parameters of that factor's lognormal distribution (below).

Toxicity scenarios are discrete weighted choices and the concentrations come from the
reconstruction ensemble or a measurement-error model; both are drawn in the Monte Carlo itself
(NUTS samples continuous quantities only, and no data here bear on them).

With no evidence the posterior equals the prior; NUTS is still used, so that the same convergence
gate (:func:`gate`) applies whatever the spec holds, and the stage says so.

Likelihood of survey percentiles. For a factor :math:`X` lognormal with
:math:`\log X \sim N(\mu, s^2)` (:math:`\mu = \log` median, :math:`s = \log` GSD) and a survey of
:math:`n` persons, the sample percentiles :math:`\hat x_{q_1}, \dots, \hat x_{q_k}` satisfy
(Bahadur representation of sample quantiles; e.g. Serfling 1980, *Approximation Theorems of
Mathematical Statistics*, Sect. 2.3.3, applied to :math:`\log X`, since the log is monotone)

.. math::
   \log \hat x_{q} \;\dot\sim\; \mathrm{MVN}\!\left(\mu + s z_q,\;
   \frac{s^2}{n}\,\Sigma\right), \qquad
   \Sigma_{ij} = \frac{\min(q_i, q_j)\,(1 - \max(q_i, q_j))}{\varphi(z_{q_i})\,\varphi(z_{q_j})}

with :math:`z_q = \Phi^{-1}(q)` (:func:`evidence_likelihood`; tested for coverage on simulated
surveys).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .._errors import ConfigError
from ..domain import METALS
from .bayes import _prior  # one PyMC prior per Dist, shared with the calibration

__all__ = [
    "ConvergenceError",
    "quantile_cov",
    "evidence_likelihood",
    "build_model",
    "sample_posterior",
    "free_names",
    "diagnostics",
    "gate",
    "outer_draws",
    "strip_timings",
]


class ConvergenceError(ConfigError):
    """The sampler did not converge for some reported quantity (one line per failure)."""


def quantile_cov(q: np.ndarray) -> np.ndarray:
    r""":math:`\Sigma` of the module docstring (per unit :math:`s^2/n`) for percentiles ``q`` in (0, 1)."""
    q = np.asarray(q, dtype=float)
    z = stats.norm.ppf(q)
    phi = stats.norm.pdf(z)
    lo, hi = np.minimum.outer(q, q), np.maximum.outer(q, q)
    return lo * (1 - hi) / np.outer(phi, phi)


def evidence_likelihood(name: str, mu, s, q: np.ndarray, n: float, log_obs: np.ndarray):
    """The observed node of one survey (or a batch): ``log_obs`` (..., k), log sample percentiles ``q``.

    PyMC has no distribution of sample quantiles. With :math:`\\Sigma = L L^\top` constant, the
    whitened data :math:`w = L^{-1} \\log \\hat x` are independent normals,
    :math:`w \\sim N(L^{-1}(\\mu + s z),\\, s^2/n)`, which is the asymptotic law of the module
    docstring up to a constant Jacobian; ``mu`` and ``s`` are scalars or vectors (one per survey).
    The observed node holds ``w``; the raw log percentiles go beside it as ``<name>_log_percentiles``
    (constant data).
    """
    import pymc as pm

    q = np.asarray(q, dtype=float)
    z = stats.norm.ppf(q)
    inv = np.linalg.inv(np.linalg.cholesky(quantile_cov(q)))
    log_obs = np.asarray(log_obs, dtype=float)
    pm.Data(f"{name}_log_percentiles", log_obs)
    mu, s = pm.math.as_tensor(mu), pm.math.as_tensor(s)
    mean = (mu[..., None] + s[..., None] * z) @ inv.T
    return pm.Normal(name, mu=mean, sigma=(s / np.sqrt(float(n)))[..., None], observed=log_obs @ inv.T)


def free_names(spec) -> list[str]:
    """Names of the sampled quantities in a fixed order: ``ba_<metal>`` then the parameters."""
    u = spec.uncertainty
    return [f"ba_{m}" for m in METALS if u.bioaccessibility[m].dist != "fixed"] + [
        k for k in sorted(u.parameters) if u.parameters[k].dist != "fixed"
    ]


def build_model(spec, evidence: dict | None = None):
    """The PyMC model of a :class:`~tarimhm.uncertainty.twod.TwoDSpec` (``evidence`` overrides the spec's)."""
    import pymc as pm

    u = spec.uncertainty
    evidence = u.evidence if evidence is None else evidence
    with pm.Model() as model:
        rv = {}
        for m in METALS:
            d = u.bioaccessibility[m]
            if d.dist != "fixed":
                rv[f"ba_{m}"] = _prior(pm, f"ba_{m}", d)
        for k in sorted(u.parameters):
            d = u.parameters[k]
            if d.dist != "fixed":
                rv[k] = _prior(pm, k, d)
        for key in sorted(evidence):
            ev = evidence[key]
            g, f = key.split(".")
            base = spec.variability[g][f]

            def par(p, g=g, f=f, base=base):
                k = f"{g}.{f}.{p}"
                if k in rv:
                    return rv[k]
                if k in u.parameters:  # fixed in the spec
                    return float(u.parameters[k].value)
                return float(getattr(base, p))

            qs = np.array(sorted(ev.percentiles), dtype=float) / 100
            obs = np.log([ev.percentiles[p] for p in sorted(ev.percentiles)])
            mu, s = pm.math.log(par("median")), pm.math.log(par("gsd"))
            evidence_likelihood(f"evidence_{g}_{f}", mu, s, qs, ev.n, obs)
    return model


def sample_posterior(
    spec,
    draws: int,
    tune: int,
    chains: int,
    seed: int,
    target_accept: float = 0.9,
    cores: int = 2,
    evidence: dict | None = None,
):
    """NUTS posterior (arviz InferenceData with posterior, sample_stats, prior and constant/observed data).

    ``chains`` chains from ``seed``; with no free quantity (everything fixed) returns None.
    """
    import pymc as pm

    if not free_names(spec):
        return None
    model = build_model(spec, evidence)
    with model, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "PyTensor could not link to a BLAS", UserWarning)
        idata = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=min(chains, cores),
            random_seed=seed,
            progressbar=False,
            target_accept=target_accept,
            compute_convergence_checks=False,
        )
        idata.extend(pm.sample_prior_predictive(draws=draws * chains, random_seed=seed + 1))
    return idata


TIMINGS = ("perf_counter_diff", "perf_counter_start", "process_time_diff")
"""sample_stats variables PyMC fills from the wall clock; with them equal draws would differ in bytes."""


def strip_timings(idata):
    """Drop wall-clock stamps (group attrs ``created_at``, ``sampling_time``; :data:`TIMINGS`) in place."""
    for g in idata.groups():
        ds = getattr(idata, g)
        for k in ("created_at", "sampling_time"):
            ds.attrs.pop(k, None)
    if "sample_stats" in idata.groups():
        idata.sample_stats = idata.sample_stats.drop_vars([v for v in TIMINGS if v in idata.sample_stats])
    return idata


def diagnostics(idata, names: list[str]) -> pd.DataFrame:
    """Per quantity: R-hat (rank-normalised), bulk and tail ESS, MCSE of the mean and of the 5/95 % quantiles."""
    import arviz as az

    post = idata.posterior
    rows = []
    for n in names:
        x = post[n]
        rows.append(
            {
                "quantity": n,
                "r_hat": float(az.rhat(x)[n] if hasattr(az.rhat(x), "data_vars") else az.rhat(x)),
                "ess_bulk": float(_scalar(az.ess(x, method="bulk"), n)),
                "ess_tail": float(_scalar(az.ess(x, method="tail"), n)),
                "mean": float(x.mean()),
                "sd": float(x.std()),
                "mcse_mean": float(_scalar(az.mcse(x, method="mean"), n)),
                "q05": float(x.quantile(0.05)),
                "q95": float(x.quantile(0.95)),
                "mcse_q05": float(_scalar(az.mcse(x, method="quantile", prob=0.05), n)),
                "mcse_q95": float(_scalar(az.mcse(x, method="quantile", prob=0.95), n)),
            }
        )
    return pd.DataFrame(rows)


def _scalar(v, name):
    return v[name] if hasattr(v, "data_vars") else v


def gate(
    idata, names: list[str], rhat_max: float = 1.01, ess_min: float = 400, chains_min: int = 4, n_outer: int = 0
) -> pd.DataFrame:
    """The convergence gate: diagnostics, or :class:`ConvergenceError` naming every failure.

    Passes only with at least ``chains_min`` chains, 0 divergent transitions, and for every quantity
    R-hat <= ``rhat_max`` and bulk and tail ESS >= max(``ess_min``, ``n_outer``) (Vehtari et al.
    2021, *Bayesian Analysis* 16:667, whose R-hat and ESS arviz computes). The second bound keeps
    the ``n_outer`` thinned draws of the outer loop worth as many independent draws as they count.
    """
    need = max(float(ess_min), float(n_outer))
    table = diagnostics(idata, names)
    n_chains = idata.posterior.sizes["chain"]
    div = int(np.asarray(idata.sample_stats["diverging"]).sum())
    table["divergences"] = div
    problems = []
    if n_chains < chains_min:
        problems.append(f"{n_chains} chains (the gate needs >= {chains_min})")
    if div:
        problems.append(f"{div} divergent transitions (need 0; raise target_accept or reparametrise)")
    for r in table.itertuples():
        if not r.r_hat <= rhat_max:
            problems.append(f"{r.quantity}: R-hat {r.r_hat:.4f} > {rhat_max}")
        for k in ("ess_bulk", "ess_tail"):
            if not getattr(r, k) >= need:
                why = f"{need:g}" if need == ess_min else f"{need:g}, the outer draws"
                problems.append(f"{r.quantity}: {k.replace('_', ' ')} {getattr(r, k):.0f} < {why}")
    if problems:
        raise ConvergenceError(
            "the posterior failed the convergence gate: "
            + "; ".join(problems)
            + " (more draws/tune, or check the spec)"
        )
    return table


def outer_draws(idata, names: list[str], n_outer: int) -> dict[str, np.ndarray]:
    """``n_outer`` posterior draws per quantity, evenly spaced over the chain-major draws (thinning)."""
    flat = {n: np.asarray(idata.posterior[n]).reshape(-1) for n in names}
    total = len(next(iter(flat.values()))) if flat else 0
    if n_outer > total:
        raise ValueError(f"n_outer ({n_outer}) exceeds the posterior draws ({total}); sample more draws")
    idx = np.floor(np.arange(n_outer) * (total / n_outer)).astype(int)
    return {n: v[idx] for n, v in flat.items()}
