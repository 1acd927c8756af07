r"""Global sensitivity of HI and TCR: Sobol first-order and total indices with confidence intervals (SALib).

For one medium and group, one simulated person's HI (or TCR) at every site is a function of
independent uniforms :math:`u_1..u_D`, one per input, each mapped through its quantile function:

* ``conc``: the concentrations -- ensemble member :math:`\lfloor u M \rfloor` (reconstructed tables)
  or a lognormal measurement error per metal (``conc_<metal>``);
* ``ba_<metal>``: bioaccessibility (soil only), through the empirical quantile function of the
  outer draws (the PyMC posterior) or the prior;
* ``tox_<metal>_<field>``: a toxicity scenario, through the cumulative weights (a choice that
  ``follows`` another is no input of its own: e.g. ``tox_As_RfDo`` is the whole As assessment,
  RfD and slope factor together);
* ``<group>.<factor>.<parameter>``: an uncertain parameter of a variability distribution;
* ``<factor>``: the person's own exposure factor (BW, IngR, IRw, ...), through its variability
  distribution at the drawn parameters.

Only inputs that can move the medium enter (soil: no IRw; water: no IngR and no bioaccessibility).
Samples: ``SALib.sample.sobol.sample`` (Saltelli's scheme on a scrambled Sobol' sequence, N a power
of 2, no second-order terms); indices and bootstrap intervals: ``SALib.analyze.sobol.analyze``
(Saltelli 2010 / Jansen estimators). The risk is evaluated with the deterministic equations
(:func:`tarimhm.risk.assess.soil_terms`, :func:`~tarimhm.risk.assess.water_terms`).

Sobol indices assume independent inputs. The spec's rank correlations (e.g. BW with water intake)
are *not* imposed here, so the indices describe the independent-input version of the model; with
correlated inputs Shapley effects (Owen 2014; Song, Nelson & Staum 2016; R package ``sensitivity``,
``shapleyPermRand``) are the valid alternative, which SALib does not provide. The output table says
so in a column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..domain import METALS, PATHWAYS
from ..risk.assess import concentrations, soil_terms, water_terms
from ..risk.profiles import Profile
from .twod import TwoDSpec, _kahan, _profile_for

__all__ = ["inputs_for", "sobol_indices"]


def _validity(name: str, correlated: set[str]) -> str:
    """What a Sobol index of ``name`` means when ``correlated`` inputs of its medium and group are
    rank-correlated in the spec: a correlation changes the variance decomposition of every input,
    so with any pair correlated all indices of that medium and group are of the independent-input
    model, and those of the partners themselves most of all."""
    if not correlated:
        return "all inputs independent: Sobol indices valid"
    pair = "+".join(sorted(correlated))
    if name in correlated:
        return f"correlated in the spec ({pair}): index of the independent-input model; Shapley effects would be valid"
    return f"independent input, but {pair} are correlated in the spec: index of the independent-input model"


WATER_ONLY = {"IRw"}
SOIL_ONLY = {"IngR", "SA", "AF", "InhR"}


def _relevant(factor: str, medium: str) -> bool:
    return not (medium == "soil" and factor in WATER_ONLY) and not (medium == "water" and factor in SOIL_ONLY)


def inputs_for(spec: TwoDSpec, medium: str, group: str, n_members: int, outer: dict[str, np.ndarray]) -> list[str]:
    """Names of the uncertain and variable inputs that can move ``medium``'s risk for ``group``."""
    u = spec.uncertainty
    names = []
    conc = u.concentrations.get(medium)
    if conc is not None and conc.mode == "ensemble" and n_members > 1:
        names.append("conc")
    elif conc is not None and conc.mode == "measurement_error":
        names += [f"conc_{m}" for m in METALS]
    if medium == "soil":
        names += [f"ba_{m}" for m in METALS if f"ba_{m}" in outer or u.bioaccessibility[m].dist != "fixed"]
    # a linked choice (``follows``) is not an input of its own: it takes its lead's scenario
    names += [f"tox_{m}_{f}" for m in sorted(u.toxicity) for f in sorted(u.toxicity[m]) if not u.toxicity[m][f].follows]
    for k in sorted(u.parameters):
        g, f, _ = k.split(".")
        if g == group and _relevant(f, medium) and (k in outer or u.parameters[k].dist != "fixed"):
            names.append(k)
    names += [
        f for f in spec.inner_factors(group) if _relevant(f, medium) and spec.variability[group][f].dist != "fixed"
    ]
    return names


def _quantile(draws: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Empirical quantile function of outer draws (the posterior) at u."""
    return np.quantile(np.asarray(draws, dtype=float), u, method="inverted_cdf")


def _evaluate(spec, prof, medium, group, names, x, members_c, outer, cache):
    """HI and TCR (rows, sites) for the SALib sample ``x`` (rows, D) of uniforms."""
    from pydantic import ValidationError

    from .montecarlo import Dist

    u = spec.uncertainty
    col = {n: np.clip(x[:, j], 1e-12, 1 - 1e-12) for j, n in enumerate(names)}
    rows = x.shape[0]
    # concentrations (rows, sites, metals)
    c0 = members_c[0]
    if "conc" in col:
        c = members_c[np.minimum((col["conc"] * len(members_c)).astype(int), len(members_c) - 1)]
    else:
        c = np.broadcast_to(c0, (rows, *c0.shape)).copy()
        cm = u.concentrations.get(medium)
        if cm is not None and cm.mode == "measurement_error":
            from scipy import stats

            cvs = np.array([cm.cv.get(m, 0.0) if isinstance(cm.cv, dict) else cm.cv for m in METALS])
            sig = np.sqrt(np.log1p(cvs**2))
            for i, m in enumerate(METALS):
                z = stats.norm.ppf(col[f"conc_{m}"])
                c[:, :, i] *= np.exp(sig[i] * z - sig[i] ** 2 / 2)[:, None]
    ba = np.ones((rows, 1, len(METALS)))
    for i, m in enumerate(METALS):
        k = f"ba_{m}"
        if k in col:
            ba[:, 0, i] = _quantile(outer[k], col[k]) if k in outer else u.bioaccessibility[m].ppf(col[k])
        else:
            ba[:, 0, i] = (
                u.bioaccessibility[m].ppf(np.full(rows, 0.5))
                if u.bioaccessibility[m].dist != "fixed"
                else (u.bioaccessibility[m].value)
            )
    # toxicity scenario per row
    tox_keys = [(m, f) for m in sorted(u.toxicity) for f in sorted(u.toxicity[m])]
    tox_idx = np.zeros((rows, len(tox_keys)), dtype=int)
    for j, (m, f) in enumerate(tox_keys):
        if u.toxicity[m][f].follows:
            continue
        w = np.cumsum([s.weight for s in u.toxicity[m][f].scenarios.values()])
        tox_idx[:, j] = np.minimum(np.searchsorted(w / w[-1], col[f"tox_{m}_{f}"], side="right"), len(w) - 1)
    for j, (m, f) in enumerate(tox_keys):
        if lead := u.toxicity[m][f].follows:
            tox_idx[:, j] = tox_idx[:, tox_keys.index(tuple(lead.split(".")))]
    # exposure factors of the person, at the drawn parameters
    over = {}
    for f in spec.inner_factors(group):
        d = spec.variability[group][f]
        if d.dist == "fixed" or not _relevant(f, medium):
            if d.dist == "fixed":
                over[f] = float(d.value)
            continue
        pars = {
            p: np.full(rows, getattr(d, p))
            for p in ("median", "gsd", "min", "mode", "max", "mean", "sd", "a", "b")
            if getattr(d, p) is not None
        }
        for k in sorted(u.parameters):
            g, ff, p = k.split(".")
            if g == group and ff == f:
                pars[p] = _quantile(outer[k], col[k]) if k in outer else u.parameters[k].ppf(col[k])
        if f in col:
            vals = np.empty(rows)
            keys = list(pars)
            table = np.column_stack([pars[p] for p in keys])
            uniq, inv = np.unique(table, axis=0, return_inverse=True)
            for r, row in enumerate(uniq):
                try:
                    dist = Dist.model_validate({**d.model_dump(), **dict(zip(keys, row))})
                except ValidationError as exc:
                    raise ValueError(
                        f"Sobol: parameters {dict(zip(keys, row))} give an invalid {group}.{f}: {exc}"
                    ) from None
                sel = inv.ravel() == r
                vals[sel] = dist.ppf(col[f][sel])
            over[f] = vals[:, None, None]
    hi = np.empty((rows, c.shape[1]))
    tcr = np.empty_like(hi)
    combos, inv = np.unique(tox_idx, axis=0, return_inverse=True)
    for r, combo in enumerate(combos):
        sel = inv.ravel() == r
        p = _profile_for(prof, spec, {k: int(i) for k, i in zip(tox_keys, combo)}, cache)
        o = {f: (v[sel] if isinstance(v, np.ndarray) else v) for f, v in over.items()}
        if medium == "soil":
            t = soil_terms(c[sel], p, group, o, ba[sel])
            hi[sel] = _kahan(t[(pw, "nc")][..., i] for pw in PATHWAYS for i in range(len(METALS)))
            tcr[sel] = _kahan(t[(pw, "c")][..., i] for pw in PATHWAYS for i in range(len(METALS)))
        else:
            hq, cr = water_terms(c[sel], p, group, o)
            hi[sel] = _kahan(hq[..., i] for i in range(len(METALS)))
            tcr[sel] = _kahan(cr[..., i] for i in range(len(METALS)))
    return hi, tcr


def sobol_indices(
    spec: TwoDSpec,
    prof: Profile,
    tables: dict[str, list[pd.DataFrame]],
    outer: dict[str, np.ndarray],
    n_base: int,
    resamples: int,
    conf_level: float,
    seed: int,
) -> pd.DataFrame:
    """Per medium, group, site, output and input: S1, ST and their bootstrap half-widths (SALib).

    ``tables``: per medium the ensemble members (or the one table); ``outer``: outer draws of the
    continuous uncertain quantities (e.g. the posterior), whose empirical quantile function is used.
    """
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    if n_base & (n_base - 1):
        raise ValueError(f"Sobol base sample size must be a power of 2, got {n_base}")
    correlated = {g: set(c.factors) for g, c in spec.correlations.items()}
    rows, cache = [], {}
    for medium in ("soil", "water"):
        members_c = np.stack([concentrations(t) for t in tables[medium]])
        sites = tables[medium][0]["site_id"].astype(str).tolist()
        for group in ("child", "adult"):
            names = inputs_for(spec, medium, group, len(members_c), outer)
            corr_here = correlated.get(group, set()) & set(names)  # a correlation needs both partners present
            corr_here = corr_here if len(corr_here) > 1 else set()
            if not names:
                continue
            problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
            x = sample.sample(problem, n_base, calc_second_order=False, scramble=True, seed=seed)
            hi, tcr = _evaluate(spec, prof, medium, group, names, x, members_c, outer, cache)
            for out, y in (("HI", hi), ("TCR", tcr)):
                for s, site in enumerate(sites):
                    ys = y[:, s]
                    if not np.isfinite(ys).all() or np.var(ys) == 0:
                        continue
                    # seed + 1: SALib treats seed 0 as "no seed"
                    res = analyze.analyze(
                        problem,
                        ys,
                        calc_second_order=False,
                        num_resamples=resamples,
                        conf_level=conf_level,
                        seed=seed + 1,
                    )
                    for j, n in enumerate(names):
                        rows.append(
                            {
                                "medium": medium,
                                "group": group,
                                "site_id": site,
                                "output": out,
                                "input": n,
                                "S1": res["S1"][j],
                                "S1_conf": res["S1_conf"][j],
                                "ST": res["ST"][j],
                                "ST_conf": res["ST_conf"][j],
                                "valid": _validity(n, corr_here),
                            }
                        )
    df = pd.DataFrame(rows)
    df.attrs["conf_level"] = conf_level
    return df
