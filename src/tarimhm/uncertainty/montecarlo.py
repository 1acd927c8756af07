"""Monte Carlo risk: exposure-factor and bioaccessibility uncertainty carried into HI and TCR.

An uncertainty spec (``analysis/uncertainty/<name>.yaml``) names a base profile and gives a
distribution, with unit and source, for each varying group factor (BW, IngR, IRw, ED, ...) and
for the oral bioaccessible fraction of each metal. Draws are a Latin hypercube
(``scipy.stats.qmc``, seeded) mapped through each distribution's quantile function
(``scipy.stats``); the risk is evaluated with the same vectorised equations as the deterministic
stage (:func:`tarimhm.risk.assess.soil_terms`), so a spec whose factors are all fixed reproduces
the deterministic HI and TCR exactly (tested).

Outputs per medium, site and group: percentiles of HI and TCR, the probability of exceeding
HI 1, TCR 1e-4 and 1e-6, and the Spearman rank correlation of each varying input with HI and TCR
(with its share of the summed squared correlations, the usual contribution-to-variance reading
of US EPA RAGS Vol. 3A). Inputs are sampled independently; correlations between factors (e.g.
BW and IngR) are not modelled and the README says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import stats
from scipy.stats import qmc

from .. import paths
from .._errors import ConfigError, format_pydantic
from ..config import load_yaml
from ..domain import GROUPS, METALS, PATHWAYS
from ..risk.assess import concentrations, soil_terms, water_terms
from ..risk.profiles import GROUP_UNITS, Profile, load_profile

__all__ = ["Dist", "Spec", "spec_path", "load_spec", "sample", "simulate", "summarise", "rank_sensitivity", "SPECS"]

SPECS = paths.UNCERTAINTY_SPECS
PERCENTILES = (5, 25, 50, 75, 95)
THRESHOLDS = {"HI": (1.0,), "TCR": (1e-4, 1e-6)}
NEEDS = {
    "fixed": ("value",),
    "uniform": ("min", "max"),
    "triangular": ("min", "mode", "max"),
    "lognormal": ("median", "gsd"),
    "beta": ("a", "b"),
    "truncnormal": ("mean", "sd", "min", "max"),
}


class Dist(BaseModel):
    """One uncertain quantity: a scipy.stats distribution given by readable parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    dist: Literal["fixed", "uniform", "triangular", "lognormal", "beta", "truncnormal"]
    unit: str
    source: str = Field(min_length=2)
    value: float | None = None
    min: float | None = None
    mode: float | None = None
    max: float | None = None
    median: float | None = Field(default=None, gt=0)
    gsd: float | None = Field(default=None, gt=1)
    a: float | None = Field(default=None, gt=0)
    b: float | None = Field(default=None, gt=0)
    mean: float | None = None
    sd: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _params(self):
        need = NEEDS[self.dist]
        given = {
            k
            for k in ("value", "min", "mode", "max", "median", "gsd", "a", "b", "mean", "sd")
            if getattr(self, k) is not None
        }
        if missing := [k for k in need if k not in given]:
            raise ValueError(f"{self.dist} needs {', '.join(need)}; missing {', '.join(missing)}")
        if extra := sorted(given - set(need)):
            raise ValueError(f"{self.dist} takes {', '.join(need)}; remove {', '.join(extra)}")
        if self.min is not None and self.max is not None and not self.min < self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        if self.dist == "triangular" and not self.min <= self.mode <= self.max:
            raise ValueError(f"mode ({self.mode}) must lie in [min, max] = [{self.min}, {self.max}]")
        lo = self.value if self.dist == "fixed" else self.min
        if lo is not None and lo < 0:
            raise ValueError(f"exposure factors and fractions are >= 0; got {lo}")
        return self

    def frozen(self):
        """The scipy.stats frozen distribution (None for a fixed value)."""
        if self.dist == "fixed":
            return None
        if self.dist == "uniform":
            return stats.uniform(loc=self.min, scale=self.max - self.min)
        if self.dist == "triangular":
            w = self.max - self.min
            return stats.triang(c=(self.mode - self.min) / w, loc=self.min, scale=w)
        if self.dist == "lognormal":
            return stats.lognorm(s=np.log(self.gsd), scale=self.median)
        if self.dist == "beta":
            return stats.beta(self.a, self.b)
        return stats.truncnorm(
            (self.min - self.mean) / self.sd, (self.max - self.mean) / self.sd, loc=self.mean, scale=self.sd
        )

    def ppf(self, u: np.ndarray) -> np.ndarray:
        f = self.frozen()
        return np.full(np.shape(u), self.value, dtype=float) if f is None else f.ppf(u)


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    title: str
    base_profile: str
    groups: dict[Literal["child", "adult"], dict[str, Dist]] = {}
    bioaccessibility: dict[str, Dist] = {}

    @model_validator(mode="after")
    def _keys(self):
        for g, factors in self.groups.items():
            for k, d in factors.items():
                if k not in GROUP_UNITS:
                    raise ValueError(f"groups.{g}.{k}: not an exposure factor; use one of {', '.join(GROUP_UNITS)}")
                if d.unit != GROUP_UNITS[k]:
                    raise ValueError(f"groups.{g}.{k}.unit: {d.unit!r} is not the unit of {k}; use {GROUP_UNITS[k]!r}")
        for m, d in self.bioaccessibility.items():
            if m not in METALS:
                raise ValueError(f"bioaccessibility.{m}: unknown metal; use one of {', '.join(METALS)}")
            hi = d.value if d.dist == "fixed" else d.max
            if d.unit != "1" or (hi is not None and hi > 1) or d.dist == "lognormal":
                raise ValueError(
                    f"bioaccessibility.{m}: a fraction in [0, 1] with unit '1' "
                    "(fixed, uniform, triangular, beta or truncnormal)"
                )
        return self

    def varying(self) -> list[tuple[str, Dist]]:
        """Names ('child.BW', 'ba.Cd', ...) and distributions of the non-fixed inputs, in a fixed order."""
        out = [(f"{g}.{k}", d) for g in GROUPS for k, d in sorted(self.groups.get(g, {}).items())]
        out += [(f"ba.{m}", self.bioaccessibility[m]) for m in METALS if m in self.bioaccessibility]
        return out


def spec_path(name_or_path: str | Path, pattern: str = "*.yaml", what: str = "uncertainty spec") -> Path:
    """A spec's file: a YAML path as given, else ``analysis/uncertainty/<name>.yaml``; a missing one is a
    ConfigError listing the shipped specs that match ``pattern``."""
    p = Path(name_or_path)
    path = p if p.suffix in (".yaml", ".yml") else SPECS / f"{name_or_path}.yaml"
    if not path.exists():
        avail = ", ".join(sorted(f.stem for f in SPECS.glob(pattern)))
        raise ConfigError(f"{path}: no such {what}; use one of {avail} or a YAML path")
    return path


def load_spec(name_or_path: str | Path) -> tuple[Spec, Path]:
    path = spec_path(name_or_path)
    try:
        spec = Spec.model_validate(load_yaml(path))
    except ValidationError as e:
        raise ConfigError(format_pydantic(path, e)) from None
    load_profile(spec.base_profile)  # fails early, naming the profile, if it does not exist
    return spec, path


def sample(spec: Spec, n: int, seed: int) -> pd.DataFrame:
    """n Latin-hypercube draws of every input (fixed ones repeated), one column per input."""
    var = spec.varying()
    u = qmc.LatinHypercube(d=max(len(var), 1), seed=np.random.default_rng(seed)).random(n)
    cols = {name: d.ppf(u[:, j]) for j, (name, d) in enumerate(var)}
    return pd.DataFrame(cols, index=pd.RangeIndex(n, name="draw"))


def simulate(
    spec: Spec, soil: pd.DataFrame, water: pd.DataFrame, draws: pd.DataFrame, prof: Profile | None = None
) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    """HI and TCR per draw and site: {(medium, group): {"HI": (n, sites), "TCR": (n, sites)}}."""
    prof = prof or load_profile(spec.base_profile)
    out = {}
    n = len(draws)
    cs, cw = concentrations(soil)[None], concentrations(water)[None]  # (1, sites, metals)
    for g in GROUPS:
        over = {}
        for k, d in spec.groups.get(g, {}).items():
            col = f"{g}.{k}"
            v = draws[col].to_numpy() if col in draws else np.full(n, d.value)
            over[k] = v[:, None, None]
        ba = np.ones((n, 1, len(METALS)))
        for i, m in enumerate(METALS):
            base = prof.options.bioaccessibility.get(m, 1.0)
            if m in spec.bioaccessibility:
                d = spec.bioaccessibility[m]
                ba[:, 0, i] = draws[f"ba.{m}"].to_numpy() if f"ba.{m}" in draws else d.value
            else:
                ba[:, 0, i] = base
        t = soil_terms(cs, prof, g, over, ba)
        out[("soil", g)] = {
            "HI": sum(t[(pw, "nc")] for pw in PATHWAYS).sum(axis=-1),
            "TCR": sum(t[(pw, "c")] for pw in PATHWAYS).sum(axis=-1),
        }
        hq, cr = water_terms(cw, prof, g, over)
        out[("water", g)] = {"HI": hq.sum(axis=-1) * np.ones((n, 1)), "TCR": cr.sum(axis=-1) * np.ones((n, 1))}
    return out


def summarise(sim: dict, soil: pd.DataFrame, water: pd.DataFrame, deterministic: pd.DataFrame) -> pd.DataFrame:
    """Per medium, site and group: deterministic value, mean, percentiles and exceedance probabilities."""
    rows = []
    sites = {"soil": soil.site_id.to_numpy(), "water": water.site_id.to_numpy()}
    det = deterministic.set_index(["medium", "site_id", "group"])
    for (med, g), res in sim.items():
        for j, sid in enumerate(sites[med]):
            row = {"medium": med, "site_id": sid, "group": g}
            for out in ("HI", "TCR"):
                x = res[out][:, j]
                row[f"{out}_deterministic"] = float(det.loc[(med, sid, g), out])
                row[f"{out}_mean"] = float(x.mean())
                for p, v in zip(PERCENTILES, np.percentile(x, PERCENTILES)):
                    row[f"{out}_p{p}"] = float(v)
                for t in THRESHOLDS[out]:
                    row[f"P_{out}_gt_{t:g}"] = float((x > t).mean())
            rows.append(row)
    return pd.DataFrame(rows)


def rank_sensitivity(sim: dict, draws: pd.DataFrame, soil: pd.DataFrame, water: pd.DataFrame) -> pd.DataFrame:
    """Spearman rank correlation of every varying input with HI and TCR, per medium, group and site."""
    rows = []
    sites = {"soil": soil.site_id.to_numpy(), "water": water.site_id.to_numpy()}
    inputs = [c for c in draws.columns if draws[c].std() > 0]
    for (med, g), res in sim.items():
        for out in ("HI", "TCR"):
            for j, sid in enumerate(sites[med]):
                y = res[out][:, j]
                if np.ptp(y) == 0:
                    continue
                rho = {c: float(stats.spearmanr(draws[c].to_numpy(), y).statistic) for c in inputs}
                tot = sum(r * r for r in rho.values())
                for c, r in rho.items():
                    rows.append(
                        {
                            "medium": med,
                            "group": g,
                            "site_id": sid,
                            "output": out,
                            "input": c,
                            "spearman_rho": r,
                            "variance_share": r * r / tot if tot else np.nan,
                        }
                    )
    return pd.DataFrame(rows)
