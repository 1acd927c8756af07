"""Real-imagery path, offline: a generated static STAC catalog of tiny scenes (one cloudy, one with
the processing-baseline 04.00 offset) -> SCL-masked median composite, resumable tiled writing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pystac
import pytest
import rasterio
from affine import Affine
from pystac.extensions.projection import ProjectionExtension

from tarimhm.imagery import StacConfig, build_real_mosaic, composite_block, search_items
from tarimhm.imagery.grid import Grid, paper_crs
from tarimhm.provenance import make_provenance

X0, Y0 = 500_000.0, 4_500_000.0  # UTM 44N near Aral (81.0 E, 40.6 N), inside the basin
SRC = Affine(60, 0, X0 - 600, 0, -60, Y0 + 600)  # 30 x 30 source pixels around the 8 x 8 grid


def _scene(tmp, cat, k, value, cloudy_left=False, baseline="02.14", cloud_cover=10.0, day=1):
    item = pystac.Item(
        id=f"S2_{k}",
        geometry={
            "type": "Polygon",
            "coordinates": [[[80.9, 40.5], [81.1, 40.5], [81.1, 40.7], [80.9, 40.7], [80.9, 40.5]]],
        },
        bbox=[80.9, 40.5, 81.1, 40.7],
        datetime=dt.datetime(2021, 6, day),
        properties={"eo:cloud_cover": cloud_cover, "s2:processing_baseline": baseline},
    )
    for name in ("blue", "green", "red", "nir", "scl"):
        if name == "scl":
            arr = np.full((30, 30), 4, np.uint8)  # 4 = vegetation (valid)
            if cloudy_left:
                arr[:, :15] = 9  # 9 = cloud high probability
        else:
            arr = np.full((30, 30), value, np.uint16)
        p = tmp / f"{k}_{name}.tif"
        with rasterio.open(
            p, "w", driver="GTiff", width=30, height=30, count=1, dtype=arr.dtype, crs="EPSG:32644", transform=SRC
        ) as dst:
            dst.write(arr, 1)
        a = pystac.Asset(href=str(p), media_type=pystac.MediaType.GEOTIFF, roles=["data"])
        item.add_asset(name, a)
        pe = ProjectionExtension.ext(a, add_if_missing=True)
        pe.epsg, pe.shape, pe.transform = 32644, [30, 30], list(SRC)[:6]
    cat.add_item(item)


@pytest.fixture
def catalog(tmp_path):
    cat = pystac.Catalog(id="test", description="tiny Sentinel-2 scenes")
    _scene(tmp_path, cat, 1, 100, day=1)
    _scene(tmp_path, cat, 2, 300, cloudy_left=True, day=2)
    _scene(tmp_path, cat, 3, 1200, baseline="04.00", day=3)  # DN 1200 - offset 1000 = 200
    _scene(tmp_path, cat, 4, 5000, cloud_cover=80.0, day=4)  # rejected by the cloud-cover filter
    _scene(tmp_path, cat, 5, 7000, day=4)
    cat.items_as_dict = None
    cat.normalize_hrefs(str(tmp_path / "stac"))
    cat.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
    return str(tmp_path / "stac" / "catalog.json")


def _grid():
    return Grid(Affine(60, 0, X0, 0, -60, Y0), 8, 8, paper_crs().to_wkt())


def test_search_filters_cloud_cover_and_period(catalog):
    cfg = StacConfig(endpoint=catalog, datetime="2021-01-01/2021-06-03")
    items = search_items(cfg, (80.95, 40.55, 81.05, 40.65))
    assert [i.id for i in items] == ["S2_1", "S2_2", "S2_3"]  # S2_4 cloudy scene, S2_5 after the period


def test_median_with_scl_mask_and_harmonisation(catalog):
    cfg = StacConfig(endpoint=catalog, datetime="2021-01-01/2021-06-03")
    items = search_items(cfg, (80.95, 40.55, 81.05, 40.65))
    out = composite_block(items, _grid(), 0, 0, 8, 8, cfg)
    # left half: scene 2 is cloud -> median(100, 200) = 150; right half: median(100, 300, 200) = 200
    assert out.shape == (4, 8, 8) and out.dtype == np.uint16
    assert np.all(out[:, :, :2] == 150), out[0]
    assert np.all(out[:, :, -2:] == 200), out[0]
    # without harmonisation scene 3 counts as 1200: right half median(100, 300, 1200) = 300
    raw = composite_block(items, _grid(), 0, 0, 8, 8, StacConfig(endpoint=catalog, harmonize=False))
    assert np.all(raw[:, :, -2:] == 300)


def test_no_valid_observation_is_nodata(catalog):
    cfg = StacConfig(endpoint=catalog, datetime="2021-01-01/2021-06-03")
    items = [i for i in search_items(cfg, (80.95, 40.55, 81.05, 40.65)) if i.id == "S2_2"]
    out = composite_block(items, _grid(), 0, 0, 8, 8, cfg)
    assert np.all(out[:, :, :2] == 0) and np.all(out[:, :, -2:] == 300)


def test_resume_after_interruption_gives_identical_bytes(catalog, tmp_path):
    cfg = StacConfig(endpoint=catalog, datetime="2021-01-01/2021-06-03")
    items = search_items(cfg, (80.95, 40.55, 81.05, 40.65))
    prov = make_provenance(tmp_path / "s.py", "0" * 64, [], "real")
    g = _grid()
    one = build_real_mosaic(tmp_path / "a" / "m.tif", g, items, cfg, prov, tile=4, progress=False)
    target = tmp_path / "b" / "m.tif"
    assert build_real_mosaic(target, g, items, cfg, prov, tile=4, progress=False, stop_after=2) is None
    assert not target.exists() and target.with_suffix(".partial.tif").exists()  # nothing looks complete
    build_real_mosaic(target, g, items, cfg, prov, tile=4, progress=False)
    assert target.read_bytes() == one.read_bytes()
    assert not target.with_suffix(".partial.json").exists()
    with rasterio.open(target) as src:
        assert src.tags()["tarimhm_data_status"] == "real" and src.descriptions == ("B02", "B03", "B04", "B08")
