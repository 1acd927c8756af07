"""Imagery layer: paper CRS, surrogate mosaic (tiled == untiled, byte-identical reruns), site spectra."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from pyproj import CRS

from tarimhm._errors import ImageryError
from tarimhm.imagery import basin_grid, build_surrogate, paper_crs, site_spectra, surrogate_block
from tarimhm.provenance import make_provenance


def test_paper_crs_is_utm44_on_cgcs2000():
    crs = paper_crs()
    assert crs.geodetic_crs.to_epsg() == 4490  # CGCS2000
    p = crs.to_dict()
    assert p["proj"] == "utm" and p["zone"] == 44
    # CGCS2000 vs WGS 84 / UTM 44N (EPSG:32644): the same coordinates to well below a metre
    from pyproj import Transformer

    a = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(81.0, 40.0)
    b = Transformer.from_crs("EPSG:4326", "EPSG:32644", always_xy=True).transform(81.0, 40.0)
    assert abs(a[0] - b[0]) < 1 and abs(a[1] - b[1]) < 1


def test_grid_snapped():
    g = basin_grid(600)
    assert g.transform.a == 600 and g.transform.c % 600 == 0 and g.transform.f % 600 == 0
    assert 1500 < g.width < 3500 and 800 < g.height < 2000


def test_tiled_equals_untiled():
    g = basin_grid(6000)
    whole, cls = surrogate_block(g, 0, 0, g.height, g.width, seed=5)
    tiled = np.zeros_like(whole)
    for r, c, h, w in g.windows(37):
        tiled[:, r : r + h, c : c + w] = surrogate_block(g, r, c, h, w, seed=5)[0]
    np.testing.assert_array_equal(whole, tiled)
    assert set(np.unique(cls)) >= {0, 3, 4, 5, 6}  # nodata, oasis, sand, gobi, mountain
    assert whole[:, cls == 0].max() == 0 and whole[:, cls > 0].min() >= 1
    # sand is brighter in red than the oases, whose NIR exceeds their red (vegetation)
    red, nir = whole[2].astype(float), whole[3].astype(float)
    assert red[cls == 4].mean() > red[cls == 3].mean() and nir[cls == 3].mean() > 3 * red[cls == 3].mean()


def test_seed_changes_texture_only():
    g = basin_grid(8000)
    a, ca = surrogate_block(g, 0, 0, g.height, g.width, seed=1)
    b, cb = surrogate_block(g, 0, 0, g.height, g.width, seed=2)
    np.testing.assert_array_equal(ca, cb)
    assert not np.array_equal(a, b)


def test_geotiff_byte_identical(tmp_path):
    g = basin_grid(10000)
    prov = make_provenance(tmp_path / "s.py", "0" * 64, [], "surrogate")
    p1, p2 = tmp_path / "a" / "m.tif", tmp_path / "b" / "m.tif"
    build_surrogate(p1, g, 3, prov, tile=64, progress=False)
    build_surrogate(p2, g, 3, prov, tile=100, progress=False, workers=2)
    assert p1.read_bytes() == p2.read_bytes()
    with rasterio.open(p1) as src:
        assert src.count == 4 and src.dtypes[0] == "uint16" and src.nodata == 0
        assert src.tags()["tarimhm_data_status"] == "surrogate" and src.tags()["scale_factor"] == "0.0001"
        assert src.descriptions == ("B02", "B03", "B04", "B08")
        assert CRS.from_wkt(src.crs.to_wkt()).equals(paper_crs())


def _raster(path, data, crs=None, nodata=0, transform=None):
    crs = crs or paper_crs().to_wkt()
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[2],
        height=data.shape[1],
        count=data.shape[0],
        dtype=data.dtype,
        crs=crs,
        transform=transform or Affine(60, 0, 500000, 0, -60, 4500000),
        nodata=nodata,
    ) as dst:
        dst.write(data)
    return path


def _site_at(col_f, row_f, sid="S1"):
    from pyproj import Transformer

    x, y = 500000 + 60 * col_f, 4500000 - 60 * row_f
    lon, lat = Transformer.from_crs(paper_crs(), "EPSG:4326", always_xy=True).transform(x, y)
    return pd.DataFrame({"site_id": [sid], "lon": [lon], "lat": [lat]})


def test_site_spectra_window_mean_and_bilinear(tmp_path):
    # band value = 100 * col + row + 1 (linear): a 3x3 mean at a pixel equals the pixel value,
    # and bilinear interpolation of a linear field is exact: at centre-relative (col 4.25, row 5.5)
    # the value is 100 * 4.25 + 5.5 + 1 = 431.5 -> reflectance 0.04315 with scale 1e-4
    rows, cols = np.mgrid[0:12, 0:12]
    band = (100 * cols + rows + 1).astype(np.uint16)
    p = _raster(tmp_path / "r.tif", np.stack([band] * 4))
    s = site_spectra(p, _site_at(4.75, 6.0))  # pixel-corner coords: centre-relative (4.25, 5.5)
    assert s.B02.iloc[0] == pytest.approx(0.04315, abs=1e-9)


def test_site_spectra_excludes_nodata(tmp_path):
    data = np.full((4, 10, 10), 1000, np.uint16)
    data[:, 4, 4] = 0  # nodata next to the site
    data[:, 5, 5] = 3000  # a bright pixel
    p = _raster(tmp_path / "r.tif", data)
    s = site_spectra(p, _site_at(5.5, 5.5))  # exactly on the centre of pixel (5, 5)
    # window of (5, 5): 8 valid pixels, one at 3000 -> (7 x 1000 + 3000) / 8 = 1250 -> 0.125
    assert s.B08.iloc[0] == pytest.approx(0.125, abs=1e-12)


@pytest.mark.parametrize(
    "case,message",
    [
        ("geographic", "is not a projected CRS"),
        ("three bands", "3 band\\(s\\); expected 4"),
        ("uint8", "dtype uint8 is not a reflectance type"),
        ("outside", "site S1 .* is outside the raster"),
    ],
)
def test_site_spectra_bad_input(tmp_path, case, message):
    data = np.full((4, 10, 10), 1000, np.uint16)
    site = _site_at(5.5, 5.5)
    kw = {}
    if case == "geographic":
        kw = {"crs": "EPSG:4326", "transform": Affine(0.001, 0, 80, 0, -0.001, 41)}
    elif case == "three bands":
        data = data[:3]
    elif case == "uint8":
        data = data.astype(np.uint8)
    elif case == "outside":
        site = _site_at(50.0, 50.0)
    p = _raster(tmp_path / "r.tif", data, **kw)
    with pytest.raises(ImageryError, match=message):
        site_spectra(p, site)


def test_full_basin_600m_builds(tmp_path):
    g = basin_grid(600)
    prov = make_provenance(tmp_path / "s.py", "0" * 64, [], "surrogate")
    p = build_surrogate(tmp_path / "m600.tif", g, 2021, prov, tile=512, progress=False, workers=2)
    with rasterio.open(tmp_path / "m600_classes.tif") as src:
        cls = src.read(1)
    frac = np.bincount(cls.ravel(), minlength=8) / cls[cls > 0].size
    # basin interior: sand (Taklimakan), gobi, mountains dominate; snow, water, oases present
    assert frac[4] > 0.1 and frac[5] > 0.1 and frac[6] > 0.1
    assert frac[7] > 0 and frac[1] > 0 and frac[3] > 0.01
    with rasterio.open(p) as src:
        assert (src.width, src.height) == (g.width, g.height) and src.block_shapes[0] == (256, 256)


def test_masks_from_classes():
    from tarimhm.imagery.surrogate import MASK_BITS, masks_from_classes

    cls = np.array([[0, 1, 7], [3, 4, 5]], np.uint8)
    m = masks_from_classes(cls)
    assert m.tolist() == [[0, 1 | 2, 1 | 4], [1, 1, 1]]
    assert MASK_BITS == {"basin": 1, "water": 2, "snow_ice": 4}


def test_mask_raster_same_from_classes_or_geography(tmp_path):
    from tarimhm.imagery.surrogate import build_masks

    g = basin_grid(10000)
    prov = make_provenance(tmp_path / "s.py", "0" * 64, [], "real")
    build_surrogate(tmp_path / "m.tif", g, 1, prov, tile=64, progress=False)
    build_masks(tmp_path / "a.tif", g, prov, tile=64, progress=False, classes_path=tmp_path / "m_classes.tif")
    build_masks(tmp_path / "b.tif", g, prov, tile=50, progress=False, workers=2)
    with rasterio.open(tmp_path / "a.tif") as a, rasterio.open(tmp_path / "b.tif") as b:
        ma, mb = a.read(1), b.read(1)
    np.testing.assert_array_equal(ma, mb)
    assert set(np.unique(ma)) >= {0, 1, 1 | 4}
