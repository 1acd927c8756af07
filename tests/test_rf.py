"""RF inversion: deduplicated grid search == naive GridSearchCV bitwise; export round-trip bit-identical."""

from __future__ import annotations

import numpy as np
import pytest

from tarimhm.rf import dedup_search, fit_model, load_forest, naive_search, predict_exported, save_forest


@pytest.mark.parametrize("n,seed", [(7, 3), (6, 11)])
def test_dedup_search_bitwise_equals_gridsearchcv(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 0.4, (n, 4))
    y = rng.gamma(2.0, 5.0, n)
    # includes a binding max_depth (2), prefixes of the tree count, and stump-only leaf sizes (4, 5)
    grid = {"n_estimators": [5, 10, 20], "max_depth": [2, 10], "min_samples_leaf": [1, 2, 4, 5]}
    gs = naive_search(X, y, grid, seed)
    dd = dedup_search(X, y, grid, seed)
    assert np.array_equal(gs.cv_results_["mean_test_score"], dd["mean_test_score"])
    for s in range(n):
        assert np.array_equal(gs.cv_results_[f"split{s}_test_score"], dd["split_scores"][:, s])
    assert gs.best_params_ == dd["best_params"]
    assert np.array_equal(gs.cv_results_["rank_test_score"], dd["rank_test_score"])
    assert dd["n_fits"] < dd["n_fits_naive"] / 3


def test_stumps_when_leaf_too_large():
    # 7 sites, LOO folds of 6: min_samples_leaf 4 needs 8 samples to split -> every tree a stump,
    # so the forest predicts the mean of its bootstrap samples: a constant
    rng = np.random.default_rng(0)
    X, y = rng.uniform(size=(7, 4)), rng.uniform(size=7)
    m = fit_model(X[:6], y[:6], {"rf__n_estimators": 10, "rf__max_depth": 10, "rf__min_samples_leaf": 4}, 1)
    assert max(t.get_depth() for t in m.named_steps["rf"].estimators_) == 0
    p = m.predict(rng.uniform(size=(5, 4)))
    assert np.all(p == p[0])


def test_export_roundtrip_bit_identical(tmp_path):
    rng = np.random.default_rng(2)
    X, y = rng.uniform(0, 0.5, (9, 4)), rng.gamma(2, 3, 9)
    m = fit_model(X, y, {"rf__n_estimators": 50, "rf__max_depth": 10, "rf__min_samples_leaf": 1}, 7)
    p = save_forest(m, tmp_path / "f.npz", {"features": ["B02", "B03", "B04", "B08"]})
    f = load_forest(p)
    Xq = rng.uniform(-0.1, 0.6, (500, 4))
    # values exactly on thresholds (in scaled space) go left, as in scikit-learn
    sc = m.named_steps["scale"]
    thr = m.named_steps["rf"].estimators_[0].tree_.threshold[0]
    feat = m.named_steps["rf"].estimators_[0].tree_.feature[0]
    edge = np.tile(Xq[:1], (1, 1))
    edge[0, feat] = (np.float32(thr) - sc.min_[feat]) / sc.scale_[feat]
    Xq = np.vstack([Xq, edge])
    assert np.array_equal(predict_exported(f, Xq), m.predict(Xq))
    assert f["meta"]["format"] == "tarimhm-forest-1" and f["meta"]["n_trees"] == 50
    with open(p, "rb") as fh:
        assert fh.read(2) == b"PK"  # a plain npz (zip), loaded with allow_pickle=False


def test_rf_stage_table4_fig4(use_sites, tiny, rep):
    """Stages 050-070 on the tiny configuration, then Tables 4-6, Figs 4, 6, 7 from their saved outputs."""
    from PIL import Image

    from tarimhm import paths
    from tarimhm.imagery.stage import run_imagery
    from tarimhm.rf.figures import fig4
    from tarimhm.rf.stage import run_rf
    from tarimhm.rf.tables import tab4
    from tarimhm.viz.figures import render_figure
    from tarimhm.viz.tables import render_table

    run_imagery(tiny, paths.ROOT / "analysis" / "050_imagery.py", progress=False)
    m = run_rf(tiny, rep, paths.ROOT / "analysis" / "060_rf_inversion.py", progress=False)
    assert len(m) == 10 and set(m.medium) == {"soil", "water"}
    assert (m.n_fits < m.n_fits_naive).all() and m.degenerate.dtype == bool
    assert (m.n_train + m.n_validation).tolist() == [10] * 5 + [9] * 5
    assert (paths.AUDIT / "rf.csv").exists()  # the Table 4 audit is written by the stage
    files = render_table(tab4, "tab4_accuracy", tiny, rep, paths.ROOT / "analysis" / "204_tab4_accuracy.py")
    import pandas as pd

    a = pd.read_csv(files[0])
    assert len(a) == 30 and a.verdict.str.contains("surrogate").any()
    from test_rf_metrics import check_table4_outputs

    assert check_table4_outputs([files[0], paths.AUDIT / "rf.csv"]) == 20  # R² rows of both files
    audit = pd.read_csv(paths.AUDIT / "rf.csv", comment="#")
    assert set(audit.basis) == {"coincidence"} and "reproduced" not in set(audit.verdict_class)
    assert set(a.unit.astype(str)) == {"mg/kg", "µg/L", "1"}
    # the least-squares optimum put the three soil Cd validation values at 0.1212 (R² -2.7e11); member 0 of
    # the ensemble has no ties, so R² is defined; below the variance floor it would be NaN with its reason
    cd = m[(m.medium == "soil") & (m.metal == "Cd")].iloc[0]
    assert np.isfinite(cd.R2) or cd.R2_note.startswith("undefined: variance of the validation values")
    assert cd.sd_observed > 0
    png = [
        p
        for p in render_figure(fig4, "fig4_importance", tiny, paths.ROOT / "analysis" / "104_fig4_importance.py")
        if p.suffix == ".png"
    ][0]
    assert Image.open(png).text["tarimhm_data_status"] == "reconstructed+surrogate"
    for med_metal in ("soil_As", "water_Zn"):
        assert (paths.DATA_DERIVED / "rf" / "models" / f"{med_metal}.npz").exists()
        assert (paths.DATA_DERIVED / "rf" / "models" / f"{med_metal}_aoa.npz").exists()
    iv = pd.read_csv(paths.DATA_DERIVED / "rf" / "intervals.csv")
    assert len(iv) == 30 and (iv.lower <= iv.upper).all() and np.allclose(iv.guaranteed_coverage, 0.6)
    assert (iv.lower > 0).all()  # jackknife+ on ln C: no negative concentration bound
    ao = pd.read_csv(paths.DATA_DERIVED / "rf" / "aoa.csv")
    assert len(ao) == 10
    d = ao[ao.aoa_defined]  # stump forests have no informative predictor: no AOA, said so
    assert (d.threshold <= d.train_di_max + 1e-12).all() and (d.threshold_boot_p05 <= d.threshold_boot_p95).all()
    assert (~ao.aoa_defined).any() and ao[~ao.aoa_defined].threshold.isna().all()
    from tarimhm.rf.stage import run_validation

    v = run_validation(tiny, rep, paths.ROOT / "analysis" / "061_rf_validation.py", progress=False)
    assert len(v) == 10 and v.p_a.between(1 / 20, 1).all() and v.p_c.between(1 / 10, 1).all()  # B = 19, 9
    assert (v.p_a_adj >= v.p_a - 1e-12).all() and (v.p_c_adj >= v.p_c - 1e-12).all()
    assert (v.n_splits == [120] * 5 + [84] * 5).all()
    assert np.allclose(v.mean_LOSO_R2, [1 - 100 / 81] * 5 + [1 - 81 / 64] * 5)
    a = pd.read_csv(paths.AUDIT / "rf_validation.csv", comment="#")
    assert len(a) == 10 and a.answer.str.contains("chance").all()
    assert (paths.AUDIT / "rf_validation.md").read_text().startswith("# RF validation: could the printed R²")
    with np.load(paths.DATA_DERIVED / "rf" / "validation_nulls.npz") as z:
        assert z["null_a_soil_As"].shape == (19,) and z["null_c_water_Zn"].shape == (9,)
    assert v.protocol_matches_stage060.all()  # tinyforest on the printed split = stage 060's scikit-learn forest
    from tarimhm.rf.figures import figV1

    png = [
        p
        for p in render_figure(
            figV1, "figV1_validation_nulls", tiny, paths.ROOT / "analysis" / "191_figV1_validation_nulls.py"
        )
        if p.suffix == ".png"
    ][0]
    assert Image.open(png).text["tarimhm_data_status"] == "reconstructed+surrogate"
    # stage 070 on the same outputs: basin maps, Tables 5-6, Figs 6-7 and companions
    import rasterio

    from tarimhm.maps import figures as mapfigs
    from tarimhm.maps.stage import run_maps
    from tarimhm.maps.tables import tab5, tab6

    summ = run_maps(tiny, rep, paths.ROOT / "analysis" / "070_maps.py", progress=False)
    assert set(summ) == {"soil", "water"} and summ["soil"]["As"]["n_domain"] > 0
    for med in ("soil", "water"):
        with rasterio.open(paths.map_file(med)) as s:
            assert s.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG" and s.count == 20
            assert s.tags()["tarimhm_data_status"] == "reconstructed+surrogate"
            assert s.descriptions[0] == "As_mean" and s.units[0] == ("mg/kg" if med == "soil" else "µg/L")
    for med, n, tab in (("soil", "tab5_soil_classes", tab5), ("water", "tab6_water_classes", tab6)):
        files = render_table(tab, n, tiny, rep, paths.ROOT / "analysis" / f"20{n[3]}_{n}.py")
        t = pd.read_csv(files[0])
        assert len(t) == 5 * 7 and t.verdict.str.contains("cannot be reproduced").any()
        shares = t[~t["class"].isin(["removed>P99"])].groupby("metal").ours_pct.sum()
        assert np.allclose(shares, 100)  # every metal mapped somewhere, classes partition it
        assert (paths.AUDIT / f"maps_{med}.csv").exists()
    for name in ("fig6", "fig7", "fig6unc", "fig7unc", "fig6aoa", "fig7aoa"):
        png = [
            p
            for p in render_figure(
                getattr(mapfigs, name), name, tiny, paths.ROOT / "analysis" / "106_fig6_soil_maps.py"
            )
            if p.suffix == ".png"
        ][0]
        assert Image.open(png).text["tarimhm_data_status"] == "reconstructed+surrogate"


def test_loso_and_region_out_by_hand():
    """LOSO on a toy set where the answer is known: y = 10 x feature 0 exactly; an RF of stumps
    (min_samples_leaf too large to split) predicts the bootstrap mean of the other sites."""
    from tarimhm.rf.validation import leave_region_out, loso

    X = np.array([[0.0, 0, 0, 0], [1, 0, 0, 0], [2, 0, 0, 0], [3, 0, 0, 0], [4, 0, 0, 0], [5, 0, 0, 0]])
    y = 10 * X[:, 0]
    bp = {"rf__n_estimators": 50, "rf__max_depth": 10, "rf__min_samples_leaf": 1}
    r = loso(X, y, bp, 0)
    # extrapolating ends are predicted from their nearest neighbours' values: never beyond the range
    assert r["pred"][0] >= 10 - 1e-9 and r["pred"][-1] <= 40 + 1e-9
    assert r["R2"] > 0.5  # a monotone signal is recovered
    lr = leave_region_out(X, y, ["a", "a", "a", "b", "b", "b"], bp, 0)
    assert lr["n_regions"] == 2 and np.all(lr["pred"][:3] >= 30 - 1e-9)  # region a predicted from b only
    assert leave_region_out(X, y, ["a"] * 6, bp, 0) is None


def test_loso_exact_hand_checked():
    """Without bootstrap every tree is the full CART. x = (0, 0, 2, 4, 6, 8, 8), y = 10 x: every fold
    keeps min 0 and max 8, so Min-Max scaling divides by 8 and all values and midpoint thresholds
    are exact in float32. Leaving a site out, its x lies on the midpoint between its neighbours and
    goes left (x <= t): predictions (0, 0, 0, 20, 40, 80, 80); residuals (0, 0, -20, -20, -20, 0, 0)
    -> SS_res = 1200; mean 40, SS_tot = 4 x 1600 + 2 x 400 = 7200 -> R2 = 1 - 1200/7200 = 5/6."""
    from tarimhm.rf.validation import loso

    x = np.array([0.0, 0, 2, 4, 6, 8, 8])
    X = np.column_stack([x, np.zeros((7, 3))])
    r = loso(X, 10 * x, {"rf__n_estimators": 3, "rf__bootstrap": False}, 0)
    np.testing.assert_array_equal(r["pred"], [0, 0, 0, 20, 40, 80, 80])
    assert r["R2"] == pytest.approx(5 / 6)
