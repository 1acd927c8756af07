r"""Two-dimensional Monte Carlo of HI and TCR: variability (inner loop) nested in uncertainty (outer loop).

US EPA (2001) *Risk Assessment Guidance for Superfund, Vol. III Part A: Process for Conducting
Probabilistic Risk Assessment* (EPA 540-R-02-002), Ch. 5 and App. D, and the R package mc2d keep
apart two kinds of spread:

* **variability** -- how people differ (body weight, soil ingestion, water intake, ...): sampled
  in the *inner* loop, one draw per simulated person (dimension ``ind``);
* **uncertainty** -- what we do not know (bioaccessibility, the parameters of the variability
  distributions, which toxicity value is right, the true concentrations): sampled in the *outer*
  loop, one draw per plausible state of the world (dimension ``unc``).

A spec ``analysis/uncertainty/twod_<name>.yaml`` (schema :class:`TwoDSpec`, read by
:func:`load_twod_spec`) names a base profile and gives the distributions. :func:`simulate_2d`
evaluates the risk with the same vectorised equations as the deterministic stage
(:func:`tarimhm.risk.assess.soil_terms`, :func:`~tarimhm.risk.assess.water_terms`) and sums the
terms in the deterministic stage's order with the same compensated (Kahan) summation that pandas
applies in :func:`~tarimhm.risk.assess.site_summary`, so a degenerate spec reproduces
:func:`tarimhm.risk.assess.hi_tcr` bit for bit (tested).

Per medium, group and site the result holds, for each outer draw, the inner-loop percentiles
P5/P50/P90/P95 of HI and TCR and the population fractions with HI > 1, TCR > 1e-4 and
TCR > 1e-6; over the outer draws, the median and the 90 % uncertainty interval of each of those
(the "percentile of percentile" reading of RAGS III, App. D), the uncertainty distribution of the
fractions, and an uncertainty/variability ratio (:func:`uv_ratio`). Every percentile and
probability comes with its Monte Carlo standard error (:func:`mcse_probability`,
:func:`mcse_quantile`).

Sampling is simple random sampling (not a Latin hypercube) in both loops, so that the binomial and
order-statistic MCSE formulas hold as stated. Streams: outer draw ``o`` uses
``SeedSequence(seed).spawn(n_outer)[o]``, itself spawned into one stream for the uncertain
quantities and one per group for the persons; a result therefore depends neither on the chunk
size nor on ``n_outer`` (the first 10 outer draws of a 500-draw run equal a 10-draw run).

Rank correlations between the variability factors of a group are induced by the method of
Iman, R. L. and Conover, W. J. (1982), "A distribution-free approach to inducing rank correlation
among input variables", *Communications in Statistics - Simulation and Computation* 11(3),
311-334 (:func:`iman_conover`); scipy has no implementation of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import stats

from .._errors import ConfigError
from ..config import load_yaml
from ..domain import GROUPS, MEDIA, METALS, PATHWAYS
from ..risk.assess import concentrations, soil_terms, water_terms
from ..risk.profiles import GROUP_UNITS, TOX_UNITS, Profile, Q, load_profile
from .montecarlo import NEEDS, Dist, spec_path

__all__ = [
    "TwoDSpec",
    "Scenario",
    "ToxChoice",
    "Correlation",
    "Concentration",
    "Evidence",
    "OuterDraw",
    "spearman_to_pearson",
    "load_twod_spec",
    "validate_twod",
    "iman_conover",
    "inner_draws",
    "outer_draw",
    "simulate_2d",
    "mcse_probability",
    "mcse_quantile",
    "quantile_interval",
    "n_inner_for_rel_mcse",
    "n_inner_from_pilot",
    "uv_ratio",
    "memory_estimate",
    "VAR_PERCENTILES",
    "UNC_QUANTILES",
    "THRESHOLDS",
]

VAR_PERCENTILES = (1.0, 5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0)
"""Inner-loop (variability) percentiles reported per outer draw: the variability CDF of figU4; P5 serves the U/V ratio."""
UNC_QUANTILES = (0.05, 0.5, 0.95)
"""Outer-loop (uncertainty) quantiles: the median and the 90 % uncertainty interval."""
THRESHOLDS = {"HI": (1.0,), "TCR": (1e-4, 1e-6)}
LOCATION_PARAMS = ("value", "min", "mode", "max", "median", "mean", "sd")
"""Parameters of a distribution in the unit of its quantity; gsd, a and b are dimensionless."""
_POSITIVE = {"median": 0.0, "sd": 0.0, "a": 0.0, "b": 0.0, "gsd": 1.0}
"""Parameters that must exceed a bound (gsd > 1, the others > 0); every other parameter must be >= 0."""


# --------------------------------------------------------------------------------------------- schema


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scenario(_Strict):
    """One candidate toxicity value with its subjective probability (weight)."""

    value: float = Field(gt=0)
    weight: float = Field(gt=0, le=1)
    source: str = Field(min_length=2)


class ToxChoice(_Strict):
    """A toxicity value known only as weighted discrete scenarios (e.g. IRIS 1991 vs IRIS 2025).

    ``also`` lists further fields of the same metal that take the scenario's value (e.g. the dermal
    RfD when it is RfDo x GIABS with GIABS 1, RAGS Part E), so that they cannot disagree.
    """

    unit: str
    scenarios: dict[str, Scenario] = Field(min_length=1)
    also: tuple[str, ...] = ()
    follows: str | None = None
    """``<metal>.<field>`` of another choice with the same scenario names: this one takes its scenario
    in every outer draw (values of one assessment go together, e.g. IRIS 2025's As RfD and slope factor)."""


class Correlation(_Strict):
    """Target Spearman rank correlations between variability factors of one group."""

    factors: tuple[str, ...] = Field(min_length=2)
    matrix: tuple[tuple[float, ...], ...]
    source: str = Field(min_length=2)


class Concentration(_Strict):
    """How the concentrations of one medium are uncertain (outer loop)."""

    mode: Literal["fixed", "ensemble", "measurement_error"] = "fixed"
    cv: float | dict[str, float] | None = None
    source: str | None = None


class Evidence(_Strict):
    """Summary statistics of a survey of one variability factor: sample size and sample percentiles.

    Its likelihood (:func:`tarimhm.uncertainty.propagate.evidence_likelihood`) updates the uncertain
    parameters (``uncertainty.parameters``) of that factor's lognormal distribution.
    """

    n: int = Field(ge=2)
    percentiles: dict[float, float] = Field(min_length=1)
    unit: str
    source: str = Field(min_length=2)


class Uncertainty(_Strict):
    bioaccessibility: dict[str, Dist]
    parameters: dict[str, Dist] = {}
    toxicity: dict[str, dict[str, ToxChoice]] = {}
    concentrations: dict[Literal["soil", "water"], Concentration] = {}
    evidence: dict[str, Evidence] = {}


class _Problems(ValueError):
    """Semantic problems of a spec, each as (dotted key, message)."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{k}: {m}" for k, m in problems))
        self.problems = problems


def _lower(d: Dist) -> float:
    return d.value if d.dist == "fixed" else float(d.frozen().support()[0])


class TwoDSpec(_Strict):
    """A two-dimensional Monte Carlo spec (``analysis/uncertainty/twod_<name>.yaml``).

    ``variability.<group>.<factor>``: a :class:`~tarimhm.uncertainty.montecarlo.Dist` per person;
    factors not listed keep the base profile's value. ``correlations.<group>``: target Spearman
    matrix between listed factors. ``uncertainty``: ``bioaccessibility`` of all five metals (beta or
    fixed), ``parameters`` (``<group>.<factor>.<parameter>``: a distribution of a parameter of a
    variability distribution), ``toxicity`` (``<metal>.<field>``: weighted scenarios) and
    ``concentrations`` per medium (fixed, ensemble or lognormal measurement error with a CV).
    """

    name: str = Field(min_length=1)
    title: str
    base_profile: str = Field(min_length=1)
    variability: dict[Literal["child", "adult"], dict[str, Dist]] = {}
    correlations: dict[Literal["child", "adult"], Correlation] = {}
    uncertainty: Uncertainty

    @model_validator(mode="after")
    def _check(self):
        if problems := self.problems():
            raise _Problems(problems)
        return self

    def problems(self) -> list[tuple[str, str]]:
        """Every semantic problem as (dotted key, message); empty when the spec is sound."""
        out: list[tuple[str, str]] = []
        for g, factors in self.variability.items():
            for k, d in factors.items():
                key = f"variability.{g}.{k}"
                if k not in GROUP_UNITS:
                    out.append((key, f"not an exposure factor; use one of {', '.join(GROUP_UNITS)}"))
                    continue
                if d.unit != GROUP_UNITS[k]:
                    out.append((f"{key}.unit", f"{d.unit!r} is not the unit of {k}; use {GROUP_UNITS[k]!r}"))
                if d.dist == "beta":
                    out.append(
                        (
                            key,
                            f"beta is a distribution of a fraction on [0, 1]; {k} is in {GROUP_UNITS[k]}: "
                            "use lognormal, truncnormal, triangular, uniform or fixed",
                        )
                    )
        out += self._correlation_problems()
        out += self._uncertainty_problems()
        return out

    def _correlation_problems(self) -> list[tuple[str, str]]:
        out = []
        for g, cor in self.correlations.items():
            key = f"correlations.{g}"
            known = self.variability.get(g, {})
            for f in cor.factors:
                if f not in known:
                    out.append((f"{key}.factors", f"{f!r} has no variability distribution in variability.{g}"))
                elif known[f].dist == "fixed":
                    out.append((f"{key}.factors", f"{f!r} is fixed within the inner loop; it cannot be correlated"))
            if len(set(cor.factors)) != len(cor.factors):
                out.append((f"{key}.factors", "a factor is listed twice"))
            d = len(cor.factors)
            if len(cor.matrix) != d or any(len(r) != d for r in cor.matrix):
                out.append((f"{key}.matrix", f"must be {d} x {d} (one row and column per factor)"))
                continue
            c = np.array(cor.matrix, dtype=float)
            if not np.allclose(c, c.T, rtol=0, atol=1e-12):
                out.append((f"{key}.matrix", "not symmetric"))
            elif not np.all(np.diag(c) == 1):
                out.append((f"{key}.matrix", "the diagonal must be 1"))
            elif np.any(np.abs(c) > 1):
                out.append((f"{key}.matrix", "rank correlations lie in [-1, 1]"))
            else:
                for name, m in (("", c), (" after conversion to normal scores", spearman_to_pearson(c))):
                    lam = float(np.linalg.eigvalsh(m).min())
                    if lam <= 1e-10:
                        out.append((f"{key}.matrix", f"not positive definite{name} (smallest eigenvalue {lam:.3g})"))
                        break
        return out

    def _uncertainty_problems(self) -> list[tuple[str, str]]:
        out = []
        u = self.uncertainty
        for m, d in u.bioaccessibility.items():
            key = f"uncertainty.bioaccessibility.{m}"
            if m not in METALS:
                out.append((key, f"unknown metal; use one of {', '.join(METALS)}"))
            elif d.dist not in ("beta", "fixed") or d.unit != "1" or (d.dist == "fixed" and d.value > 1):
                out.append((key, "a fraction in [0, 1] with unit '1': beta {a, b} or fixed {value <= 1}"))
        for m in METALS:
            if m not in u.bioaccessibility:
                out.append((f"uncertainty.bioaccessibility.{m}", "missing; give all five metals (fixed 1 = total)"))
        for key, d in u.parameters.items():
            out += _parameter_problems(f"uncertainty.parameters.{key}", key, d, self.variability)
        for m, fields in u.toxicity.items():
            if m not in METALS:
                out.append((f"uncertainty.toxicity.{m}", f"unknown metal; use one of {', '.join(METALS)}"))
                continue
            for f, ch in fields.items():
                key = f"uncertainty.toxicity.{m}.{f}"
                if f not in TOX_UNITS:
                    out.append((key, f"not a toxicity value; use one of {', '.join(TOX_UNITS)}"))
                    continue
                if ch.unit != TOX_UNITS[f]:
                    out.append((f"{key}.unit", f"{ch.unit!r} is not the unit of {f}; use {TOX_UNITS[f]!r}"))
                for a in ch.also:
                    if a not in TOX_UNITS or TOX_UNITS[a] != TOX_UNITS[f] or a == f:
                        out.append((f"{key}.also", f"{a!r}: not another toxicity value in {TOX_UNITS[f]!r}"))
                total = math.fsum(s.weight for s in ch.scenarios.values())
                if abs(total - 1) > 1e-9:
                    out.append((f"{key}.scenarios", f"weights sum to {total:g}; they must sum to 1"))
                if ch.follows:
                    parts = ch.follows.split(".")
                    lead = u.toxicity.get(parts[0], {}).get(parts[-1]) if len(parts) == 2 else None
                    if lead is None or ch.follows == f"{m}.{f}":
                        out.append((f"{key}.follows", f"{ch.follows!r} is not another toxicity choice <metal>.<field>"))
                    elif lead.follows:
                        out.append((f"{key}.follows", f"{ch.follows!r} itself follows another choice; follow the lead"))
                    elif list(lead.scenarios) != list(ch.scenarios) or (
                        abs(math.fsum(s.weight for s in lead.scenarios.values()) - 1) <= 1e-9
                        and any(lead.scenarios[k].weight != ch.scenarios[k].weight for k in ch.scenarios)
                    ):
                        out.append((f"{key}.follows", f"scenario names and weights must equal those of {ch.follows}"))
        out += self._evidence_problems()
        for med, c in u.concentrations.items():
            key = f"uncertainty.concentrations.{med}"
            if c.mode == "measurement_error":
                cvs = c.cv if isinstance(c.cv, dict) else {m: c.cv for m in METALS}
                if c.cv is None:
                    out.append((f"{key}.cv", "measurement_error needs a coefficient of variation cv (> 0)"))
                else:
                    for m, v in cvs.items():
                        if m not in METALS:
                            out.append((f"{key}.cv.{m}", f"unknown metal; use one of {', '.join(METALS)}"))
                        elif not 0 < v <= 3:
                            out.append((f"{key}.cv", f"{m}: cv must be in (0, 3], got {v}"))
            elif c.cv is not None:
                out.append((f"{key}.cv", f"only measurement_error takes a cv, not {c.mode}"))
            if c.mode != "fixed" and not c.source:
                out.append((f"{key}.source", "say where the uncertainty comes from"))
        return out

    def _evidence_problems(self) -> list[tuple[str, str]]:
        out = []
        u = self.uncertainty
        for name, ev in u.evidence.items():
            key = f"uncertainty.evidence.{name}"
            parts = name.split(".")
            if len(parts) != 2 or parts[0] not in GROUPS:
                out.append((key, "name a survey as <group>.<factor>, e.g. adult.IRw"))
                continue
            g, f = parts
            d = self.variability.get(g, {}).get(f)
            if d is None:
                out.append((key, f"{f!r} has no variability distribution in variability.{g}"))
                continue
            if d.dist != "lognormal":
                out.append(
                    (key, f"survey percentiles update a lognormal distribution; variability.{g}.{f} is {d.dist}")
                )
            if ev.unit != d.unit:
                out.append((f"{key}.unit", f"{ev.unit!r} is not the unit of {f}; use {d.unit!r}"))
            free = [p for p in ("median", "gsd") if f"{g}.{f}.{p}" in u.parameters]
            if not free:
                out.append(
                    (key, f"nothing to update: give {g}.{f}.median and/or {g}.{f}.gsd in uncertainty.parameters")
                )
            for p, v in ev.percentiles.items():
                if not 0 < p < 100:
                    out.append((f"{key}.percentiles", f"percentile {p:g} must lie in (0, 100)"))
                if not v > 0:
                    out.append((f"{key}.percentiles", f"P{p:g} = {v:g}: a lognormal percentile is > 0"))
                if 0 < p < 100 and ev.n * min(p, 100 - p) / 100 < 5:
                    # the likelihood is the large-sample normal law of sample percentiles; with fewer
                    # than ~5 persons beyond a percentile its sampling law is discrete and skewed
                    out.append(
                        (
                            f"{key}.percentiles",
                            f"P{p:g} of a survey of n = {ev.n} has {ev.n * min(p, 100 - p) / 100:.1f} persons "
                            "beyond it; the large-sample likelihood needs >= 5 (a larger survey or a central percentile)",
                        )
                    )
            ps = sorted(ev.percentiles)
            if any(ev.percentiles[a] >= ev.percentiles[b] for a, b in zip(ps, ps[1:])):
                out.append((f"{key}.percentiles", "values must increase with the percentile"))
        return out

    def inner_factors(self, group: str) -> list[str]:
        """Variability factors of a group in a fixed order (that of :data:`GROUP_UNITS`)."""
        return [k for k in GROUP_UNITS if k in self.variability.get(group, {})]


def _parameter_problems(key: str, name: str, d: Dist, variability: dict) -> list[tuple[str, str]]:
    parts = name.split(".")
    if len(parts) != 3:
        return [(key, "name an uncertain parameter as <group>.<factor>.<parameter>, e.g. child.IngR.median")]
    g, f, p = parts
    if g not in GROUPS:
        return [(key, f"unknown group {g!r}; use one of {', '.join(GROUPS)}")]
    if f not in variability.get(g, {}):
        return [(key, f"{f!r} has no variability distribution in variability.{g}")]
    base = variability[g][f]
    if p not in NEEDS[base.dist]:
        return [(key, f"{base.dist} has no parameter {p!r}; use one of {', '.join(NEEDS[base.dist])}")]
    out = []
    unit = base.unit if p in LOCATION_PARAMS else "1"
    if d.unit != unit:
        out.append((f"{key}.unit", f"{d.unit!r} is not the unit of {p}; use {unit!r}"))
    if d.dist == "beta" and unit != "1":
        out.append((key, f"beta is a distribution of a fraction on [0, 1]; {p} is in {unit}"))
    lo, bound = _lower(d), _POSITIVE.get(p, 0.0)
    ok = lo > bound if (p in _POSITIVE and d.dist == "fixed") else lo >= bound
    if not ok:
        out.append((key, f"{p} must be {'>' if p in _POSITIVE else '>='} {bound:g}; this distribution reaches {lo:g}"))
    return out


def _format(path, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        problem = (err.get("ctx") or {}).get("error")
        if isinstance(problem, _Problems):
            lines += [f"{path}: {k}: {m}" for k, m in problem.problems]
            continue
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(top level)"
        msg = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            msg = "unknown key (typo?); remove it or check the spelling against the schema"
        elif err.get("type") == "missing":
            msg = "required key is missing; add it"
        got = repr(err.get("input"))
        lines.append(f"{path}: {loc}: {msg} (got {got[:77] + '...' if len(got) > 80 else got})")
    return "\n".join(lines)


def validate_twod(data: dict, path: str | Path = "<spec>") -> TwoDSpec:
    """Validate a spec mapping; a :class:`ConfigError` has one line per problem, ``file: dotted.key: problem``."""
    try:
        return TwoDSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format(path, exc)) from None


def load_twod_spec(name_or_path: str | Path) -> tuple[TwoDSpec, Path]:
    """Load ``analysis/uncertainty/<name>.yaml`` (or a path) and its base profile; nothing is written."""
    path = spec_path(name_or_path, "twod_*.yaml", "2-D uncertainty spec")
    spec = validate_twod(load_yaml(path), path)
    load_profile(spec.base_profile)  # fails early, naming the profile
    return spec, path


# ------------------------------------------------------------------------------------ correlations


def spearman_to_pearson(rho_s: np.ndarray) -> np.ndarray:
    r"""Pearson correlation of a bivariate normal with Spearman correlation :math:`\rho_s`.

    .. math:: r = 2 \sin(\pi \rho_s / 6)

    (Pearson 1907; Kruskal 1958). Iman & Conover (1982) impose a Pearson correlation on normal
    (van der Waerden) scores; converting the target first makes the induced *rank* correlation
    match it in expectation instead of falling short by up to 0.018.
    """
    return 2 * np.sin(np.pi * np.asarray(rho_s, dtype=float) / 6)


def iman_conover(x: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    r"""Reorder the columns of ``x`` (n, d) so that their Spearman correlation is close to ``target``.

    Iman & Conover (1982), Commun. Stat. Simul. Comput. 11(3):311-334, as recommended for
    correlated inputs in US EPA (2001) RAGS III, App. D (scipy has none, so it is written here):

    1. score matrix S: each column a random permutation of the van der Waerden scores
       :math:`\Phi^{-1}(i/(n+1))`, :math:`i = 1..n`;
    2. with :math:`T = \mathrm{corr}(S) = E E^\top` and :math:`C = P P^\top` (Cholesky; C the
       target converted by :func:`spearman_to_pearson`), :math:`S^* = S E^{-\top} P^\top` has
       sample correlation exactly C;
    3. each column of x is rearranged to have the ranks of the matching column of :math:`S^*`.

    The margins are untouched (every column keeps its values); only the pairing changes.
    """
    x = np.asarray(x, dtype=float)
    n, d = x.shape
    c = spearman_to_pearson(target)
    if c.shape != (d, d):
        raise ValueError(f"target must be {d} x {d}, got {c.shape}")
    if n <= d:
        raise ValueError(f"Iman-Conover needs more draws ({n}) than factors ({d})")
    scores = stats.norm.ppf(np.arange(1, n + 1) / (n + 1))
    s = np.column_stack([rng.permutation(scores) for _ in range(d)])
    e = np.linalg.cholesky(np.corrcoef(s, rowvar=False))
    p = np.linalg.cholesky(c)
    s_star = s @ np.linalg.inv(e).T @ p.T
    ranks = np.argsort(np.argsort(s_star, axis=0, kind="stable"), axis=0, kind="stable")
    return np.take_along_axis(np.sort(x, axis=0), ranks, axis=0)


# ------------------------------------------------------------------------------------------ sampling


def _streams(seed: int, o: int) -> list[np.random.Generator]:
    """[uncertainty, child, adult] generators of outer draw o: SeedSequence(seed).spawn(n)[o].spawn(3)."""
    ss = np.random.SeedSequence(seed, spawn_key=(o,))
    return [np.random.Generator(np.random.PCG64(s)) for s in ss.spawn(1 + len(GROUPS))]


@dataclass(frozen=True)
class OuterDraw:
    """The uncertain quantities of one outer draw."""

    ba: np.ndarray  # (metal,) bioaccessible fraction
    params: dict[str, float]  # '<group>.<factor>.<parameter>' -> value
    tox: dict[tuple[str, str], int]  # (metal, field) -> scenario index
    conc_z: dict[str, np.ndarray]  # medium -> standard normals (site, metal) of the measurement error


def outer_draw(
    spec: TwoDSpec, seed: int, o: int, n_sites: dict[str, int], posterior: dict[str, np.ndarray] | None = None
) -> OuterDraw:
    """Draw outer (uncertainty) draw ``o``. One uniform is consumed per quantity, fixed or not, in a
    fixed order (bioaccessibility by metal, parameters by name, toxicity by metal and field, then the
    measurement error of soil and water), so that making one quantity vary leaves the others' draws.

    ``posterior`` (name -> one value per outer draw; names ``ba_<metal>`` and the parameter keys, as
    :func:`tarimhm.uncertainty.propagate.outer_draws` gives them) replaces the prior draw of those
    quantities by posterior draw ``o``; the uniform is still consumed."""
    rng = _streams(seed, o)[0]
    u = spec.uncertainty
    post = posterior or {}
    ba = np.array([u.bioaccessibility[m].ppf(rng.random()) for m in METALS], dtype=float)
    for i, m in enumerate(METALS):
        if f"ba_{m}" in post:
            ba[i] = float(post[f"ba_{m}"][o])
    params = {k: float(u.parameters[k].ppf(rng.random())) for k in sorted(u.parameters)}
    params.update({k: float(post[k][o]) for k in params if k in post})
    tox = {}
    for m in sorted(u.toxicity):
        for f in sorted(u.toxicity[m]):
            w = np.cumsum([s.weight for s in u.toxicity[m][f].scenarios.values()])
            tox[(m, f)] = int(min(np.searchsorted(w / w[-1], rng.random(), side="right"), len(w) - 1))
    for m in sorted(u.toxicity):  # linked choices take the scenario of the choice they follow
        for f, ch in u.toxicity[m].items():
            if ch.follows:
                tm, tf = ch.follows.split(".")
                tox[(m, f)] = tox[(tm, tf)]
    conc_z = {}
    for med in MEDIA:
        c = u.concentrations.get(med)
        if c is not None and c.mode == "measurement_error":
            conc_z[med] = rng.standard_normal((n_sites[med], len(METALS)))
    return OuterDraw(ba, params, tox, conc_z)


def _inner_dists(spec: TwoDSpec, group: str, od: OuterDraw, o: int) -> dict[str, Dist]:
    """The group's variability distributions with this outer draw's uncertain parameters."""
    out = {}
    for f in spec.inner_factors(group):
        d = spec.variability[group][f]
        upd = {p: v for k, v in od.params.items() for g, ff, p in [k.split(".")] if g == group and ff == f}
        if upd:
            try:
                d = Dist.model_validate({**d.model_dump(), **upd})
            except ValidationError as exc:
                msg = "; ".join(e["msg"] for e in exc.errors())
                raise ValueError(
                    f"outer draw {o}: uncertainty.parameters of variability.{group}.{f} give an invalid "
                    f"distribution {upd}: {msg}; narrow the parameter distributions"
                ) from None
        out[f] = d
    return out


def inner_draws(
    spec: TwoDSpec, seed: int, o: int, n_inner: int, od: OuterDraw | None = None, inner_seed: int | None = None
) -> dict[str, pd.DataFrame]:
    """Per group, ``n_inner`` persons of outer draw ``o``: one column per variability factor.

    Uniforms for every factor (fixed ones too, to keep the streams aligned), Iman-Conover on the
    correlated ones, then each column through its quantile function. ``inner_seed`` draws the
    persons from another seed's streams while the outer draw stays (tail-stability runs).
    """
    od = od or outer_draw(spec, seed, o, {m: 0 for m in MEDIA})
    out = {}
    for gi, g in enumerate(GROUPS):
        rng = _streams(seed if inner_seed is None else inner_seed, o)[1 + gi]
        dists = _inner_dists(spec, g, od, o)
        names = list(dists)
        u = rng.random((n_inner, len(names)))
        cor = spec.correlations.get(g)
        if cor is not None:
            j = [names.index(f) for f in cor.factors]
            u[:, j] = iman_conover(u[:, j], np.array(cor.matrix), rng)
        out[g] = pd.DataFrame({f: dists[f].ppf(u[:, i]) for i, f in enumerate(names)}, index=pd.RangeIndex(n_inner))
    return out


# ------------------------------------------------------------------------------------------- MCSE


def mcse_probability(p, n):
    r"""Monte Carlo standard error of a proportion :math:`\hat p` of n independent draws.

    .. math:: \mathrm{MCSE}(\hat p) = \sqrt{\hat p (1 - \hat p) / n}

    It is 0 when :math:`\hat p` is 0 or 1; read 3/n as the 95 % upper bound then ("rule of three").
    """
    p = np.asarray(p, dtype=float)
    return np.sqrt(p * (1 - p) / n)


def quantile_interval(x: np.ndarray, q: float, axis: int = 0, level: float = 0.95, presorted: bool = False):
    r"""Distribution-free interval [X_(r), X_(s)] for the q-quantile from the binomial law of order statistics.

    With :math:`B \sim \mathrm{Bin}(n, q)` the number of draws below the true quantile,
    :math:`r = F_B^{-1}(\alpha/2)`, :math:`s = F_B^{-1}(1-\alpha/2) + 1` give coverage
    :math:`P(r \le B \le s-1) \ge 1-\alpha` (e.g. Conover 1999, Practical Nonparametric Statistics, Sect. 3.2).
    """
    xs = np.moveaxis(np.asarray(x, dtype=float), axis, 0)
    xs = xs if presorted else np.sort(xs, axis=0)
    r, s = _order_indices(xs.shape[0], q, level)
    return xs[r], xs[s]


def _order_indices(n: int, q: float, level: float) -> tuple[int, int]:
    a = (1 - level) / 2
    r = int(stats.binom.ppf(a, n, q))
    s = int(stats.binom.ppf(1 - a, n, q)) + 1
    return min(max(r, 1), n) - 1, min(max(s, 1), n) - 1  # 0-based


def _kde_density(x: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Gaussian KDE of each column of x (n, m) at ``at`` (m,): on log scale when x > 0, Silverman's bandwidth."""
    log = bool(np.all(x > 0))
    y, t = (np.log(x), np.log(at)) if log else (x, at)
    n = y.shape[0]
    iqr = np.subtract(*np.percentile(y, [75, 25], axis=0))
    sd = y.std(axis=0, ddof=1)
    h = 0.9 * np.minimum(sd, np.where(iqr > 0, iqr / 1.34, sd)) * n ** (-0.2)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = stats.norm.pdf((t[None] - y) / h).mean(axis=0) / h
        return g / at if log else g


def mcse_quantile(
    x: np.ndarray,
    q: float,
    axis: int = 0,
    method: Literal["order", "kde"] = "order",
    level: float = 0.95,
    presorted: bool = False,
):
    r"""Monte Carlo standard error of the sample q-quantile of n independent draws along ``axis``.

    ``order`` (default, distribution-free): the half-width of the binomial order-statistic interval
    (:func:`quantile_interval`) divided by :math:`z_{1-\alpha/2}`. ``kde``: the asymptotic formula

    .. math:: \mathrm{MCSE}(\hat x_q) = \frac{\sqrt{q(1-q)/n}}{f(x_q)}

    with f a Gaussian kernel density estimate (Silverman's rule; on the log scale when every draw is
    positive, :math:`f(x) = g(\ln x)/x`, as HI and TCR are right-skewed). Both agree for large n.
    """
    xs = np.moveaxis(np.asarray(x, dtype=float), axis, 0)
    xs = xs if presorted else np.sort(xs, axis=0)
    n = xs.shape[0]
    if method == "order":
        r, s = _order_indices(n, q, level)
        return (xs[s] - xs[r]) / (2 * stats.norm.ppf(1 - (1 - level) / 2))
    if method != "kde":
        raise ValueError(f"method must be 'order' or 'kde', got {method!r}")
    flat = xs.reshape(n, -1)
    xq = np.quantile(flat, q, axis=0)
    f = _kde_density(flat, xq)
    return (np.sqrt(q * (1 - q) / n) / f).reshape(xs.shape[1:])


def n_inner_for_rel_mcse(pilot: np.ndarray, q: float = 0.95, rel: float = 0.01) -> int:
    r"""Inner draws needed for a relative MCSE of the q-quantile (default P95) of at most ``rel``.

    From a pilot sample, :math:`x_q` and :math:`f(x_q)` (log-scale KDE, as in :func:`mcse_quantile`):

    .. math:: n \ge \frac{q (1-q)}{(\mathrm{rel} \cdot x_q \cdot f(x_q))^2}

    For a lognormal with log-SD :math:`\sigma` this is :math:`q(1-q)\sigma^2/(\mathrm{rel}\,\phi(z_q))^2`.
    """
    x = np.asarray(pilot, dtype=float).reshape(-1, 1)
    xq = np.quantile(x, q, axis=0)
    f = _kde_density(x, xq)
    return int(math.ceil(q * (1 - q) / float(rel * xq[0] * f[0]) ** 2))


def n_inner_from_pilot(pilot: dict[str, xr.Dataset], n_pilot: int, rel: float = 0.01) -> int:
    r"""Inner draws for a relative MCSE of P95 of at most ``rel`` everywhere, from a pilot 2-D run.

    The MCSE of a quantile shrinks as :math:`1/\sqrt{n}` (tested), so a pilot of ``n_pilot`` persons
    with relative MCSE :math:`r` needs :math:`n_{pilot} (r / \mathrm{rel})^2`. Per medium, group,
    site and output the pilot's median over its outer draws; the largest over all of them is returned.
    Outputs that are 0 for everyone (no carcinogen in the medium) are skipped.
    """
    need = 1
    for ds in pilot.values():
        for out in ("HI", "TCR"):
            p = ds[f"{out}_var_pct"].sel(var_pct=95.0)
            se = ds[f"{out}_var_pct_mcse"].sel(var_pct=95.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                r = (se / p).where(p > 0).max("unc")  # the pilot's worst outer draw, not its median
            r = np.asarray(r)
            if np.isfinite(r).any():
                need = max(need, int(math.ceil(n_pilot * (np.nanmax(r) / rel) ** 2)))
    return need


def uv_ratio(p5: np.ndarray, p50: np.ndarray, p95: np.ndarray, level: float = 0.90) -> np.ndarray:
    r"""Uncertainty/variability ratio of one output, arrays (unc, ...) of inner-loop percentiles.

    .. math:: \mathrm{UV} = \frac{Q^{unc}_{0.95}(P50) - Q^{unc}_{0.05}(P50)}{P95_{o^*} - P5_{o^*}}

    numerator: width of the 90 % uncertainty interval of the median person; denominator: the width
    of the central 90 % of the variability distribution in the *median outer draw* o*, the draw whose
    P50 is the lower median of the P50s over the outer draws. UV > 1: what we do not know spreads
    the median person's risk more than people differ from each other (RAGS III, Ch. 5 reads the
    two dimensions this way); NaN when the inner loop does not vary.
    """
    a = (1 - level) / 2
    lo, hi = np.quantile(p50, [a, 1 - a], axis=0)
    o_star = np.argsort(p50, axis=0, kind="stable")[(p50.shape[0] - 1) // 2]
    width_v = np.take_along_axis(p95 - p5, o_star[None], axis=0)[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(width_v > 0, (hi - lo) / width_v, np.nan)


# ----------------------------------------------------------------------------------------- simulation


def _kahan(terms) -> np.ndarray:
    """Compensated sum in the given order: the algorithm and order of pandas' groupby sum in site_summary."""
    s = c = None
    for v in terms:
        if s is None:
            s, c = np.zeros(np.shape(v)), np.zeros(np.shape(v))
        y = v - c
        t = s + y
        c = (t - s) - y
        s = t
    return s


def _profile_for(prof: Profile, spec: TwoDSpec, tox: dict[tuple[str, str], int], cache: dict) -> Profile:
    key = tuple(sorted(tox.items()))
    if key not in cache:
        tables = dict(prof.toxicity)
        for (m, f), i in tox.items():
            ch = spec.uncertainty.toxicity[m][f]
            name, sc = list(ch.scenarios.items())[i]
            q = Q(value=sc.value, unit=ch.unit, source=f"{name}: {sc.source}")
            tables[m] = tables[m].model_copy(update={k: q for k in (f, *ch.also)})
        cache[key] = prof.model_copy(update={"toxicity": tables})
    return cache[key]


def _tables(tables, medium: str, mode: str, n_outer: int) -> list[pd.DataFrame]:
    if isinstance(tables, pd.DataFrame):
        tables = [tables]
    tables = list(tables)
    if mode == "ensemble" and len(tables) < n_outer:
        raise ValueError(
            f"{medium}: the spec asks for an ensemble of site tables, one per outer draw; "
            f"got {len(tables)} for {n_outer} outer draws"
        )
    if mode != "ensemble" and len(tables) != 1:
        raise ValueError(
            f"{medium}: {len(tables)} site tables given but the spec's concentrations are {mode}; pass one"
        )
    ids = tables[0]["site_id"].to_numpy()
    for i, t in enumerate(tables[: max(n_outer, 1)]):
        if not np.array_equal(t["site_id"].to_numpy(), ids):
            raise ValueError(f"{medium}: ensemble member {i} has other sites (or another order) than member 0")
    return tables


def memory_estimate(n_outer: int, n_inner: int, n_sites: int, chunk: int, keep_draws: bool = False) -> int:
    """Upper estimate (bytes) of the peak memory of :func:`simulate_2d` for one medium.

    About 60 float64 temporaries of (chunk, sites, metals) inside the risk equations, 4 inner
    buffers (n_inner, sites), the per-outer summaries, and the draws themselves if kept.
    """
    per_chunk = 60 * min(chunk, n_inner) * n_sites * len(METALS) * 8
    inner = 4 * 2 * n_inner * n_sites * 8
    summaries = len(GROUPS) * n_outer * n_sites * 2 * 2 * (len(VAR_PERCENTILES) + 2) * 8
    draws = len(GROUPS) * 2 * n_outer * n_inner * n_sites * 8 if keep_draws else 0
    return per_chunk + inner + summaries + draws


def _stats(x: np.ndarray, out: str, mcse_method: str) -> dict[str, np.ndarray]:
    """Inner-loop statistics of x (n_inner, sites) of one outer draw."""
    xs = np.sort(x, axis=0)
    n = xs.shape[0]
    pct = np.percentile(xs, VAR_PERCENTILES, axis=0)
    se = np.stack([mcse_quantile(xs, p / 100, method=mcse_method, presorted=True) for p in VAR_PERCENTILES])
    frac = np.stack([(x > t).mean(axis=0) for t in THRESHOLDS[out]])
    return {"pct": pct.T, "pct_mcse": se.T, "frac": frac.T, "frac_mcse": mcse_probability(frac, n).T}


def simulate_2d(
    spec: TwoDSpec,
    soil_tables: pd.DataFrame | Sequence[pd.DataFrame],
    water_tables: pd.DataFrame | Sequence[pd.DataFrame],
    n_outer: int,
    n_inner: int,
    seed: int,
    chunk: int = 1000,
    keep_draws: bool = False,
    prof: Profile | None = None,
    mcse_method: Literal["order", "kde"] = "order",
    max_bytes: int = 2 * 1024**3,
    posterior: dict[str, np.ndarray] | None = None,
    inner_seed: int | None = None,
    threads: int = 1,
    progress=None,
) -> dict[str, xr.Dataset]:
    """Two-dimensional Monte Carlo (US EPA 2001, RAGS III, EPA 540-R-02-002, App. D): {medium: Dataset}.

    ``soil_tables`` / ``water_tables``: one site table, or (concentrations ``ensemble``) a sequence
    with one table per outer draw. The inner loop runs in chunks of ``chunk`` persons, which bounds
    the memory (:func:`memory_estimate`) without changing any number. ``keep_draws`` adds every
    person's HI and TCR (dims group, unc, ind, site) -- for small runs and tests.

    Each Dataset (dims ``group``, ``unc``, ``site``, ``var_pct``, ``unc_q``, thresholds) holds per
    outer draw ``<out>_var_pct`` (inner-loop percentiles) and ``<out>_frac_exceed`` (fraction of the
    population above each threshold), with their MCSE; over the outer draws ``*_unc`` (median and 90 %
    uncertainty interval, with their MCSE from ``n_outer``), ``<out>_frac_exceed_mean`` and
    ``<out>_uv_ratio`` (:func:`uv_ratio`); and the drawn uncertain inputs. CF ``units`` and
    ``long_name`` on every variable. ``posterior``: outer draws of the continuous uncertain
    quantities from the PyMC model (:func:`tarimhm.uncertainty.propagate.outer_draws`) in place of
    their prior draws. ``inner_seed``: persons from another seed (the outer draws stay; tail
    stability). ``threads``: outer draws computed in parallel threads (joined in order: the same
    bytes as 1 thread). ``progress``: a callable advanced by one per outer draw (e.g. tqdm.update).
    """
    if posterior is not None:
        short = {k: len(v) for k, v in posterior.items() if len(v) < n_outer}
        if short:
            raise ValueError(f"posterior draws fewer than n_outer ({n_outer}): {short}")
    for k, v in (("n_outer", n_outer), ("n_inner", n_inner), ("chunk", chunk)):
        if not isinstance(v, int | np.integer) or v < 1:
            raise ValueError(f"{k} must be a positive integer, got {v!r}")
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    if n_inner < 2:
        raise ValueError("n_inner must be >= 2 (percentiles over persons)")
    prof = prof or load_profile(spec.base_profile)
    conc_mode = {m: spec.uncertainty.concentrations.get(m, Concentration()).mode for m in MEDIA}
    tabs = {"soil": _tables(soil_tables, "soil", conc_mode["soil"], n_outer)}
    tabs["water"] = _tables(water_tables, "water", conc_mode["water"], n_outer)
    n_sites = {m: len(tabs[m][0]) for m in MEDIA}
    need = sum(memory_estimate(n_outer, n_inner, n_sites[m], chunk, keep_draws) for m in MEDIA)
    if need > max_bytes:
        raise ValueError(
            f"the run would need about {need / 1024**3:.1f} GB (> {max_bytes / 1024**3:.1f} GB); "
            "lower chunk, or do not keep the draws"
        )
    base_c = {m: concentrations(tabs[m][0]) for m in MEDIA}
    sigma = {}
    for m in MEDIA:
        c = spec.uncertainty.concentrations.get(m)
        if c is not None and c.mode == "measurement_error":
            cv = np.array([c.cv.get(x, 0.0) if isinstance(c.cv, dict) else c.cv for x in METALS])
            sigma[m] = np.sqrt(np.log1p(cv**2))
    acc = {(m, g, o): {} for m in MEDIA for g in GROUPS for o in ("HI", "TCR")}
    kept = {k: [] for k in acc} if keep_draws else None
    cache: dict = {}

    def one(o: int):
        """Outer draw o: its uncertain inputs and, per (medium, group, output), the inner-loop statistics."""
        od = outer_draw(spec, seed, o, n_sites, posterior)
        prof_o = _profile_for(prof, spec, od.tox, cache)
        c = {}
        for m in MEDIA:
            c[m] = concentrations(tabs[m][o]) if conc_mode[m] == "ensemble" else base_c[m]
            if m in sigma:  # mean-preserving lognormal error: C x exp(sigma z - sigma^2 / 2)
                c[m] = c[m] * np.exp(sigma[m] * od.conc_z[m] - sigma[m] ** 2 / 2)
        persons = inner_draws(spec, seed, o, n_inner, od, inner_seed)
        res, draws = {}, {}
        for g in GROUPS:
            fixed = {f: float(d.value) for f, d in _inner_dists(spec, g, od, o).items() if d.dist == "fixed"}
            cols = {f: persons[g][f].to_numpy() for f in persons[g].columns if f not in fixed}
            buf = {(m, x): np.empty((n_inner, n_sites[m])) for m in MEDIA for x in ("HI", "TCR")}
            for a in range(0, n_inner, chunk):
                b = min(a + chunk, n_inner)
                over = {**fixed, **{f: v[a:b, None, None] for f, v in cols.items()}}
                t = soil_terms(c["soil"][None], prof_o, g, over, od.ba[None, None, :])
                for kind, x in (("nc", "HI"), ("c", "TCR")):
                    sm = _kahan(t[(pw, kind)][..., i] for pw in PATHWAYS for i in range(len(METALS)))
                    buf[("soil", x)][a:b] = np.broadcast_to(sm, (b - a, n_sites["soil"]))
                hq, cr = water_terms(c["water"][None], prof_o, g, over)
                for arr, x in ((hq, "HI"), (cr, "TCR")):
                    sm = _kahan(arr[..., i] for i in range(len(METALS)))
                    buf[("water", x)][a:b] = np.broadcast_to(sm, (b - a, n_sites["water"]))
            for (m, x), v in buf.items():
                res[(m, g, x)] = _stats(v, x, mcse_method)
                if keep_draws:
                    draws[(m, g, x)] = v
        return od, res, draws

    # two threads may build the same cached profile at once; both build equal profiles, so either may stay
    ba_all, par_all, tox_all = [], [], []
    if threads > 1:
        from concurrent.futures import ThreadPoolExecutor

        # numpy releases the GIL inside the array operations; results are joined in order (same bytes)
        with ThreadPoolExecutor(threads) as pool:
            results = pool.map(one, range(n_outer))
            gathered = _gather(results, acc, kept, ba_all, par_all, tox_all, spec, progress)
    else:
        gathered = _gather(map(one, range(n_outer)), acc, kept, ba_all, par_all, tox_all, spec, progress)
    del gathered
    inputs = {
        "ba": np.array(ba_all),
        "params": np.array(par_all, dtype=float).reshape(n_outer, -1),
        "tox": np.array(tox_all, dtype=np.int64).reshape(n_outer, -1),
    }
    return {
        m: _dataset(spec, m, tabs[m][0]["site_id"].astype(str).tolist(), acc, kept, inputs, n_outer, n_inner, seed)
        for m in MEDIA
    }


def _gather(results, acc, kept, ba_all, par_all, tox_all, spec, progress) -> int:
    """Collect per-outer results in order into the accumulators."""
    n = 0
    for od, res, draws in results:
        ba_all.append(od.ba)
        par_all.append([od.params[k] for k in sorted(spec.uncertainty.parameters)])
        tox_all.append([od.tox[k] for k in sorted(od.tox)])
        for key, st in res.items():
            for k, val in st.items():
                acc[key].setdefault(k, []).append(val)
            if kept is not None:
                kept[key].append(draws[key])
        n += 1
        if progress is not None:
            progress(1)
    return n


def _unc_summary(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles over the outer draws (axis 0) and their MCSE: arrays (..., unc_q)."""
    qs = np.moveaxis(np.quantile(a, UNC_QUANTILES, axis=0), 0, -1)
    se = np.stack([mcse_quantile(a, q) for q in UNC_QUANTILES], axis=-1)
    return qs, se


def _dataset(spec, medium, sites, acc, kept, inputs, n_outer, n_inner, seed) -> xr.Dataset:
    coords = {
        "group": ("group", list(GROUPS), {"long_name": "population group"}),
        "unc": ("unc", np.arange(n_outer), {"long_name": "outer-loop (uncertainty) draw", "units": "1"}),
        "site": ("site", sites, {"long_name": f"{medium} site identifier"}),
        "var_pct": (
            "var_pct",
            list(VAR_PERCENTILES),
            {"long_name": "inner-loop (variability) percentile", "units": "percent"},
        ),
        "unc_q": ("unc_q", list(UNC_QUANTILES), {"long_name": "outer-loop (uncertainty) quantile", "units": "1"}),
        "hi_threshold": ("hi_threshold", list(THRESHOLDS["HI"]), {"long_name": "hazard index threshold", "units": "1"}),
        "tcr_threshold": (
            "tcr_threshold",
            list(THRESHOLDS["TCR"]),
            {"long_name": "total cancer risk threshold", "units": "1"},
        ),
        "metal": ("metal", list(METALS), {"long_name": "metal"}),
    }
    names = {"HI": "hazard index", "TCR": "total cancer risk"}
    data = {}
    for x, thr in (("HI", "hi_threshold"), ("TCR", "tcr_threshold")):
        per = {k: np.stack([np.stack(acc[(medium, g, x)][k]) for g in GROUPS]) for k in acc[(medium, GROUPS[0], x)]}
        dv = ("group", "unc", "site", "var_pct")
        dt = ("group", "unc", "site", thr)
        data[f"{x}_var_pct"] = (
            dv,
            per["pct"],
            {"units": "1", "long_name": f"inner-loop percentile of {names[x]} (one per outer draw)"},
        )
        data[f"{x}_var_pct_mcse"] = (
            dv,
            per["pct_mcse"],
            {
                "units": "1",
                "long_name": f"Monte Carlo standard error of {x}_var_pct (binomial order-statistic interval / 2z)",
            },
        )
        data[f"{x}_frac_exceed"] = (
            dt,
            per["frac"],
            {
                "units": "1",
                "long_name": f"fraction of the population with {names[x]} above the threshold (one per outer draw)",
            },
        )
        data[f"{x}_frac_exceed_mcse"] = (
            dt,
            per["frac_mcse"],
            {"units": "1", "long_name": f"Monte Carlo standard error of {x}_frac_exceed, sqrt(p(1-p)/n_inner)"},
        )
        q, se = _unc_summary(per["pct"].swapaxes(0, 1))
        data[f"{x}_var_pct_unc"] = (
            ("group", "site", "var_pct", "unc_q"),
            q,
            {
                "units": "1",
                "long_name": f"uncertainty quantile of the inner-loop percentile of {names[x]} (percentile of percentile)",
            },
        )
        data[f"{x}_var_pct_unc_mcse"] = (
            ("group", "site", "var_pct", "unc_q"),
            se,
            {"units": "1", "long_name": f"Monte Carlo standard error of {x}_var_pct_unc from n_outer draws"},
        )
        q, se = _unc_summary(per["frac"].swapaxes(0, 1))
        data[f"{x}_frac_exceed_unc"] = (
            ("group", "site", thr, "unc_q"),
            q,
            {
                "units": "1",
                "long_name": f"uncertainty quantile of the population fraction above the {names[x]} threshold",
            },
        )
        data[f"{x}_frac_exceed_unc_mcse"] = (
            ("group", "site", thr, "unc_q"),
            se,
            {"units": "1", "long_name": f"Monte Carlo standard error of {x}_frac_exceed_unc from n_outer draws"},
        )
        f = per["frac"]
        data[f"{x}_frac_exceed_mean"] = (
            ("group", "site", thr),
            f.mean(axis=1),
            {
                "units": "1",
                "long_name": f"mean over the outer draws of the population fraction above the {names[x]} threshold",
            },
        )
        sd = f.std(axis=1, ddof=1) if n_outer > 1 else np.zeros_like(f[:, 0])
        data[f"{x}_frac_exceed_mean_mcse"] = (
            ("group", "site", thr),
            sd / np.sqrt(n_outer),
            {"units": "1", "long_name": f"Monte Carlo standard error of {x}_frac_exceed_mean (sd / sqrt(n_outer))"},
        )
        p = per["pct"].swapaxes(0, 1)  # (unc, group, site, var_pct)
        i5, i50, i95 = (VAR_PERCENTILES.index(v) for v in (5.0, 50.0, 95.0))
        data[f"{x}_uv_ratio"] = (
            ("group", "site"),
            uv_ratio(p[..., i5], p[..., i50], p[..., i95]),
            {
                "units": "1",
                "long_name": f"uncertainty/variability ratio of {names[x]}: 90 % uncertainty width of P50 over P95 - P5 at the median outer draw",
            },
        )
        if kept is not None:
            draws = np.stack([np.stack(kept[(medium, g, x)]) for g in GROUPS])
            data[x] = (
                ("group", "unc", "ind", "site"),
                draws,
                {"units": "1", "long_name": f"{names[x]} of each simulated person"},
            )
    data["bioaccessibility"] = (
        ("unc", "metal"),
        inputs["ba"],
        {"units": "1", "long_name": "oral bioaccessible fraction of the soil concentration (outer draw)"},
    )
    for j, k in enumerate(sorted(spec.uncertainty.parameters)):
        g, f, p = k.split(".")
        unit = spec.variability[g][f].unit if p in LOCATION_PARAMS else "1"
        data[f"param_{g}_{f}_{p}"] = (
            ("unc",),
            inputs["params"][:, j],
            {"units": unit, "long_name": f"{p} of the {g} {f} variability distribution (outer draw)"},
        )
    u = spec.uncertainty
    choices = [(m, f) for m in sorted(u.toxicity) for f in sorted(u.toxicity[m])]
    for j, (m, f) in enumerate(choices):
        sc = list(u.toxicity[m][f].scenarios)
        data[f"tox_{m}_{f}"] = (
            ("unc",),
            inputs["tox"][:, j],
            {
                "units": "1",
                "long_name": f"{m} {f} scenario (outer draw)",
                "flag_values": np.arange(len(sc)),
                "flag_meanings": " ".join(sc),
            },
        )
    attrs = {
        "Conventions": "CF-1.8",
        "title": f"Two-dimensional Monte Carlo of {medium} HI and TCR ({spec.name})",
        "spec": spec.name,
        "base_profile": spec.base_profile,
        "seed": int(seed),
        "n_outer": int(n_outer),
        "n_inner": int(n_inner),
        "references": "US EPA (2001) RAGS Vol. III Part A, EPA 540-R-02-002; Iman and Conover (1982) Commun. Stat. Simul. Comput. 11:311-334",
        "comment": "dims: unc = outer (uncertainty) draws, ind = inner (variability) persons; simple random sampling in both loops",
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)
