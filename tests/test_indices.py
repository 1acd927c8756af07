"""Known-answer tests for the pollution indices (worked by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from tarimhm.risk import hpi, igeo, igeo_class, igeo_inverse


def test_igeo_known_answers():
    # C = 1.5 * B * 2  ->  Igeo = log2(2) = 1 ; C = 1.5 * B / 4 -> -2 ; C = 1.5 * B -> 0
    b = 11.2
    assert igeo(33.6, b) == pytest.approx(1.0, abs=1e-12)
    assert igeo(4.2, b) == pytest.approx(-2.0, abs=1e-12)
    assert igeo(16.8, b) == pytest.approx(0.0, abs=1e-12)
    # paper: S10 Cd Igeo 2.85 with B = 0.12  ->  C = 0.18 * 2^2.85 = 0.18 * 7.2100 = 1.29781
    assert igeo_inverse(2.85, 0.12) == pytest.approx(1.2978, abs=5e-5)
    assert igeo(igeo_inverse(2.85, 0.12), 0.12) == pytest.approx(2.85, abs=1e-12)


def test_igeo_broadcasts_sites_by_metals():
    c = np.array([[33.6, 0.36], [4.2, 0.09]])
    b = np.array([11.2, 0.12])
    np.testing.assert_allclose(igeo(c, b), [[1.0, 1.0], [-2.0, -1.0]], atol=1e-12)


@pytest.mark.parametrize(
    "value,cls", [(-1.0, 0), (0.0, 0), (0.33, 1), (1.0, 1), (1.5, 2), (2.85, 3), (3.2, 4), (4.5, 5), (5.0, 5), (7.0, 6)]
)
def test_muller_classes(value, cls):
    assert igeo_class(value) == cls


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_igeo_rejects_nonpositive(bad):
    with pytest.raises(ValueError, match="finite and > 0"):
        igeo(bad, 1.0)


def test_hpi_two_metals_by_hand():
    # Two metals, S = (10, 100), ideal 0, M = (5, 50):
    # W = (0.1, 0.01); Q = 100*M/S = (50, 50); sum WQ = 5 + 0.5 = 5.5; sum W = 0.11
    m = np.array([5.0, 50.0])
    s = np.array([10.0, 100.0])
    assert hpi(m, s, form="unnormalised") == pytest.approx(5.5, rel=1e-12)
    assert hpi(m, s, form="normalised") == pytest.approx(50.0, rel=1e-12)
    # with ideal values I = (1, 0): Q1 = 100*|5-1|/(10-1) = 44.444..; sum WQ = 4.4444 + 0.5
    q1 = 100 * 4 / 9
    assert hpi(m, s, ideal=np.array([1.0, 0.0]), form="unnormalised") == pytest.approx(0.1 * q1 + 0.5)
    assert hpi(m, s, ideal=np.array([1.0, 0.0])) == pytest.approx((0.1 * q1 + 0.5) / 0.11)


def test_hpi_rejects_bad_standards():
    with pytest.raises(ValueError, match="standards S_i must be > 0"):
        hpi([1.0], [0.0])
    with pytest.raises(ValueError, match="form must be"):
        hpi([1.0], [1.0], form="mohan")
