"""Statistics of the paper (Sect. 2.3.3, 3.1, 3.3): descriptive statistics, distribution
checks, imputation rule, Pearson/Spearman correlations with p-values, PCA with varimax.

Library choices: scipy.stats for every test and correlation; factor_analyzer's ``Rotator``
(maintained, SPSS-compatible Kaiser-normalised varimax) for the rotation. Written here only
the glue: the PCA of the correlation matrix (a three-line eigen-decomposition) and the
deterministic sign/order convention that no library fixes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from factor_analyzer.rotator import Rotator
from scipy import stats

from ..domain import METALS

__all__ = ["describe", "normality", "levene_by", "iqr_outliers", "impute", "correlations", "strength", "pca_varimax"]


def describe(df: pd.DataFrame, metals=METALS) -> pd.DataFrame:
    """Mean, SD (n-1), CV %, min, max, median and skewness (adjusted Fisher-Pearson, as SPSS)."""
    x = df[list(metals)]
    out = pd.DataFrame(
        {
            "n": x.count(),
            "mean": x.mean(),
            "sd": x.std(ddof=1),
            "min": x.min(),
            "max": x.max(),
            "median": x.median(),
            "skewness": x.apply(lambda c: stats.skew(c, bias=False)),
        }
    )
    out.insert(3, "cv_pct", 100 * out["sd"] / out["mean"])
    return out.rename_axis("metal").reset_index()


def normality(df: pd.DataFrame, metals=METALS) -> pd.DataFrame:
    """Shapiro-Wilk W and p on raw and log10 values."""
    rows = []
    for m in metals:
        v = df[m].to_numpy(float)
        w, p = stats.shapiro(v)
        wl, pl = stats.shapiro(np.log10(v)) if np.all(v > 0) else (np.nan, np.nan)
        rows.append(
            {
                "metal": m,
                "W": w,
                "p": p,
                "W_log": wl,
                "p_log": pl,
                "normal_at_0.05": bool(p >= 0.05),
                "lognormal_at_0.05": bool(pl >= 0.05),
            }
        )
    return pd.DataFrame(rows)


def levene_by(df: pd.DataFrame, by: str, metals=METALS, min_group: int = 2) -> pd.DataFrame:
    """Levene (median-centred, Brown-Forsythe) test of log10 values across the groups of ``by``."""
    rows = []
    groups = [g for _, g in df.groupby(by) if len(g) >= min_group]
    for m in metals:
        if len(groups) < 2:
            rows.append({"metal": m, "by": by, "n_groups": len(groups), "W": np.nan, "p": np.nan})
            continue
        w, p = stats.levene(*[np.log10(g[m].to_numpy(float)) for g in groups], center="median")
        rows.append({"metal": m, "by": by, "n_groups": len(groups), "W": w, "p": p})
    return pd.DataFrame(rows)


def iqr_outliers(df: pd.DataFrame, metals=METALS, k: float = 1.5, id_col: str = "site_id") -> pd.DataFrame:
    """Values outside [Q1 - k IQR, Q3 + k IQR] (flagged, kept, as in Sect. 2.3.3)."""
    rows = []
    for m in metals:
        q1, q3 = np.percentile(df[m], [25, 75])
        lo, hi = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
        for sid, v in zip(df[id_col], df[m]):
            if v < lo or v > hi:
                rows.append({"metal": m, "site_id": sid, "value": v, "lower_fence": lo, "upper_fence": hi})
    return pd.DataFrame(rows, columns=["metal", "site_id", "value", "lower_fence", "upper_fence"])


def impute(df: pd.DataFrame, metals=METALS, alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The paper's rule: mean for approximately normal variables (Shapiro p >= alpha on the observed
    values), median for skewed ones. Returns the filled table and a log of what was filled."""
    out = df.copy()
    log = []
    for m in metals:
        miss = out[m].isna()
        if not miss.any():
            continue
        obs = out.loc[~miss, m].to_numpy(float)
        if len(obs) < 3:
            raise ValueError(f"column {m}: fewer than 3 observed values; cannot test normality to impute")
        p = stats.shapiro(obs).pvalue
        how, val = ("mean", float(obs.mean())) if p >= alpha else ("median", float(np.median(obs)))
        out.loc[miss, m] = val
        log.append({"metal": m, "n_imputed": int(miss.sum()), "method": how, "value": val, "shapiro_p": p})
    return out, pd.DataFrame(log, columns=["metal", "n_imputed", "method", "value", "shapiro_p"])


def strength(r: float) -> str:
    """The paper's classes: strong |r| >= 0.8, moderate 0.5 <= |r| < 0.8, weak |r| < 0.5."""
    a = abs(r)
    return "strong" if a >= 0.8 else "moderate" if a >= 0.5 else "weak"


def correlations(df: pd.DataFrame, metals=METALS) -> pd.DataFrame:
    """Pearson and Spearman r with two-tailed p for every pair (scipy.stats)."""
    rows = []
    for i, a in enumerate(metals):
        for b in metals[i + 1 :]:
            pr = stats.pearsonr(df[a], df[b])
            sr = stats.spearmanr(df[a], df[b])
            rows.append(
                {
                    "pair": f"{a}-{b}",
                    "a": a,
                    "b": b,
                    "pearson_r": float(pr.statistic),
                    "pearson_p": float(pr.pvalue),
                    "spearman_rho": float(sr.statistic),
                    "spearman_p": float(sr.pvalue),
                    "strength": strength(pr.statistic),
                    "sig": "**" if pr.pvalue < 0.01 else "*" if pr.pvalue < 0.05 else "",
                }
            )
    return pd.DataFrame(rows)


def pca_varimax(df: pd.DataFrame, metals=METALS, kaiser: float = 1.0) -> dict:
    """PCA of the correlation matrix, Kaiser criterion, varimax rotation of the retained loadings.

    Convention (deterministic): components ordered by eigenvalue (unrotated) and, after
    rotation, by the sum of squared rotated loadings; each component's sign makes its largest
    absolute loading positive. Eigenvalues and variance % are the unrotated ("initial")
    values, as SPSS prints them beside rotated loadings.
    """
    x = df[list(metals)].to_numpy(float)
    r = np.corrcoef(x, rowvar=False)
    evals, evecs = np.linalg.eigh(r)
    order = np.argsort(evals)[::-1]
    evals, evecs = evals[order], evecs[:, order]
    k = int(np.sum(evals > kaiser))
    load = evecs[:, :k] * np.sqrt(evals[:k])
    # iterate to convergence (factor_analyzer's default stops after 25 iterations, like SPSS)
    rot = Rotator(method="varimax", max_iter=1000, tol=1e-12).fit_transform(load) if k >= 2 else load.copy()
    ss = (rot**2).sum(axis=0)
    idx = np.argsort(-ss, kind="stable")
    rot = rot[:, idx]
    for j in range(rot.shape[1]):
        if rot[np.argmax(np.abs(rot[:, j])), j] < 0:
            rot[:, j] *= -1
    var = 100 * evals / len(metals)
    return {
        "eigenvalues": evals,
        "variance_pct": var,
        "cumulative_pct": np.cumsum(var),
        "n_retained": k,
        "loadings": pd.DataFrame(rot, index=list(metals), columns=[f"PC{i + 1}" for i in range(k)]),
        "correlation": pd.DataFrame(r, index=list(metals), columns=list(metals)),
    }
