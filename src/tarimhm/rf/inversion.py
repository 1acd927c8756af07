"""The paper's RF inversion: Min-Max scaling + RandomForestRegressor, grid search with CV.

The paper asks for 10-fold CV with 6-7 training sites, which is impossible; the CV the data
allow is leave-one-out (one fold per training site), scored by mean squared error (R² is
undefined on one-sample folds). Grid: n_estimators 100-500, max_depth 10-30,
min_samples_leaf 1-5 (analysis/params.yaml).

:func:`dedup_search` returns CV scores bitwise identical to scikit-learn's GridSearchCV while
fitting far fewer forests, using three facts that hold for a fixed ``random_state``:

1. tree i of a forest gets the i-th draw of the forest's RandomState, so a forest of k trees
   is the first k trees of a forest of K > k trees; ``ForestRegressor.predict`` (n_jobs=1)
   adds the tree predictions in order and divides by k, which ``np.cumsum`` reproduces exactly;
2. a ``max_depth`` at or beyond the deepest tree grown without a limit changes nothing (checked
   on every fit; configurations where it would bind are fitted as they are);
3. once a ``min_samples_leaf`` yields only stumps, every larger one yields the same stumps.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import make_scorer, mean_squared_error
from sklearn.model_selection import GridSearchCV, LeaveOneOut, ParameterGrid
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from ..imagery.grid import BANDS

__all__ = ["FEATURES", "make_pipeline", "naive_search", "dedup_search", "fit_model", "cv_splits"]

FEATURES = list(BANDS)
SCORING = "neg_mean_squared_error"


def make_pipeline(seed: int, **hp) -> Pipeline:
    return Pipeline([("scale", MinMaxScaler()), ("rf", RandomForestRegressor(random_state=seed, n_jobs=1, **hp))])


def cv_splits(n: int):
    return list(LeaveOneOut().split(np.zeros((n, 1))))


def _grid(grid: dict) -> dict:
    return {f"rf__{k}": list(v) for k, v in grid.items()}


def naive_search(X, y, grid: dict, seed: int) -> GridSearchCV:
    """scikit-learn's GridSearchCV, every configuration fitted on every fold (the reference)."""
    gs = GridSearchCV(make_pipeline(seed), _grid(grid), scoring=SCORING, cv=cv_splits(len(y)), n_jobs=1, refit=True)
    return gs.fit(X, y)


def _tree_preds(pipe: Pipeline, X) -> np.ndarray:
    """Per-tree predictions (trees x samples) exactly as ForestRegressor.predict computes them."""
    rf = pipe.named_steps["rf"]
    Xs = rf._validate_X_predict(pipe.named_steps["scale"].transform(X))
    return np.stack([t.predict(Xs, check_input=False) for t in rf.estimators_])


def dedup_search(X, y, grid: dict, seed: int) -> dict:
    """Same ``mean_test_score`` / split scores / best parameters as :func:`naive_search`, bitwise."""
    X, y = np.asarray(X, float), np.asarray(y, float)
    cands = list(ParameterGrid(_grid(grid)))
    splits = cv_splits(len(y))
    n_max = max(grid["n_estimators"])
    scorer = make_scorer(mean_squared_error, greater_is_better=False)
    scores = np.full((len(cands), len(splits)), np.nan)
    n_fits = 0
    for s, (tr, te) in enumerate(splits):
        cache: dict = {}  # (leaf, depth or None) -> per-tree test predictions
        stump_leaf = None
        for leaf in sorted(grid["min_samples_leaf"]):
            if stump_leaf is not None:
                cache[(leaf, None)] = cache[(stump_leaf, None)]
                continue
            pipe = make_pipeline(seed, n_estimators=n_max, min_samples_leaf=leaf).fit(X[tr], y[tr])
            n_fits += 1
            trees = pipe.named_steps["rf"].estimators_
            cache[(leaf, None)] = _tree_preds(pipe, X[te])
            depth = max(t.get_depth() for t in trees)
            cache[("depth", leaf)] = depth
            if depth == 0:
                stump_leaf = leaf
        for i, c in enumerate(cands):
            leaf, depth, k = c["rf__min_samples_leaf"], c["rf__max_depth"], c["rf__n_estimators"]
            deepest = cache.get(("depth", leaf), 0) if stump_leaf is None or leaf < stump_leaf else 0
            if depth is not None and depth <= deepest:  # the limit binds: fit as configured
                key = (leaf, depth)
                if key not in cache:
                    p = make_pipeline(seed, n_estimators=n_max, min_samples_leaf=leaf, max_depth=depth)
                    cache[key] = _tree_preds(p.fit(X[tr], y[tr]), X[te])
                    n_fits += 1
            else:
                key = (leaf, None)
            y_hat = np.cumsum(cache[key][:k], axis=0)[k - 1] / k
            scores[i, s] = scorer._sign * scorer._score_func(y[te], y_hat, **scorer._kwargs)
    mean = np.average(scores, axis=1)
    rank = np.asarray(rankdata(-mean, method="min"), dtype=np.int32)
    best = int(rank.argmin())
    return {
        "params": cands,
        "split_scores": scores,
        "mean_test_score": mean,
        "rank_test_score": rank,
        "best_index": best,
        "best_params": cands[best],
        "n_fits": n_fits,
        "n_fits_naive": len(cands) * len(splits),
    }


def fit_model(X, y, best_params: dict, seed: int) -> Pipeline:
    """Refit the chosen configuration on all training sites."""
    hp = {k.removeprefix("rf__"): v for k, v in best_params.items()}
    return make_pipeline(seed, **hp).fit(np.asarray(X, float), np.asarray(y, float))
