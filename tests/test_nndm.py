"""Tests of tarimhm.rf.nndm, the port of CAST's ``nndm()`` (Milà et al. 2022, doi:10.1111/2041-210X.13851).

Reference values come from two places:

* **published** — CAST's own test file ``tests/testthat/test-nndm.R`` (github.com/HannaMeyer/CAST,
  commit 139849ddbb48287ac21ffd651312eca88f8f1a88, CAST 1.1.0), tests "NNDM yields the expected results
  for all data types" and "... for all CRS". They draw 50 random training points and 50 regular
  prediction points (49 come out) in a 50×50 square with ``set.seed(1234)`` and ``sf::st_sample``.
  Those points cannot be drawn in Python, so they were drawn once in R (4.2.2, sf 1.0-9) with CAST's
  exact code and are written below to 17 significant digits (``TRAIN``, ``PRED``). Running CAST's
  ``R/nndm.R`` of that commit on them reproduced every printed number of those two tests, which
  confirms the points are CAST's.
* **CAST run** — the full folds (exclusion lists, fold sizes, sum of Gjstar) that CAST's ``R/nndm.R`` of
  the same commit returned in that R session for further settings (prediction points moved away,
  ``min_train`` binding, an integer grid with ties). These are not published; they pin the port to
  CAST fold by fold.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import cross_val_predict

from tarimhm.rf.nndm import (
    TARIM_CENTRE,
    distance_match,
    fold_masks,
    geodesic_distances,
    lonlat_to_aeqd,
    nndm,
    nndm_lonlat,
    standardise_features,
)

# CAST test-nndm.R: set.seed(1234); st_sample(50x50 square, 50, "random") -> TRAIN; then
# st_sample(same, 50, "regular") -> PRED (49 points). Drawn in R, see the module docstring.
TRAIN = np.array(
    [
        (5.6851705652661622, 3.6889940034598112),
        (31.114970240741968, 15.484330093022436),
        (30.463736644014716, 35.863587167114019),
        (31.168972083833069, 25.227295607328415),
        (43.045769177842885, 7.6499479473568499),
        (32.015530264470726, 25.196674407925457),
        (0.47478781780228019, 24.698046152479947),
        (11.627525300718844, 37.560009851586074),
        (33.304187911562622, 8.7324911961331964),
        (25.712557067163289, 42.419620521832258),
        (34.679564589168876, 43.241691600997001),
        (27.248741779476404, 2.0928637590259314),
        (14.136679179500788, 15.85910776630044),
        (46.171674213837832, 0.68749695783481002),
        (14.615792012773454, 11.951286334078759),
        (41.864781407639384, 35.324730863794684),
        (14.31116423336789, 15.404737857170403),
        (13.341039000079036, 25.427378283347934),
        (9.3361394829116762, 2.5823309668339789),
        (11.611295526381582, 28.228491998743266),
        (15.830622741486877, 6.0740093584172428),
        (15.134668536484241, 44.641819084063172),
        (7.9523001448251307, 0.73136278660967946),
        (1.9997959025204182, 39.156055182684213),
        (10.939977050293237, 4.4980666483752429),
        (40.529927622992545, 25.959499040618539),
        (26.284877338912338, 19.213334377855062),
        (45.732908300124109, 3.5026248660869896),
        (41.567252343520522, 16.032221110071987),
        (2.2885131649672985, 33.424769854173064),
        (22.804574121255428, 46.320023818407208),
        (13.2593335933052, 23.595486057456583),
        (15.233610151335597, 7.1307671605609357),
        (25.365343503654003, 27.213487750850618),
        (9.0548104140907526, 9.8087325925007463),
        (37.983531772624701, 44.929024460725486),
        (10.062401881441474, 19.47498923400417),
        (12.940490932669491, 15.543538983911276),
        (49.607520876452327, 8.0014331499114633),
        (40.367617015726864, 44.809292478021234),
        (27.666679536923766, 8.3196890191175044),
        (32.320304703898728, 45.021229807753116),
        (15.591215353924781, 6.7039097542874515),
        (31.090959906578064, 6.5807067090645432),
        (16.48850878700614, 5.2643751259893179),
        (25.099873647559434, 25.579179055057466),
        (33.854726364370435, 15.009952697437257),
        (24.249561957549304, 1.3358447700738907),
        (12.196441367268562, 15.482371568214148),
        (38.27298937831074, 37.10598285542801),
    ]
)
PRED = np.array(
    [
        (1.7728363513015211, 7.0406021668385961),
        (8.8439041631669966, 7.0406021668385961),
        (15.914971975032472, 7.0406021668385961),
        (22.986039786897948, 7.0406021668385961),
        (30.057107598763423, 7.0406021668385961),
        (37.128175410628899, 7.0406021668385961),
        (44.199243222494374, 7.0406021668385961),
        (1.7728363513015211, 14.111669978704072),
        (8.8439041631669966, 14.111669978704072),
        (15.914971975032472, 14.111669978704072),
        (22.986039786897948, 14.111669978704072),
        (30.057107598763423, 14.111669978704072),
        (37.128175410628899, 14.111669978704072),
        (44.199243222494374, 14.111669978704072),
        (1.7728363513015211, 21.182737790569547),
        (8.8439041631669966, 21.182737790569547),
        (15.914971975032472, 21.182737790569547),
        (22.986039786897948, 21.182737790569547),
        (30.057107598763423, 21.182737790569547),
        (37.128175410628899, 21.182737790569547),
        (44.199243222494374, 21.182737790569547),
        (1.7728363513015211, 28.253805602435023),
        (8.8439041631669966, 28.253805602435023),
        (15.914971975032472, 28.253805602435023),
        (22.986039786897948, 28.253805602435023),
        (30.057107598763423, 28.253805602435023),
        (37.128175410628899, 28.253805602435023),
        (44.199243222494374, 28.253805602435023),
        (1.7728363513015211, 35.324873414300498),
        (8.8439041631669966, 35.324873414300498),
        (15.914971975032472, 35.324873414300498),
        (22.986039786897948, 35.324873414300498),
        (30.057107598763423, 35.324873414300498),
        (37.128175410628899, 35.324873414300498),
        (44.199243222494374, 35.324873414300498),
        (1.7728363513015211, 42.395941226165974),
        (8.8439041631669966, 42.395941226165974),
        (15.914971975032472, 42.395941226165974),
        (22.986039786897948, 42.395941226165974),
        (30.057107598763423, 42.395941226165974),
        (37.128175410628899, 42.395941226165974),
        (44.199243222494374, 42.395941226165974),
        (1.7728363513015211, 49.467009038031449),
        (8.8439041631669966, 49.467009038031449),
        (15.914971975032472, 49.467009038031449),
        (22.986039786897948, 49.467009038031449),
        (30.057107598763423, 49.467009038031449),
        (37.128175410628899, 49.467009038031449),
        (44.199243222494374, 49.467009038031449),
    ]
)

# CAST run (R/nndm.R at 139849dd): nndm(TRAIN, predpoints = PRED, phi = 10) -> fold: excluded points
# (0-based; folds not listed exclude nothing). phi = "max" and (phi = 20, min_train = 0.2) give the same.
CAST_PRED_PHI10 = {2: [49], 3: [5], 5: [3], 6: [29], 8: [43], 10: [41], 11: [47], 17: [31], 20: [32, 42, 44], 32: [42], 33: [45], 37: [12, 48], 42: [20, 32, 44], 43: [8], 44: [20, 42], 45: [33], 47: [11]}  # fmt: skip
# ... with both sets read as EPSG:4326 lon/lat and phi = 1e6 m (great circles on s2's sphere).
CAST_4326 = {3: [5], 5: [3], 6: [29], 8: [43], 11: [47], 13: [27], 17: [31], 20: [32, 42, 44], 32: [20, 42], 33: [45], 35: [10, 39], 37: [48], 39: [35], 42: [32], 43: [8], 44: [20, 42], 47: [11, 40], 48: [37]}  # fmt: skip
# Integer grid 0..4 x 0..4 (x fastest) predicting on the grid -2..6 step 2, phi = 3, min_train = 0.5.
CAST_GRID = {0: [1, 2, 5, 6, 7, 10, 11], 1: [0, 2, 3, 5, 6, 7, 8, 10, 11, 12], 2: [0, 1, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13], 3: [1, 2, 4, 6, 7, 8, 9, 12, 13, 14], 4: [3, 8, 9], 5: [0, 1, 6, 10, 11], 6: [0, 1, 2, 5, 7, 10, 11, 12], 7: [1, 2, 3, 6, 8, 11, 12, 13], 8: [2, 3, 4, 7, 9, 12, 13, 14], 9: [3, 4, 8, 13, 14], 10: [5, 6, 11, 15, 16], 11: [5, 6, 7, 10, 12, 15, 16, 17], 12: [6, 7, 8, 11, 13, 16, 17, 18], 13: [7, 8, 9, 12, 14, 17, 18, 19], 14: [8, 9, 13, 18, 19], 15: [10, 11, 16, 20, 21]}  # fmt: skip


def _grid(values) -> np.ndarray:
    return np.array([(x, y) for y in values for x in values], dtype=float)  # R's expand.grid order


def _excluded(res) -> dict[int, list[int]]:
    return {j: e.tolist() for j, e in enumerate(res.indx_exclude) if e.size}


def _digest(res) -> str:
    s = ";".join(",".join(map(str, e.tolist())) for e in res.indx_exclude)
    return hashlib.sha256(s.encode()).hexdigest()[:16]


def _sphere(a, b, radius=6371010.0):
    """Great-circle distances on s2's sphere (s2_earth_radius_meters), as sf uses for EPSG:4326."""
    lon1, lat1 = np.radians(a[:, 0])[:, None], np.radians(a[:, 1])[:, None]
    lon2, lat2 = np.radians(b[:, 0])[None], np.radians(b[:, 1])[None]
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * radius * np.arcsin(np.sqrt(h))


def _check_invariants(res, tdist: np.ndarray) -> None:
    """What every NNDM result satisfies, whatever the data."""
    n = res.n_train
    for j in range(n):
        tr, ex = res.indx_train[j], res.indx_exclude[j]
        assert res.indx_test[j].tolist() == [j]
        assert sorted([*tr.tolist(), *ex.tolist(), j]) == list(range(n))  # a partition of the points
        assert res.Gjstar[j] == (tdist[j, tr].min() if tr.size else np.inf)
        if ex.size:
            # nearest neighbours go first and only within phi; all ties at the last radius go together
            assert tdist[j, ex].max() <= res.phi
            assert tdist[j, ex].max() < res.Gjstar[j]
            # the point before the last removal still held > min_train * n (CAST's rule)
            last = tdist[j, ex].max()
            assert (tr.size + np.count_nonzero(tdist[j, ex] == last)) / n > res.min_train
    assert np.all(res.Gjstar >= res.Gj)


def _tdist(x) -> np.ndarray:
    x = np.asarray(x, float).reshape(len(x), -1)
    return np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))


# --- published CAST numbers ----------------------------------------------------------------------


def test_cast_published_gjstar_values():
    """CAST test-nndm.R, "NNDM yields the expected results for all data types" / "... for all CRS"."""
    assert TRAIN.shape == (50, 2) and PRED.shape == (49, 2)
    rel = 1e-7  # CAST prints 8 significant digits
    assert nndm(TRAIN, TRAIN, "max").Gjstar[0] == pytest.approx(3.7265881, rel=rel)
    assert nndm(TRAIN, TRAIN, 10).Gjstar[9] == pytest.approx(4.8651321, rel=rel)
    assert nndm(TRAIN, TRAIN, 20, min_train=0.2).Gjstar[14] == pytest.approx(3.466861, rel=rel)
    assert len(nndm(TRAIN, TRAIN, "max").Gjstar) == 50
    # "Projected" (EPSG:3857 = planar here): the one published value with exclusions in play
    assert nndm(TRAIN, PRED, 10).Gjstar[19] == pytest.approx(3.2921498, rel=rel)
    # "Geographic" (EPSG:4326, s2 great circles), phi = 1e6 m
    assert nndm(TRAIN, PRED, 1e6, metric=_sphere).Gjstar[19] == pytest.approx(355614.94, rel=rel)


# --- full folds of a CAST run --------------------------------------------------------------------


def test_cast_run_folds_planar():
    for phi, mt in [(10, 0.5), ("max", 0.5), (20, 0.2)]:
        res = nndm(TRAIN, PRED, phi, min_train=mt)
        assert _excluded(res) == CAST_PRED_PHI10
        assert res.Gjstar.sum() == pytest.approx(221.97920307164861, rel=1e-12)
    assert nndm(TRAIN, PRED, "max").phi == pytest.approx(58.574608881029768, rel=1e-12)
    _check_invariants(nndm(TRAIN, PRED, 10), _tdist(TRAIN))


def test_cast_run_folds_geographic():
    res = nndm(TRAIN, PRED, 1e6, metric=_sphere)
    assert _excluded(res) == CAST_4326
    assert res.Gjstar.sum() == pytest.approx(23556669.058306698, rel=1e-12)


@pytest.mark.parametrize(
    ("scale", "phi", "min_train", "gjstar_sum", "ntrain", "digest"),
    [
        # prediction points 4x farther out (extrapolation), phi = "max": min_train binds in most folds
        (4, "max", 0.5, 1161.662961029645, [25, 25, 25, 25, 35, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 48, 25, 25, 25, 25, 25, 25, 26, 25, 28, 25, 35, 49, 25, 25, 40, 25, 25, 25, 43, 26, 25, 25, 40, 45, 25], "6b0c69d62afffb70"),
        (4, 15, 0.8, 646.19903358254737, [40, 40, 40, 40, 41, 40, 42, 41, 40, 40, 41, 40, 40, 46, 40, 40, 40, 46, 40, 40, 42, 45, 40, 44, 48, 41, 40, 45, 41, 43, 43, 40, 40, 43, 40, 44, 49, 40, 45, 42, 40, 41, 40, 40, 40, 40, 40, 40, 45, 42], "927bd9b76d6ecf2c"),
        (2, 12, 0.7, 532.09940246318524, [41, 40, 39, 47, 43, 41, 46, 45, 41, 44, 48, 44, 36, 46, 36, 43, 46, 41, 40, 43, 35, 46, 41, 47, 48, 44, 42, 46, 43, 45, 46, 41, 46, 49, 44, 48, 47, 36, 45, 48, 42, 42, 35, 49, 35, 49, 49, 41, 36, 42], "d6d0d1a523ade8aa"),
    ],
)  # fmt: skip
def test_cast_run_folds_extrapolation(scale, phi, min_train, gjstar_sum, ntrain, digest):
    """CAST run on TRAIN with PRED * scale; digest = sha256 of the exclusion lists as 'a,b;c;...'."""
    res = nndm(TRAIN, PRED * scale, phi, min_train=min_train)
    assert [t.size for t in res.indx_train] == ntrain
    assert res.Gjstar.sum() == pytest.approx(gjstar_sum, rel=1e-12)
    assert _digest(res) == digest
    _check_invariants(res, _tdist(TRAIN))


def test_cast_run_folds_with_ties():
    """Integer grid: every NN distance is 1 or sqrt(2) and ties abound; CAST removes tied neighbours together,
    which can take a fold below min_train * n (fold 2 ends with 12 of 25 points, 12/25 < 0.5)."""
    res = nndm(_grid(range(5)), _grid(range(-2, 7, 2)), 3, min_train=0.5)
    assert _excluded(res) == CAST_GRID
    assert res.Gjstar.sum() == pytest.approx(44.313708498984759, rel=1e-12)
    assert res.indx_train[2].size == 12
    _check_invariants(res, _tdist(_grid(range(5))))


# --- hand-worked case ----------------------------------------------------------------------------


def test_hand_worked_line():
    """Five training points on a line, x = 0, 1, 3, 6, 10 (indices 0..4); prediction points at
    -2, 12, 15, 20; phi = 4.5; n = 5, m = 4.

    Training distances: d01=1, d02=3, d03=6, d04=10, d12=2, d13=5, d14=9, d23=3, d24=7, d34=4.
    Gj = [1, 1, 2, 3, 4]. Gij = [2, 2, 5, 10] (-2→0, 12→10, 15→10, 20→10), so Ĝij(r) = 0 for r < 2,
    1/2 for 2 <= r < 5. Test: (#{Gj* <= r} - 1)/5 >= #{Gij <= r}/4 and #kept(j)/5 > min_train.

    min_train = 0.5 (a removal needs #kept >= 3):
      1. r=1, j=0, K={1}: (2-1)/5 = 0.2 >= 0, 4/5 > 0.5 → exclude 1 from fold 0; Gj*[0] = d02 = 3.
         Gj* = [3, 1, 2, 3, 4]; smallest >= 1 is 1, first at j=1, K={0}.
      2. r=1, j=1: (1-1)/5 = 0 >= 0, 4/5 → exclude 0 from fold 1; Gj*[1] = d12 = 2.
         Gj* = [3, 2, 2, 3, 4]; next r = 2, j=1, K={2}.
      3. r=2: (2-1)/5 = 0.2 < 2/4 → no; next r = 3 (first at j=0, K={2}).
      4. r=3, j=0: (4-1)/5 = 0.6 >= 2/4, #kept(0) = 3, 3/5 = 0.6 > 0.5 → exclude 2 from fold 0;
         Gj*[0] = d03 = 6. Gj* = [6, 2, 2, 3, 4]; smallest >= 3 is 3 at j=3, K={2}.
      5. r=3, j=3: (3-1)/5 = 0.4 < 0.5 → no; next r = 4, j=4, K={3}.
      6. r=4, j=4: (4-1)/5 = 0.6 >= 2/4, 4/5 → exclude 3 from fold 4; Gj*[4] = d24 = 7.
         Gj* = [6, 2, 2, 3, 7]; smallest >= 4 is 6 > phi → stop.
      Exclusions: {0: [1, 2], 1: [0], 4: [3]}; Gj* = [6, 2, 2, 3, 7]. Fold 0 keeps 2 of 5 points
      (< 0.5 · 5): the check 3/5 > 0.5 came before the removal (CAST's rule, floor(0.5 · 5) = 2).

    min_train = 0.6: steps 1–3 as above; in step 4, 3/5 > 0.6 fails → next r = 4, j=4; step 6 as
      above (4/5 > 0.6) → Gj* = [3, 2, 2, 3, 7], next r = 7 > phi → stop.
      Exclusions: {0: [1], 1: [0], 4: [3]}.
    (CAST's R/nndm.R gives the same folds for both.)
    """
    x = np.array([0.0, 1.0, 3.0, 6.0, 10.0])
    p = np.array([-2.0, 12.0, 15.0, 20.0])
    res = nndm(x, p, 4.5, min_train=0.5)
    assert res.Gj.tolist() == [1, 1, 2, 3, 4]
    assert res.Gij.tolist() == [2, 2, 5, 10]
    assert _excluded(res) == {0: [1, 2], 1: [0], 4: [3]}
    assert res.Gjstar.tolist() == [6, 2, 2, 3, 7]
    assert [t.tolist() for t in res.indx_train] == [[3, 4], [2, 3, 4], [0, 1, 3, 4], [0, 1, 2, 4], [0, 1, 2]]
    _check_invariants(res, _tdist(x))

    res6 = nndm(x[:, None], p[:, None], 4.5, min_train=0.6)  # (n, 1) input is the same thing
    assert _excluded(res6) == {0: [1], 1: [0], 4: [3]}
    assert res6.Gjstar.tolist() == [3, 2, 2, 3, 7]

    # censored at phi = 4.5: Gij -> [2, 2, 4.5, 4.5]; Gj = [1, 1, 2, 3, 4]; Gj* = [4.5, 2, 2, 3, 4.5]
    m = distance_match(res)
    assert m.nndm_better and m.w1_nndm < m.w1_loo


# --- limiting cases ------------------------------------------------------------------------------


def test_reduces_to_loo_when_prediction_points_sit_on_the_training_points():
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 100, (40, 2))
    for pred in (x, x + rng.normal(0, 1e-6, x.shape)):
        for phi in ("max", 5.0, 50.0):
            res = nndm(x, pred, phi, min_train=0.1)
            assert res.n_excluded.sum() == 0
            np.testing.assert_array_equal(res.Gjstar, res.Gj)
            assert [t.tolist() for t in res.indx_train] == [[k for k in range(40) if k != j] for j in range(40)]


def test_reduces_to_loo_when_distance_distributions_are_equal():
    """Prediction point i sits at distance Gj[i] straight off training point i, so Gij and Gj are the
    same sample: at every r, (#{Gj <= r} - 1)/n < #{Gij <= r}/n and nothing is excluded."""
    x = np.array([0.0, 1.0, 3.0, 6.0, 10.0, 15.0])
    train = np.column_stack([x, np.zeros_like(x)])
    gj = np.array([1.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    pred = np.column_stack([x, gj])
    res = nndm(train, pred, "max", min_train=0.0)
    np.testing.assert_array_equal(np.sort(res.Gij), np.sort(res.Gj))
    assert res.n_excluded.sum() == 0
    assert distance_match(res).w1_nndm == distance_match(res).w1_loo == 0.0


@pytest.mark.parametrize(
    ("n", "min_train", "kept"), [(20, 0.5, 10), (20, 0.3, 6), (20, 0.75, 15), (7, 0.5, 3), (40, 0.5, 20)]
)
def test_far_prediction_points_exclude_as_much_as_min_train_allows(n, min_train, kept):
    """All prediction points lie beyond phi, so Ĝij(r) = 0 on [0, phi] and every removal passes the
    match test: with phi above every training distance, each fold is cut to floor(min_train * n)
    points (random points: no ties), keeping its farthest neighbours — except where CAST's loop skips
    a fold: when fold i is stopped by min_train while its nearest kept point j has i as nearest kept
    point too (Gj*[i] == Gj*[j], i < j), CAST moves past that radius and fold j is never cut further
    (see the module docstring). R's CAST gives the same fold sizes (checked for n = 20 below)."""
    rng = np.random.default_rng(n)
    x = rng.uniform(0, 1, (n, 2))
    pred = rng.uniform(0, 1, (30, 2)) + 100.0
    res = nndm(x, pred, 10.0, min_train=min_train)
    d = _tdist(x)
    sizes = [t.size for t in res.indx_train]
    assert min(sizes) == kept
    for j in range(n):
        far = np.argsort(d[j])[::-1][: sizes[j]]
        assert sorted(res.indx_train[j].tolist()) == sorted(far.tolist())  # the farthest are kept
        if sizes[j] > kept:  # CAST's skip: a blocked lower-index mutual partner at the same radius
            assert any(
                sizes[i] == kept and res.Gjstar[i] == res.Gjstar[j] == d[i, j] and j in res.indx_train[i]
                for i in range(j)
            )
    assert sum(s == kept for s in sizes) >= 0.7 * n
    _check_invariants(res, d)
    assert distance_match(res).nndm_better
    if n == 20:  # CAST's R/nndm.R (139849dd) on the same points
        cast = {
            0.5: [10, 10, 10, 10, 11, 10, 10, 10, 10, 14, 10, 10, 10, 10, 15, 10, 10, 10, 13, 10],
            0.3: [6, 6, 6, 6, 6, 6, 6, 6, 6, 8, 6, 6, 10, 6, 6, 6, 6, 16, 7, 6],
            0.75: [15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 16, 15, 15, 15, 15, 15, 15],
        }
        assert sizes == cast[min_train]


def test_min_train_zero_can_empty_a_fold():
    """As in CAST: with min_train = 0 a removal needs only one kept point, so a fold can end empty
    (Gj* = inf, R's min() of nothing); such folds cannot train a model."""
    rng = np.random.default_rng(8)
    x = rng.uniform(0, 1, (6, 2))
    res = nndm(x, x + 50.0, 10.0, min_train=0.0)
    assert all(t.size == 0 for t in res.indx_train)
    assert np.all(np.isinf(res.Gjstar))
    assert distance_match(res).w1_nndm == 0.0  # censored at phi, as is every Gij


def test_far_prediction_points_small_phi_only_excludes_within_phi():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 10, (30, 2))
    phi = 2.0
    res = nndm(x, x + 1000.0, phi, min_train=0.0)
    d = _tdist(x)
    for j in range(30):
        within = [k for k in range(30) if k != j and d[j, k] <= phi]
        assert res.indx_exclude[j].tolist() == within  # everything within phi goes, nothing else
        assert res.Gjstar[j] > phi
    _check_invariants(res, d)


# --- min_train, determinism, API -----------------------------------------------------------------


@pytest.mark.parametrize("min_train", [0.0, 0.2, 0.5, 0.8, 1.0])
def test_min_train_holds_in_every_fold(min_train):
    rng = np.random.default_rng(11)
    centres = rng.uniform(0, 100, (5, 2))
    x = (centres[:, None, :] + rng.normal(0, 2, (5, 8, 2))).reshape(-1, 2)  # clustered, n = 40
    pred = rng.uniform(0, 100, (300, 2))
    res = nndm(x, pred, 30.0, min_train=min_train)
    n = len(x)
    assert all(t.size >= min(n - 1, np.floor(min_train * n)) for t in res.indx_train)
    if min_train == 1.0:
        assert res.n_excluded.sum() == 0
    _check_invariants(res, _tdist(x))
    assert distance_match(res).w1_nndm <= distance_match(res).w1_loo


def test_deterministic():
    rng = np.random.default_rng(5)
    x, p = rng.uniform(0, 50, (60, 2)), rng.uniform(0, 80, (200, 2))
    a, b = nndm(x, p, 15.0), nndm(x.copy(), p.copy(), 15.0)
    assert all(np.array_equal(u, v) for u, v in zip(a.indx_train, b.indx_train))
    assert all(np.array_equal(u, v) for u, v in zip(a.indx_exclude, b.indx_exclude))
    np.testing.assert_array_equal(a.Gjstar, b.Gjstar)


def test_fold_masks_drive_scikit_learn():
    rng = np.random.default_rng(2)
    xy = rng.uniform(0, 10, (25, 2))
    y = xy @ [1.0, -2.0] + rng.normal(0, 0.1, 25)
    res = nndm(xy, rng.uniform(0, 30, (100, 2)), 5.0)
    folds = fold_masks(res)
    assert len(folds) == 25 and all(te.tolist() == [j] for j, (_, te) in enumerate(folds))
    pred = cross_val_predict(LinearRegression(), xy, y, cv=folds)
    assert pred.shape == (25,) and np.all(np.isfinite(pred))


def test_callable_metric_and_feature_space():
    rng = np.random.default_rng(4)
    tr, pr = rng.normal(5, 3, (30, 4)), rng.normal(6, 4, (80, 4))
    a, b = standardise_features(tr, pr)
    np.testing.assert_allclose(a.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(a.std(0, ddof=1), 1)
    r1 = nndm(a, b, "max")
    r2 = nndm(a, b, "max", metric=lambda u, v: np.sqrt(((u[:, None] - v[None]) ** 2).sum(-1)))
    assert all(np.array_equal(u, v) for u, v in zip(r1.indx_exclude, r2.indx_exclude))
    r3 = nndm(a, b, "max", metric="cityblock")
    assert r3.Gj.shape == (30,)


def test_input_checks():
    x = np.zeros((3, 2)) + np.arange(3)[:, None]
    with pytest.raises(ValueError, match="phi"):
        nndm(x, x, -1)
    with pytest.raises(ValueError, match="phi"):
        nndm(x, x, "min")
    with pytest.raises(ValueError, match="min_train"):
        nndm(x, x, 1.0, min_train=1.5)
    with pytest.raises(ValueError, match="at least 2"):
        nndm(x[:1], x, 1.0)
    with pytest.raises(ValueError, match="columns"):
        nndm(x, np.zeros((2, 3)), 1.0)
    with pytest.raises(ValueError, match="NaN"):
        nndm(np.array([[0.0, np.nan], [1, 1]]), x, 1.0)


# --- lon/lat -------------------------------------------------------------------------------------


def test_geodesic_and_aeqd_in_the_tarim_basin():
    rng = np.random.default_rng(9)
    pts = np.column_stack([rng.uniform(75, 95, 60), rng.uniform(35, 43, 60)])
    g = geodesic_distances(pts, pts)
    assert g.shape == (60, 60) and np.allclose(np.diag(g), 0)
    # one degree of latitude at 39 °N on WGS84 is ~111.0 km
    one = geodesic_distances(np.array([[85.0, 38.5]]), np.array([[85.0, 39.5]]))[0, 0]
    assert 110_900 < one < 111_100
    # chunking does not change the answer
    np.testing.assert_array_equal(geodesic_distances(pts, pts, chunk=7), g)
    # AEQD: distances from the centre are exact, the rest within 0.5 % across the basin
    xy = lonlat_to_aeqd(pts)
    from_centre = geodesic_distances(np.array([TARIM_CENTRE]), pts)[0]
    np.testing.assert_allclose(np.hypot(xy[:, 0], xy[:, 1]), from_centre, rtol=1e-9)
    iu = np.triu_indices(60, 1)
    assert np.max(np.abs(_tdist(xy)[iu] / g[iu] - 1)) < 5e-3
    with pytest.raises(ValueError, match="lat"):
        geodesic_distances(pts[:, ::-1] * [1, 3], pts)  # lat > 90: columns swapped


def test_nndm_lonlat():
    rng = np.random.default_rng(1)
    sites = np.column_stack([rng.uniform(80, 82, 40), rng.uniform(39, 41, 40)])  # clustered sites
    pixels = np.column_stack([rng.uniform(75, 95, 400), rng.uniform(35, 43, 400)])  # the basin
    res = nndm_lonlat(sites, pixels, phi_m=150_000.0)
    ref = nndm(sites, pixels, 150_000.0, metric=geodesic_distances)
    assert all(np.array_equal(u, v) for u, v in zip(res.indx_exclude, ref.indx_exclude))
    assert res.n_excluded.sum() > 0
    m = distance_match(res)
    assert m.nndm_better
    _check_invariants(res, geodesic_distances(sites, sites))
