"""Full-protocol validation statistics of the RF inversion: nested LOSO, permutation nulls, split
selection, family-wise adjustment, baselines and bootstrap intervals.

The *protocol* is what the paper (and stage 060) does with one training set: Min-Max scaling on the
training rows, a leave-one-out grid search over ``rf.grid`` scored by squared error, a refit of the
best configuration on all training rows, a prediction of the held-out rows. A :data:`Protocol` runs
it for a batch of response vectors ``Y`` (B, n) and a set of splits ``(train (S, n_tr), test (S, n_te))``
and returns predictions (B, S, n_te). Two implementations: :func:`sklearn_protocol` (scikit-learn,
the reference) and :func:`fast_protocol` (``tinyforest``, the same trees, for the nulls).

Statistics (Ojala & Garriga 2010, JMLR 11:1833; Varma & Simon 2006, BMC Bioinf. 7:91):

* **nested LOSO** - every site predicted by the whole protocol run on the other n - 1 (its grid search
  never saw the site); the stage-061 *non-nested* LOSO reuses the configuration tuned on the Table 2
  training sites, which include 6-7 of the held-out sites.
* **permutation null (a)** - the nested LOSO R² with y permuted among sites, the protocol re-run each
  time; ``p = (1 + #{null >= observed}) / (1 + B)``.
* **(b)** - the 3-site hold-out R² on the paper's printed Table 2 split under permuted y, evaluated at
  the paper's printed R²: could the printed number arise without signal, for a pre-specified split?
* **(c)** - the same with the maximum over every possible 7/3 (6/3) split: the paper's splits differ by
  model and their choice is not described, so the null must include split selection.
* **(d)** - family-wise control over the 10 models: Westfall & Young (1993) single-step minP. The same
  site permutation is applied to the five metals of a medium, so their dependence is kept; soil and
  water have different sites and are permuted independently.

With reconstructed y the permuted vector of permutation b in the nulls (b) and (c), whose observed
statistic is the paper's, is taken from ensemble member b mod M, so they also run over the
reconstructions the printed statistics allow; (a), whose observed statistic is computed on the used
table (member 0, the medoid), permutes that table only.

Undefined R² (observed values below the variance floor, :func:`tarimhm.rf.validation.r2_undefined`) is
left out of a null (:func:`perm_p`): the test is conditional on a defined statistic, as the printed one is.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import LeaveOneOut, cross_val_predict
from sklearn.pipeline import make_pipeline as sk_make_pipeline
from sklearn.preprocessing import StandardScaler

from .inversion import dedup_search, fit_model
from .validation import R2_VARIANCE_FLOOR

__all__ = [
    "Protocol",
    "sklearn_protocol",
    "fast_protocol",
    "loso_splits",
    "holdout_splits",
    "r2_rows",
    "r2_pearson_rows",
    "defined_max",
    "validate_model",
    "run_batched",
    "permutations",
    "null_responses",
    "perm_p",
    "minp_adjust",
    "bootstrap_r2",
    "mean_baseline_r2",
    "ridge_loso",
    "RIDGE_ALPHAS",
]

Protocol = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
RIDGE_ALPHAS = np.logspace(-4, 4, 17)
"""Ridge penalties searched by efficient leave-one-out (RidgeCV's GCV) inside every training set."""


def sklearn_protocol(grid: dict, seed: int) -> Protocol:
    """The reference protocol: ``dedup_search`` (bitwise GridSearchCV) + ``fit_model`` + predict, per (b, s)."""

    def run(X, Y, train, test):
        X, Y = np.asarray(X, float), np.atleast_2d(np.asarray(Y, float))
        out = np.empty((len(Y), len(train), test.shape[1]))
        for b, y in enumerate(Y):
            for s, (tr, te) in enumerate(zip(train, test)):
                best = dedup_search(X[tr], y[tr], grid, seed)["best_params"]
                out[b, s] = fit_model(X[tr], y[tr], best, seed).predict(X[te])
        return out

    return run


def fast_protocol(grid: dict, seed: int) -> Protocol:
    """The same protocol on ``tinyforest`` (scikit-learn's trees grown in numba; equality tested)."""
    from . import tinyforest

    def run(X, Y, train, test):
        return tinyforest.protocol_predict(
            np.ascontiguousarray(X, np.float64),
            np.ascontiguousarray(np.atleast_2d(Y), np.float64),
            np.ascontiguousarray(train, np.int64),
            np.ascontiguousarray(test, np.int64),
            list(grid["n_estimators"]),
            list(grid["max_depth"]),
            list(grid["min_samples_leaf"]),
            seed,
        )

    return run


def loso_splits(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-site-out: train (n, n - 1), test (n, 1), site i held out in split i."""
    idx = np.arange(n)
    return np.stack([idx[idx != i] for i in idx]), idx[:, None]


def holdout_splits(n: int, n_test: int) -> tuple[np.ndarray, np.ndarray]:
    """Every split of n sites into n - n_test training and n_test validation sites, in
    ``itertools.combinations`` order of the validation sites (C(10, 3) = 120, C(9, 3) = 84)."""
    tests = np.array(list(itertools.combinations(range(n), n_test)), dtype=np.int64)
    trains = np.array([[i for i in range(n) if i not in set(t)] for t in tests], dtype=np.int64)
    return trains, tests


def r2_rows(y, pred, floor: float = R2_VARIANCE_FLOOR) -> np.ndarray:
    """R² along the last axis (sklearn ``r2_score`` per row); NaN where the observed values' sample
    variance is at or below ``floor`` x mean² (:func:`tarimhm.rf.validation.r2_undefined`)."""
    y, pred = np.asarray(y, float), np.asarray(pred, float)
    y, pred = np.broadcast_arrays(y, pred)
    ss_res = ((y - pred) ** 2).sum(-1)
    mean = y.mean(-1, keepdims=True)
    ss_tot = ((y - mean) ** 2).sum(-1)
    m = y.shape[-1]
    undefined = (m < 2) | (ss_tot / max(m - 1, 1) <= floor * mean[..., 0] ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1 - ss_res / ss_tot
    return np.where(undefined, np.nan, r2)


def permutations(n: int, B: int, seed: int) -> np.ndarray:
    """B seeded permutations of range(n), (B, n); the same for a seed whatever consumes them."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(n) for _ in range(B)]) if B else np.zeros((0, n), np.int64)


def null_responses(members: np.ndarray, perms: np.ndarray) -> np.ndarray:
    """Permuted responses: row b is ensemble member b mod M permuted by perms[b]. ``members`` (M, n)
    (M = 1 for real data); returns (B, n)."""
    members = np.atleast_2d(np.asarray(members, float))
    pick = members[np.arange(len(perms)) % len(members)]
    return np.take_along_axis(pick, perms, axis=1)


def perm_p(null, observed: float) -> float:
    """``(1 + #{null >= observed}) / (1 + B)`` over the *defined* null values (NaN ones are left out);
    NaN when the observed statistic is undefined.

    Leaving undefined values out is the permutation test conditional on the statistic being defined: the
    observed one is (a printed R² is a number), and whether a permutation's R² is defined depends only on
    which values land in its validation set, which is exchangeable under the null. Counting them as
    exceeding instead would make a data set with three near-equal values a test that can never reject.
    """
    null = np.asarray(null, float)
    if not np.isfinite(observed):
        return float("nan")
    null = null[~np.isnan(null)]
    return float((1 + np.sum(null >= observed)) / (1 + len(null)))


def _joint_pvalues(T: np.ndarray) -> np.ndarray:
    """p-value of every row of T (B + 1, K) against its column: #{i : T_ik >= T_jk} / (B + 1), exact
    counts by sorting (ties count as exceeding). Row 0 (the observed) gets :func:`perm_p`'s value."""
    n, K = T.shape
    out = np.empty((n, K))
    for k in range(K):
        s = np.sort(T[:, k])
        out[:, k] = (n - np.searchsorted(s, T[:, k], side="left")) / n
    return out


def minp_adjust(observed, null) -> np.ndarray:
    """Westfall-Young single-step minP adjusted p-values of K tests that share the B null rows.

    ``observed`` (K,): the statistics (larger = more extreme); ``null`` (B, K): their values under
    permutation b. Every row j of the B + 1 (observed first) gets per test the permutation p-value
    P_jk = #{i : T_ik >= T_jk} / (B + 1) (P_0k is :func:`perm_p`), q_j = min_k P_jk, and
    ``p_adj_k = #{j : q_j <= P_0k} / (B + 1)``: the observed and the nulls on one scale, so the
    smallest attainable value is 1 / (B + 1). Controls the family-wise error rate under subset
    pivotality (Westfall & Young 1993, Algorithm 2.8). A NaN observed statistic (undefined R²) leaves its
    test out and gets NaN; an undefined null value counts as the least extreme (-inf: it never exceeds,
    as in :func:`perm_p`, which leaves it out). minP rather than maxT on the R² values themselves: the
    nulls of the ten models have very different scales.
    """
    obs = np.asarray(observed, float)
    null = np.asarray(null, float).reshape(-1, len(obs))
    ok = np.isfinite(obs)
    out = np.full(len(obs), np.nan)
    if not ok.any():
        return out
    T = np.vstack([obs[ok][None], np.where(np.isnan(null[:, ok]), -np.inf, null[:, ok])])
    P = _joint_pvalues(T)
    q = P.min(axis=1)
    out[ok] = (q[:, None] <= P[0][None, :]).sum(0) / len(T)
    return out


def bootstrap_r2(y, preds: dict, n_boot: int, seed: int, level: float) -> dict:
    """Pairs bootstrap of R² of held-out predictions: the spread of the R² over the sites *given the
    predictions* (the models are not refitted), a descriptive interval, not a confidence interval of
    the model's skill. At n = 9-10 it is biased low (each resample re-centres SS_tot on its own mean
    while the residuals stay): its upper bound sits at the point estimate for predictions near a LOO
    mean, and a nominal 90 % interval covered a fixed-prediction R² of 0.5 in about 81 % of simulated
    data sets of 10 (it reaches its level at n = 200, tested). ``preds``: name -> predictions of ``y``. Returns per name
    (lo, hi) percentile bounds at ``level``, and for every pair "a-b" the interval of R²_a - R²_b on
    the same resamples. Resamples whose observed values fall below the variance floor are dropped."""
    y = np.asarray(y, float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(y), (n_boot, len(y)))
    yb = y[idx]
    r2 = {k: r2_rows(yb, np.asarray(v, float)[idx]) for k, v in preds.items()}
    q = [(1 - level) / 2, (1 + level) / 2]
    out = {}
    for k, v in r2.items():
        v = v[np.isfinite(v)]
        out[k] = tuple(np.quantile(v, q)) if len(v) else (np.nan, np.nan)
    for a, b in itertools.combinations(r2, 2):
        d = r2[a] - r2[b]
        d = d[np.isfinite(d)]
        out[f"{a}-{b}"] = tuple(np.quantile(d, q)) if len(d) else (np.nan, np.nan)
    return out


def mean_baseline_r2(y) -> float:
    r"""LOSO R² of predicting every site by the mean of the others.

    pred_i = (n ȳ - y_i) / (n - 1), so y_i - pred_i = n (y_i - ȳ) / (n - 1) and
    R² = 1 - n² / (n - 1)², whatever y: -0.2346 for n = 10, -0.2656 for n = 9. A model must beat it.
    """
    n = len(y)
    return 1 - n**2 / (n - 1) ** 2


def ridge_loso(X, y) -> np.ndarray:
    """Nested LOSO predictions of ridge regression on the standardised bands, the penalty chosen by
    efficient leave-one-out inside each training set (RidgeCV): the linear method the paper's
    "RF beats linear methods" must beat."""
    model = sk_make_pipeline(StandardScaler(), RidgeCV(alphas=RIDGE_ALPHAS))
    return cross_val_predict(model, np.asarray(X, float), np.asarray(y, float), cv=LeaveOneOut())


def run_batched(protocol: Protocol, X, Y, train, test, chunk: int, scheduler: str | None = None) -> np.ndarray:
    """``protocol`` over the rows of ``Y`` in chunks of ``chunk``: locally, or on a dask.distributed
    cluster (``scheduler="tcp://host:8786"``). Chunks are joined in order, so the bytes do not depend
    on where they ran."""
    Y = np.atleast_2d(np.asarray(Y, float))
    if len(Y) == 0:
        return np.zeros((0, len(train), np.shape(test)[1]))
    blocks = [Y[i : i + chunk] for i in range(0, len(Y), chunk)]
    if scheduler:
        from distributed import Client

        with Client(scheduler) as client:
            futures = client.map(protocol, [X] * len(blocks), blocks, [train] * len(blocks), [test] * len(blocks))
            parts = client.gather(futures)
    else:
        parts = [protocol(X, b, train, test) for b in blocks]
    return np.concatenate(parts, axis=0)


def defined_max(r2: np.ndarray) -> np.ndarray:
    """Max over splits (last axis) of the defined R² (a split whose validation values do not vary cannot
    have given a printed R²); NaN where no split is defined."""
    m = np.where(np.isnan(r2), -np.inf, r2).max(axis=-1)
    return np.where(np.isneginf(m), np.nan, m)


def r2_pearson_rows(y, pred) -> np.ndarray:
    """Squared Pearson correlation of ``y`` and ``pred`` along the last axis (NaN when either is constant):
    the other common reading of a printed validation "R²"."""
    y, pred = np.broadcast_arrays(np.asarray(y, float), np.asarray(pred, float))
    dy = y - y.mean(-1, keepdims=True)
    dp = pred - pred.mean(-1, keepdims=True)
    den = (dy**2).sum(-1) * (dp**2).sum(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = (dy * dp).sum(-1) ** 2 / den
    return np.where(den > 0, r2, np.nan)


def validate_model(
    X,
    y,
    members,
    perms,
    split_perms,
    table2: tuple[np.ndarray, np.ndarray],
    printed_r2: float,
    protocol: Protocol,
    nonnested_pred,
    n_boot: int,
    level: float,
    seed: int,
    chunk: int = 64,
    scheduler: str | None = None,
) -> dict:
    """Every statistic of one model. ``X`` (n, 4), ``y`` (n,) the used table, ``members`` (M, n) the
    responses the nulls (b) and (c) draw from (ensemble members, or ``y[None]`` for real data; the observed
    statistic there is the paper's, from outside our data), ``perms`` (B, n) and
    ``split_perms`` (B_c, n) the site permutations (shared by the metals of a medium), ``table2`` the
    paper's (train, validation) indices, ``printed_r2`` its Table 4 R², ``nonnested_pred`` the stage-061
    LOSO predictions with the Table-2-tuned configuration. Returns scalars and the null arrays."""
    X, y = np.asarray(X, float), np.asarray(y, float)
    n = len(y)
    lo_tr, lo_te = loso_splits(n)
    nested = protocol(X, y[None], lo_tr, lo_te)[0, :, 0]
    ridge = ridge_loso(X, y)
    r2 = {
        "nested": float(r2_rows(y, nested)),
        "nonnested": float(r2_rows(y, nonnested_pred)),
        "ridge": float(r2_rows(y, ridge)),
    }
    ci = bootstrap_r2(y, {"nested": nested, "nonnested": nonnested_pred, "ridge": ridge}, n_boot, seed, level)
    # (a) nested LOSO under permuted y: permutations of the used table only, because the observed value
    # comes from it (member 0, the medoid, is not a random member: mixing members would shift the null)
    Ya = null_responses(y[None], perms)
    null_a = r2_rows(Ya, run_batched(protocol, X, Ya, lo_tr, lo_te, chunk, scheduler)[:, :, 0])
    # (b) the printed split; its observed statistic is the paper's, so the null runs over the members too
    Yb = null_responses(members, perms)
    t2_tr, t2_te = (np.asarray(a, np.int64)[None] for a in table2)
    ours_b = float(r2_rows(y[t2_te[0]], protocol(X, y[None], t2_tr, t2_te)[0, 0]))
    pb = run_batched(protocol, X, Yb, t2_tr, t2_te, chunk, scheduler)[:, 0]
    null_b = r2_rows(Yb[:, t2_te[0]], pb)
    null_b_pearson = r2_pearson_rows(Yb[:, t2_te[0]], pb)
    # (c) the best of every split of the same sizes
    all_tr, all_te = holdout_splits(n, t2_te.shape[1])
    ours_all = r2_rows(y[all_te], protocol(X, y[None], all_tr, all_te)[0])
    Yc = null_responses(members, split_perms)
    pc = run_batched(protocol, X, Yc, all_tr, all_te, chunk, scheduler)
    null_c = defined_max(r2_rows(Yc[:, all_te], pc))
    null_c_pearson = defined_max(r2_pearson_rows(Yc[:, all_te], pc))
    return {
        "n_sites": n,
        "nested_pred": nested,
        "ridge_pred": ridge,
        "LOSO_R2_nested": r2["nested"],
        "LOSO_R2_nonnested": r2["nonnested"],
        "ridge_LOSO_R2": r2["ridge"],
        "mean_LOSO_R2": mean_baseline_r2(y),
        **{f"{k}_ci_lo": v[0] for k, v in ci.items()},
        **{f"{k}_ci_hi": v[1] for k, v in ci.items()},
        "p_a": perm_p(null_a, r2["nested"]),
        "null_a_median": float(np.nanmedian(null_a)) if len(null_a) else np.nan,
        "printed_R2": printed_r2,
        "holdout_R2_ours": ours_b,
        "p_b": perm_p(null_b, printed_r2),
        "null_b_p95": float(np.nanquantile(null_b, 0.95)) if len(null_b) else np.nan,
        "n_splits": len(all_te),
        "holdout_R2_ours_best_split": float(np.nanmax(ours_all)),
        "holdout_R2_ours_median_split": float(np.nanmedian(ours_all)),
        "p_c": perm_p(null_c, printed_r2),
        "null_c_median": float(np.nanmedian(null_c)) if len(null_c) else np.nan,
        # the same two tests if the printed "R²" were the squared Pearson correlation of 3 points
        "p_b_pearson": perm_p(null_b_pearson, printed_r2),
        "p_c_pearson": perm_p(null_c_pearson, printed_r2),
        "n_undefined_b": int(np.isnan(null_b).sum()),
        "null_a": null_a,
        "null_b": null_b,
        "null_c": null_c,
        "null_c_pearson": null_c_pearson,
    }
