"""Statistics: hand-worked correlations and PCA, varimax against an independent implementation,
imputation rule, and the statistics audit on the reconstructed tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from tarimhm.stats.methods import correlations, describe, impute, iqr_outliers, normality, pca_varimax, strength


def _varimax_reference(phi, gamma=1.0, q=5000, tol=1e-14):
    """Kaiser (1958) varimax with Kaiser row normalisation, written independently of factor_analyzer
    (the SVD form of the classic iteration, e.g. as in R's stats::varimax)."""
    h = np.sqrt((phi**2).sum(axis=1))
    a = phi / h[:, None]
    p, k = a.shape
    r = np.eye(k)
    d = 0.0
    for _ in range(q):
        lam = a @ r
        u, s, vh = np.linalg.svd(a.T @ (lam**3 - (gamma / p) * lam @ np.diag((lam**2).sum(axis=0))))
        r = u @ vh
        d_new = s.sum()
        if d_new < d * (1 + tol):
            break
        d = d_new
    return (a @ r) * h[:, None]


def test_pearson_spearman_by_hand():
    # x = 1..5, y = (2, 4, 5, 4, 5): dx = (-2,-1,0,1,2), dy = (-2,0,1,0,1); sum dxdy = 6; sum dx2 = 10;
    # sum dy2 = 6 -> r = 6 / sqrt(60) = 0.7745967. Spearman: y ranks (1, 2.5, 4.5, 2.5, 4.5)
    # -> d = (-2, -.5, 1.5, -.5, 1.5), sum dxd = 7, sum d2 = 9 -> rho = 7 / sqrt(90) = 0.7378648
    df = pd.DataFrame({"x": [1, 2, 3, 4, 5.0], "y": [2, 4, 5, 4, 5.0]})
    c = correlations(df, ["x", "y"]).iloc[0]
    assert c.pearson_r == pytest.approx(0.7745967, abs=1e-7)
    assert c.spearman_rho == pytest.approx(0.7378648, abs=1e-7)
    # p from t = r sqrt(n-2) / sqrt(1-r^2) = 2.1213203 with 3 df, two-tailed
    assert c.pearson_p == pytest.approx(2 * sps.t.sf(2.1213203, 3), rel=1e-6)
    assert c.strength == "moderate" and c.sig == ""


@pytest.mark.parametrize(
    "r,cls", [(0.8, "strong"), (-0.85, "strong"), (0.79, "moderate"), (0.5, "moderate"), (0.49, "weak")]
)
def test_strength_classes(r, cls):
    assert strength(r) == cls


def test_pca_two_variables_by_hand():
    # correlation matrix [[1, r], [r, 1]] has eigenvalues 1 + r and 1 - r; r = 0.7745967
    df = pd.DataFrame({"x": [1, 2, 3, 4, 5.0], "y": [2, 4, 5, 4, 5.0]})
    out = pca_varimax(df, ["x", "y"])
    np.testing.assert_allclose(out["eigenvalues"], [1.7745967, 0.2254033], atol=1e-7)
    assert out["n_retained"] == 1
    # PC1 loadings: eigenvector (1, 1)/sqrt 2 times sqrt(1.7745967) = sqrt(0.8872984) = 0.9419651 each
    np.testing.assert_allclose(out["loadings"]["PC1"], [0.9419651, 0.9419651], atol=1e-7)
    np.testing.assert_allclose(out["variance_pct"], [88.729835, 11.270165], atol=1e-5)


def test_varimax_matches_independent_implementation():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(40, 2))
    x = np.column_stack(
        [
            z[:, 0] + 0.3 * rng.normal(size=40),
            z[:, 0] + 0.4 * rng.normal(size=40),
            z[:, 1] + 0.3 * rng.normal(size=40),
            z[:, 1] + 0.2 * rng.normal(size=40),
            0.5 * z[:, 0] + 0.5 * z[:, 1] + 0.5 * rng.normal(size=40),
        ]
    )
    df = pd.DataFrame(x, columns=list("abcde"))
    out = pca_varimax(df, list("abcde"))
    r = np.corrcoef(x, rowvar=False)
    w, v = np.linalg.eigh(r)
    idx = np.argsort(w)[::-1][:2]
    ref = _varimax_reference(v[:, idx] * np.sqrt(w[idx]))
    got = out["loadings"].to_numpy()
    # same up to column order and sign
    for j in range(2):
        col = ref[:, np.argmax(np.abs(ref.T @ got[:, j]))]
        col = col * np.sign(col @ got[:, j])
        np.testing.assert_allclose(got[:, j], col, atol=1e-6)


def test_describe_and_outliers():
    df = pd.DataFrame({"site_id": list("ABCDE"), "As": [1, 2, 3, 4, 100.0]})
    d = describe(df, ["As"]).iloc[0]
    assert d["mean"] == 22 and d["median"] == 3 and d["sd"] == pytest.approx(np.std([1, 2, 3, 4, 100], ddof=1))
    assert d["skewness"] == pytest.approx(sps.skew([1, 2, 3, 4, 100.0], bias=False))
    o = iqr_outliers(df, ["As"])
    assert list(o.site_id) == ["E"] and o.upper_fence.iloc[0] == pytest.approx(4 + 1.5 * 2)


def test_imputation_rule():
    rng = np.random.default_rng(0)
    normal = rng.normal(10, 1, 30)
    skewed = np.concatenate([np.ones(25), [50, 80, 100, 200, 400.0]])
    df = pd.DataFrame({"As": np.append(normal, np.nan), "Cd": np.append(skewed, np.nan)})
    filled, log = impute(df, ["As", "Cd"])
    log = log.set_index("metal")
    assert log.loc["As", "method"] == "mean" and filled["As"].iloc[-1] == pytest.approx(normal.mean())
    assert log.loc["Cd", "method"] == "median" and filled["Cd"].iloc[-1] == 1.0


def test_normality_columns():
    df = pd.DataFrame({"As": np.exp(np.linspace(0, 3, 12))})
    n = normality(df, ["As"]).iloc[0]
    assert n.W == pytest.approx(sps.shapiro(df.As).statistic)
    assert n.W_log == pytest.approx(sps.shapiro(np.log10(df.As)).statistic)


def test_statistics_audit_on_reconstruction(use_sites, rep, params, tmp_path):
    from tarimhm import paths
    from tarimhm.stats.stage import run_statistics

    a = run_statistics(params, rep, paths.ROOT / "analysis" / "020_statistics.py")
    t7 = a[a.reported_id.str.startswith("tab7:pca_loading")]
    assert len(t7) == 10 and (t7.reproduced - t7.reported).abs().max() < 0.02
    assert set(t7.basis) == {"fitted"}
    left = a[a.basis_detail.str.startswith("left out")]
    assert set(left.reported_id) >= {"s3.1p1:sum_hm.water.mean", "s3.3.2p1:pearson_p.soil.Pb-As.max"}
    assert not left.verdict.eq("reproduced").any()
    assert (paths.AUDIT / "statistics.md").exists()
