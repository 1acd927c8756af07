"""Basin-map engine: compiled forests vs scikit-learn (bit for bit), DI/AOA, the NaN-aware median,
tiled == untiled, resume after a killed run, dask scheduler, COG structure, class counts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import rasterio
from affine import Affine
from scipy.ndimage import generic_filter

from tarimhm.raster import post
from tarimhm.raster.compile import (
    compile_di,
    compile_model,
    dn_to_reflectance,
    forest_arrays,
    jackknife_ranks,
    reference_mean_var,
)
from tarimhm.raster.predict import PRODUCTS, MapSpec, assemble, band_names, run_tiles, tile_jobs
from tarimhm.raster.store import load_compiled, save_compiled
from tarimhm.rf.aoa import NO_AOA_NOTE, aoa, di, train_di
from tarimhm.rf.intervals import conformity_scores, jackknife_plus, loo_fits
from tarimhm.rf.inversion import make_pipeline


def _fit(n, seed=0, trees=40, leaf=1):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.02, 0.45, (n, 4))
    y = rng.lognormal(size=n)
    return X, y, make_pipeline(42, n_estimators=trees, min_samples_leaf=leaf, max_depth=10).fit(X, y)


def _adversarial_dn(cm, rng, n_random=4000):
    """Random DNs plus, per band, every DN adjacent to every cut (cut - 1, cut, cut + 1) and the
    extremes 1 and 65535, each combined with random values of the other bands."""
    cols = [rng.integers(1, 65536, n_random) for _ in range(4)]
    extra = []
    for b, cuts in enumerate(cm.cuts):
        adj = np.unique(np.clip(np.concatenate([cuts - 1, cuts, cuts + 1, [1, 65535]]), 1, 65535))
        block = rng.integers(1, 65536, (len(adj), 4))
        block[:, b] = adj
        extra.append(block)
    dn = np.concatenate([np.column_stack(cols), *extra]).astype(np.uint16)
    return dn.T.reshape(4, 1, -1)


@pytest.mark.parametrize("n", [7, 9, 19])
@pytest.mark.parametrize("max_cells,u16_cells", [(2**22, 65535), (2**22, 0), (1, 65535)])
def test_compiled_bit_exact_with_sklearn(n, max_cells, u16_cells, monkeypatch):
    """Both paths; the table path with uint16 and with int32 kernel LUTs."""
    import tarimhm.raster.compile as C

    monkeypatch.setattr(C, "U16_MAX_CELLS", u16_cells)
    X, y, pipe = _fit(n, seed=n)
    cm = compile_model(forest_arrays(pipe), max_cells=max_cells)
    assert cm.path == ("traversal" if max_cells == 1 or n == 19 else "table")
    rng = np.random.default_rng(n)
    dn = _adversarial_dn(cm, rng)
    got = cm.predict(dn)
    ref = reference_mean_var(pipe, dn_to_reflectance(dn.reshape(4, -1).T))
    np.testing.assert_array_equal(got[0].ravel(), ref[:, 0])  # mean, bit for bit
    np.testing.assert_array_equal(got[1].ravel(), ref[:, 1])  # variance across trees
    np.testing.assert_array_equal(got[0].ravel(), pipe.predict(dn_to_reflectance(dn.reshape(4, -1).T)))
    assert np.isnan(got[2]).all()  # no LOO forests: no interval


def test_float32_edges_of_thresholds():
    """Thresholds placed exactly on the float32 value of a DN, and one float64/float32 ulp either
    side: the compiled cut must send that DN the same way as scikit-learn."""
    X, y, pipe = _fit(7, seed=3, trees=12)
    sc = pipe.named_steps["scale"]
    rng = np.random.default_rng(5)
    probes = []
    for t, est in enumerate(pipe.named_steps["rf"].estimators_):
        tr = est.tree_
        for node in np.flatnonzero(tr.children_left != -1):
            f = tr.feature[node]
            dn0 = int(rng.integers(200, 4000))
            v32 = np.float32(dn_to_reflectance(dn0) * sc.scale_[f] + sc.min_[f])
            choice = (t + node) % 5
            thr = [
                float(v32),
                np.nextafter(float(v32), -np.inf),
                np.nextafter(float(v32), np.inf),
                float(np.nextafter(v32, np.float32(-np.inf))),
                float(np.nextafter(v32, np.float32(np.inf))),
            ][choice]
            tr.threshold[node] = thr
            probes.append((f, dn0))
    cm = compile_model(forest_arrays(pipe))
    dn = rng.integers(1, 65536, (len(probes) * 3, 4))
    for i, (f, dn0) in enumerate(probes):
        dn[3 * i : 3 * i + 3, f] = [dn0 - 1, dn0, dn0 + 1]
    dn = dn.astype(np.uint16).T.reshape(4, 1, -1)
    ref = reference_mean_var(pipe, dn_to_reflectance(dn.reshape(4, -1).T))
    got = cm.predict(dn)
    np.testing.assert_array_equal(got[0].ravel(), ref[:, 0])
    np.testing.assert_array_equal(got[1].ravel(), ref[:, 1])
    tr_model = compile_model(forest_arrays(pipe), max_cells=1)
    np.testing.assert_array_equal(tr_model.predict(dn), got)


@pytest.mark.parametrize("n", [7, 9])
def test_jackknife_bounds_exact(n):
    """Per-pixel bounds of both engine paths == jackknife_plus (on ln C, back-transformed) on the same
    pixels, bit for bit; n = 9 at 80 % is a rank boundary (k_lo = 2 exactly, 1 by the float rule)."""
    X, y, pipe = _fit(n, seed=10 + n, trees=25)
    bp = {"rf__n_estimators": 25, "rf__min_samples_leaf": 1, "rf__max_depth": 10}
    models, loo_pred = loo_fits(X, y, bp, 42)
    resid = conformity_scores(y, loo_pred)  # |ln y_i - ln mu_-i(x_i)|
    loo = [forest_arrays(m) for m in models]
    rng = np.random.default_rng(1)
    dn = rng.integers(1, 65536, (4, 30, 40)).astype(np.uint16)
    lo, hi = jackknife_plus(X, y, dn_to_reflectance(dn.reshape(4, -1).T), bp, 42, 0.8, fits=(models, loo_pred))
    assert (lo > 0).all() and (hi > lo).all()
    for max_cells in (2**22, 1):
        cm = compile_model(forest_arrays(pipe), loo, resid, 0.8, max_cells=max_cells)
        assert (cm.nodes["k_lo"], cm.nodes["k_hi"]) == jackknife_ranks(n, 0.8) == ({7: 1, 9: 2}[n], {7: 7, 9: 8}[n])
        got = cm.predict(dn)
        np.testing.assert_array_equal(got[2].ravel(), lo)
        np.testing.assert_array_equal(got[3].ravel(), hi)
    # a level n cannot support is not compiled (NaN bounds), as the RF stage refuses it
    cm = compile_model(forest_arrays(pipe), loo, resid, 0.95)
    assert cm.n_loo == 0 and np.isnan(cm.predict(dn)[2:]).all()
    # nor are residuals that are not finite (a concentration <= 0 in the RF stage)
    cm = compile_model(forest_arrays(pipe), loo, np.full(n, np.nan), 0.8)
    assert cm.n_loo == 0 and np.isnan(cm.predict(dn)[2:]).all()
    # residuals of the old absolute scale are refused
    with pytest.raises(ValueError, match="needs residuals"):
        compile_model(forest_arrays(pipe), loo, resid, 0.8, resid_scale="absolute")


def test_nodata_and_bad_shape():
    X, y, pipe = _fit(7)
    cm = compile_model(forest_arrays(pipe))
    dn = np.full((4, 2, 2), 1000, np.uint16)
    dn[2, 0, 1] = 0
    dn[:, 1, 0] = 0  # every band nodata: sum of the NaN-row offsets
    out = cm.predict(dn)
    assert np.isnan(out[:, 0, 1]).all() and np.isnan(out[:, 1, 0]).all() and np.isfinite(out[:2, 1, 1]).all()
    with pytest.raises(ValueError, match="expected a \\(4, h, w\\) DN block"):
        cm.predict(np.ones((3, 2, 2), np.uint16))
    buf = np.full((2, 2, 2), -1.0, np.float32)  # caller's buffer is filled in place
    assert cm.predict(dn, np.float32, outputs=2, out=buf) is buf
    np.testing.assert_array_equal(buf, cm.predict(dn, np.float32, outputs=2))
    with pytest.raises(ValueError, match="out must be"):
        cm.predict(dn, np.float32, outputs=2, out=np.empty((2, 2, 2)))
    with pytest.raises(ValueError, match="outputs must be"):
        cm.predict(dn, outputs=3)


def test_di_and_aoa_exact():
    rng = np.random.default_rng(2)
    X = rng.uniform(0.02, 0.4, (7, 4))
    m = train_di(X, rng.uniform(0, 1, 4))
    dm = compile_di(
        {
            "mean": m.mean,
            "sd": m.sd,
            "weights": m.weights,
            "train_scaled": m.train_scaled,
            "d_bar": m.d_bar,
            "threshold": m.threshold,
        }
    )
    dn = rng.integers(1, 65536, (4, 40, 50)).astype(np.uint16)
    dn[:, 0, :7] = np.rint(X.T * 1e4)  # pixels close to the training points
    got = dm.di(dn)
    ref_di, ref_in = aoa(m, dn_to_reflectance(dn.reshape(4, -1).T))
    np.testing.assert_array_equal(got.ravel(), ref_di)
    np.testing.assert_array_equal(got.ravel() <= dm.threshold, ref_in)
    assert np.array_equal(di(m, X[:1]), [0.0])


@pytest.mark.parametrize("seed", [0, 1])
def test_nanmedian5_equals_scipy_generic_filter(seed):
    rng = np.random.default_rng(seed)
    a = (rng.integers(0, 5, (41, 53)) if seed == 0 else rng.normal(size=(41, 53))).astype(np.float32)
    a[rng.random(a.shape) < 0.35] = np.nan
    a[5:15, 5:15] = 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows
        ref = generic_filter(a, np.nanmedian, size=5, mode="constant", cval=np.nan)[2:-2, 2:-2]
    ref[np.isnan(a[2:-2, 2:-2])] = np.nan
    np.testing.assert_array_equal(post.nanmedian5(a), ref)


def test_nanmedian_by_hand():
    a = np.full((5, 5), np.nan, np.float32)
    a[2, 2], a[0, 0], a[4, 4], a[1, 3] = 4, 1, 10, 2  # valid: 1, 2, 4, 10 -> (2 + 4) / 2
    assert post.nanmedian5(a)[0, 0] == 3.0
    a[3, 1] = 7  # 1, 2, 4, 7, 10 -> 4
    assert post.nanmedian5(a)[0, 0] == 4.0


def test_domain_rule():
    m = np.array([[0, 1, 3, 5, 7]], np.uint8)  # outside, land, water, snow, water+snow
    np.testing.assert_array_equal(post.domain(m, "soil"), [[False, True, False, False, False]])
    np.testing.assert_array_equal(post.domain(m, "water"), [[False, False, True, False, False]])
    with pytest.raises(ValueError, match="medium"):
        post.domain(m, "air")


def test_tile_counts_by_hand():
    mean = np.array([[0.5, 1.0, 1.5], [2.0, 3.5, np.nan]], np.float32)
    res = {"bands": mean[None], "aoa": np.array([[1, 0, 1], [1, 255, 255]], np.uint8), "n_domain": 5, "n_removed": 0}
    c = post.tile_counts(res, np.array([1.0, 2.0, 3.0]))
    # bins (-inf,1], (1,2], (2,3], (3,inf): 0.5 1.0 | 1.5 2.0 | - | 3.5
    assert c["counts"] == [2, 2, 0, 1] and c["n_valid"] == 5 and c["n_in_aoa"] == 3
    assert (c["min"], c["max"]) == (0.5, 3.5)


def test_class_shares_and_verdicts_by_hand():
    from tarimhm.maps.audit import _verdict, share_in

    s = {"edges": [1.0, 2.0, 3.0], "counts": [2, 2, 0, 1], "n_valid": 5}
    assert share_in(s, None, 1.0) == 40.0 and share_in(s, 1.0, 3.0) == 40.0 and share_in(s, 3.0, None) == 20.0
    assert share_in(s, None, None) == 100.0
    with pytest.raises(ValueError):
        share_in(s, 1.5, None)  # not an edge: no silent interpolation
    assert _verdict(10.0, 10.8, "real") == ("reproduced", "reproduced")
    assert _verdict(10.0, 12.0, "real") == ("differs by +2.0 percentage points", "differs")
    v = _verdict(10.0, 10.8, "reconstructed+surrogate")  # agreement on surrogate data is no reproduction
    assert v.text.startswith("cannot be reproduced") and v.text.endswith("(within 1 pp by coincidence)")
    assert v.cls == "agrees by coincidence"
    assert _verdict(10.0, 14.0, "reconstructed+surrogate").cls == "cannot be reproduced"


# ---------------------------------------------------------------- engine on a small synthetic scene
H, W = 300, 560


def _scene(tmp_path, no_aoa=()):
    """Smooth synthetic mosaic and masks (land, a river, a lake, snow, outside), two compiled models
    (those named in ``no_aoa`` compiled without an AOA, as a model without an informative predictor)."""
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:H, 0:W]
    dn = np.stack([300 + 4 * xx + 3 * yy, 500 + 2 * xx, 400 + 5 * yy, 2500 + 6 * xx - 4 * yy]).astype(float)
    dn += rng.normal(0, 40, dn.shape)
    dn = np.clip(dn, 1, 65535).astype(np.uint16)
    inside = ((xx - W / 2) / (W / 2.1)) ** 2 + ((yy - H / 2) / (H / 2.1)) ** 2 <= 1
    dn[:, ~inside] = 0
    mask = inside.astype(np.uint8)
    mask[(abs(yy - 0.4 * xx - 30) <= 1) & inside] |= 2  # a river, 3 px wide
    mask[((xx - 400) ** 2 + (yy - 80) ** 2 < 300) & inside] |= 2  # a lake
    mask[(xx < 120) & (yy < 120) & inside] |= 4  # snow
    prof = {
        "driver": "GTiff",
        "width": W,
        "height": H,
        "crs": "EPSG:32644",
        "transform": Affine(60, 0, 300000, 0, -60, 4500000),
        "tiled": True,
        "blockxsize": 64,
        "blockysize": 64,
    }
    with rasterio.open(tmp_path / "mosaic.tif", "w", count=4, dtype="uint16", nodata=0, **prof) as d:
        d.write(dn)
    with rasterio.open(tmp_path / "masks.tif", "w", count=1, dtype="uint8", **prof) as d:
        d.write(mask, 1)
    compiled = []
    for i, metal in enumerate(("As", "Cd")):
        r = np.random.default_rng(20 + i)
        X = np.column_stack([r.uniform(lo, hi, 7) for lo, hi in ((0.03, 0.12), (0.05, 0.09), (0.04, 0.12), (0.2, 0.4))])
        y = r.lognormal(1, 0.5, 7)
        pipe = make_pipeline(42, n_estimators=30, min_samples_leaf=1, max_depth=10).fit(X, y)
        models, loo_pred = loo_fits(X, y, {"rf__n_estimators": 30, "rf__min_samples_leaf": 1, "rf__max_depth": 10}, 42)
        cm = compile_model(
            forest_arrays(pipe),
            [forest_arrays(m) for m in models],
            conformity_scores(y, loo_pred),
            0.8,
            max_cells=2**22 if i == 0 else 1,
        )  # one model on each path
        tdi = train_di(X, [1, 1, 0.5, 2])
        a = {
            "mean": tdi.mean,
            "sd": tdi.sd,
            "weights": tdi.weights,
            "train_scaled": tdi.train_scaled,
            "d_bar": tdi.d_bar,
            "threshold": tdi.threshold,
        }
        if metal in no_aoa:
            a = {"aoa_defined": False, "aoa_note": NO_AOA_NOTE}
        p = tmp_path / f"soil_{metal}.npz"
        save_compiled(cm, a, {"p99": float(np.percentile(y, 99)), "aoa_threshold": tdi.threshold}, p)
        compiled.append(str(p))
    return compiled


def _spec(tmp_path, compiled, tile, name, medium="soil"):
    return MapSpec(
        medium=medium,
        metals=("As", "Cd"),
        mosaic=str(tmp_path / "mosaic.tif"),
        masks=str(tmp_path / "masks.tif"),
        compiled=tuple(compiled),
        edges=((1.0, 3.0), (2.0,)),
        tile_dir=str(tmp_path / name),
        tile=tile,
        width=W,
        height=H,
        blocksize=128,
    )


def _build(spec, out, scheduler=None):
    run_tiles(spec, workers=1, scheduler=scheduler, progress=False)
    with rasterio.open(spec.mosaic) as src:
        crs, tr = src.crs.to_wkt(), src.transform
    names = band_names(spec.metals)
    assemble(
        spec,
        out,
        "val",
        crs,
        tr,
        {"tarimhm_data_status": "surrogate"},
        [{"x": "1"}] * len(names),
        ["mg/kg"] * len(names),
        threads=1,
    )
    assemble(
        spec,
        str(out).replace(".tif", "_aoa.tif"),
        "aoa",
        crs,
        tr,
        {"tarimhm_data_status": "surrogate"},
        [{}] * 4,
        ["1", ""] * 2,
        threads=1,
    )
    return out


def _untiled_reference(tmp_path, compiled, medium="soil"):
    """Whole-scene computation, no tiles, straight from the library pieces."""
    with rasterio.open(tmp_path / "mosaic.tif") as s:
        dn = np.pad(s.read(), ((0, 0), (2, 2), (2, 2)))
    with rasterio.open(tmp_path / "masks.tif") as s:
        dom = post.domain(np.pad(s.read(1), 2), medium)
    bands, dis, aoas = [], [], []
    for cpath in compiled:
        cm, dm, meta = load_compiled(cpath)
        res = post.postprocess(cm.predict(dn, np.float32), dm.di(dn[:, 2:-2, 2:-2]), dom, meta["p99"], dm.threshold)
        bands.append(res["bands"])
        dis.append(res["di"])
        aoas.append(res["aoa"])
    return np.concatenate(bands), post.encode_applicability(np.stack(dis), np.stack(aoas))


def test_tiled_equals_untiled_and_cog_structure(tmp_path):
    compiled = _scene(tmp_path)
    ref, app = _untiled_reference(tmp_path, compiled)
    assert np.isfinite(ref[0]).sum() > 1000 and np.isnan(ref[0]).sum() > 1000
    outs = {}
    for tile in (64, 100, 128, 1024):  # 1024 > scene: a single tile; 100 is not aligned
        outs[tile] = _build(_spec(tmp_path, compiled, tile, f"t{tile}"), tmp_path / f"map_{tile}.tif")
        with rasterio.open(outs[tile]) as s:
            np.testing.assert_array_equal(s.read(), ref)
        with rasterio.open(str(outs[tile]).replace(".tif", "_aoa.tif")) as s:
            np.testing.assert_array_equal(s.read(), app)
    # tiles aligned to the overview factors give the same bytes, overviews included
    assert outs[64].read_bytes() == outs[128].read_bytes() == outs[1024].read_bytes()
    with rasterio.open(outs[64]) as s:
        assert s.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert s.compression.name == "zstd" and s.block_shapes[0] == (128, 128)
        assert s.overviews(1) == [2, 4, 8], "COG overviews missing"
        ov = s.read(1, out_shape=(1, -(-H // 4), -(-W // 4)))  # read from the 1/4 overview
        assert np.isfinite(ov).sum() > 50
        assert s.descriptions == tuple(band_names(("As", "Cd")))
        assert s.units[0] == "mg/kg" and np.isnan(s.nodata)
        assert s.tags()["tarimhm_data_status"] == "surrogate"
        assert s.count == 2 * len(PRODUCTS)
    with rasterio.open(str(outs[64]).replace(".tif", "_aoa.tif")) as s:
        a = s.read()
        assert s.nodata == 65535 and s.descriptions == tuple(band_names(("As", "Cd"), "aoa"))
        assert s.scales[0] == 0.001 and s.scales[1] == 1.0 and s.overviews(1) == [2, 4, 8]
        assert set(np.unique(a[1])) <= {0, 1, 65535} and (a[1] == 1).any()
        np.testing.assert_array_equal(a[1] == 65535, np.isnan(ref[1]))  # AOA mapped where spread is
        np.testing.assert_array_equal(a[0] == 65535, a[1] == 65535)


def test_model_without_aoa_has_no_aoa_values(tmp_path):
    """A model without an AOA (stump forests: no informative predictor) gets nodata DI and AOA on every
    pixel, tiled as untiled; its concentration bands and the other model's bands are unchanged."""
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"  # apart: the engine caches compiled models by path
    a_dir.mkdir()
    b_dir.mkdir()
    normal = _build(_spec(a_dir, _scene(a_dir), 64, "n"), tmp_path / "normal.tif")
    tmp_path = b_dir
    compiled = _scene(tmp_path, no_aoa=("Cd",))
    cm, dm, meta = load_compiled(compiled[1])
    assert not dm.defined and dm.note == NO_AOA_NOTE and np.isnan(dm.threshold) and meta["aoa_defined"] is False
    assert np.isnan(dm.di(np.full((4, 3, 3), 1000, np.uint16))).all()
    out = _build(_spec(tmp_path, compiled, 64, "u"), tmp_path / "no_aoa.tif")
    ref, app = _untiled_reference(tmp_path, compiled)
    with rasterio.open(out) as s, rasterio.open(normal) as n:
        np.testing.assert_array_equal(s.read(), n.read())  # mean, spread, bounds unchanged
        np.testing.assert_array_equal(s.read(), ref)
    with (
        rasterio.open(str(out).replace(".tif", "_aoa.tif")) as s,
        rasterio.open(str(normal).replace(".tif", "_aoa.tif")) as n,
    ):
        a, b = s.read(), n.read()
        np.testing.assert_array_equal(a, app)
        assert (a[2:] == post.APP_NODATA).all()  # Cd_di, Cd_aoa: nodata everywhere, overviews too
        assert (s.read(4, out_shape=(1, -(-H // 4), -(-W // 4))) == post.APP_NODATA).all()
        np.testing.assert_array_equal(a[:2], b[:2])  # As as before
    res = post.postprocess(np.ones((4, 9, 9), np.float32), np.zeros((5, 5)), np.ones((9, 9), bool), 10.0, float("nan"))
    assert (res["aoa"] == post.AOA_NODATA).all() and np.isnan(res["di"]).all()
    assert post.tile_counts(res, np.array([1.0]))["n_in_aoa"] == 0


def test_maps_stage_reads_aoa_and_refuses_old_files(tmp_path):
    """Stage 070 takes a model's AOA arrays only with their ``aoa_defined`` flag (stage 060 writes it);
    an AOA file without it predates the out-of-sample weights and is refused with the make target."""
    from tarimhm._errors import MissingOutputError
    from tarimhm.maps.stage import _aoa_tags, _read_aoa

    p = tmp_path / "soil_Cu_aoa.npz"
    np.savez(p, aoa_defined=np.asarray(False), aoa_note=np.asarray(NO_AOA_NOTE), weights=np.zeros(4))
    a = _read_aoa(p)
    assert a["aoa_defined"] is False and a["aoa_note"] == NO_AOA_NOTE
    assert compile_di(a).defined is False
    assert _aoa_tags({"aoa_defined": False, "aoa_note": NO_AOA_NOTE}) == {
        "aoa_defined": "false",
        "aoa_note": NO_AOA_NOTE,
    }
    np.savez(p, threshold=np.asarray(0.5), weights=np.ones(4))  # the old layout
    with pytest.raises(MissingOutputError, match=r"soil_Cu_aoa.npz: aoa_defined: missing .* run `make rf`"):
        _read_aoa(p)


def test_water_domain_only_on_water(tmp_path):
    compiled = _scene(tmp_path)
    out = _build(_spec(tmp_path, compiled, 64, "w", medium="water"), tmp_path / "water.tif")
    with rasterio.open(tmp_path / "masks.tif") as s:
        water = post.domain(s.read(1), "water")
    with rasterio.open(out) as s:
        spread = s.read(2)
    np.testing.assert_array_equal(np.isfinite(spread), water)
    np.testing.assert_array_equal(_untiled_reference(tmp_path, compiled, "water")[0][1], spread)


def test_dask_scheduler_same_bytes(tmp_path):
    distributed = pytest.importorskip("distributed")
    compiled = _scene(tmp_path)
    local = _build(_spec(tmp_path, compiled, 64, "local"), tmp_path / "local.tif")
    with distributed.LocalCluster(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None, scheduler_port=0
    ) as cluster:
        remote = _build(
            _spec(tmp_path, compiled, 64, "dask"), tmp_path / "dask.tif", scheduler=cluster.scheduler_address
        )
    assert local.read_bytes() == remote.read_bytes()


_CHILD = """
import sys, time, pickle
from tarimhm.raster import predict
spec = predict.MapSpec(**{json_spec})
orig = predict.process_tile
def slow(*a):
    r = orig(*a); time.sleep(0.05); return r
predict.process_tile = slow
predict.run_tiles(spec, workers=1, progress=False)
"""


def test_resume_after_kill_gives_identical_bytes(tmp_path):
    compiled = _scene(tmp_path)
    one_shot = _build(_spec(tmp_path, compiled, 32, "oneshot"), tmp_path / "oneshot.tif")
    spec = _spec(tmp_path, compiled, 32, "killed")
    fields = {k: getattr(spec, k) for k in spec.__dataclass_fields__}
    code = _CHILD.replace("{json_spec}", repr(fields))
    proc = subprocess.Popen([sys.executable, "-c", code], env=os.environ.copy())
    deadline = time.time() + 120
    tiles = tmp_path / "killed"
    while time.time() < deadline and len(list(tiles.glob("*.json"))) < 5:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_done = len(list(tiles.glob("*.json")))
    assert 5 <= n_done < len(tile_jobs(spec)), "the child was not interrupted mid-run"
    resumed = _build(spec, tmp_path / "resumed.tif")
    assert resumed.read_bytes() == one_shot.read_bytes()
    assert not list(tiles.glob(".tmp-*"))


def test_interrupted_run_resumes_without_redoing(tmp_path):
    compiled = _scene(tmp_path)
    spec = _spec(tmp_path, compiled, 64, "stop")
    first = run_tiles(spec, workers=1, progress=False, stop_after=3)
    assert first["tiles_computed"] == 3
    rest = run_tiles(spec, workers=1, progress=False)
    assert rest["tiles_computed"] == len(tile_jobs(spec)) - 3 and rest["tiles_resumed"] == 3


def test_compiled_store_roundtrip(tmp_path):
    X, y, pipe = _fit(7)
    cm = compile_model(forest_arrays(pipe))
    m = train_di(X, [1, 1, 1, 1])
    a = {
        "mean": m.mean,
        "sd": m.sd,
        "weights": m.weights,
        "train_scaled": m.train_scaled,
        "d_bar": m.d_bar,
        "threshold": m.threshold,
    }
    save_compiled(cm, a, {"p99": 1.0}, tmp_path / "m.npz")
    cm2, dm2, meta = load_compiled(tmp_path / "m.npz")
    dn = np.random.default_rng(0).integers(1, 65536, (4, 20, 20)).astype(np.uint16)
    np.testing.assert_array_equal(cm2.predict(dn), cm.predict(dn))
    np.testing.assert_array_equal(dm2.di(dn), compile_di(a).di(dn))
    assert meta["path"] == "table" and meta["p99"] == 1.0 and json.loads((tmp_path / "m.json").read_text())
    assert meta["format"] == "tarimhm-compiled-2" and meta["residual_scale"] == "log" and meta["aoa_defined"]
    # a model compiled before the intervals moved to ln C is refused, not silently used
    js = tmp_path / "m.json"
    js.write_text(json.dumps(dict(json.loads(js.read_text()), format="tarimhm-compiled-1")))
    with pytest.raises(ValueError, match="format: 'tarimhm-compiled-1' is not 'tarimhm-compiled-2'"):
        load_compiled(tmp_path / "m.npz")
