"""Known-answer tests for Eqs 5-12, child and adult, with the arithmetic written out."""

from __future__ import annotations

import numpy as np
import pytest

from tarimhm.risk import (
    add_soil_dermal,
    add_soil_ingestion,
    add_soil_inhalation,
    add_water_ingestion,
    averaging_time,
    cancer_risk,
    hazard_index,
    hazard_quotient,
    total_cancer_risk,
)

CHILD = dict(ef=350, ed=6, bw=15, at=6 * 365)  # AT = 2190 d
ADULT = dict(ef=350, ed=26, bw=70, at=26 * 365)  # AT = 9490 d


def test_averaging_time():
    assert averaging_time(6, carcinogenic=False) == 2190
    assert averaging_time(26, carcinogenic=False) == 9490
    assert averaging_time(6, carcinogenic=True) == 25550  # 70 y x 365
    assert averaging_time(26, carcinogenic=True, mode="exposure") == 9490


def test_eq5_ingestion():
    # child: C x IngR x CF = 10 x 200 x 1e-6 = 2e-3; x EF 350 = 0.7; x ED 6 = 4.2;
    #        / (BW 15 x AT 2190 = 32850) -> 4.2 / 32850 = 1.2785388e-4
    assert add_soil_ingestion(10, 200, **CHILD) == pytest.approx(1.2785388e-4, rel=1e-7)
    # adult: 10*100e-6 = 1e-3; *350 = 0.35; *26 = 9.1 -> 9.1 / (70 x 9490 = 664300) = 1.3698630e-5
    assert add_soil_ingestion(10, 100, **ADULT) == pytest.approx(1.3698630e-5, rel=1e-7)


def test_eq6_inhalation():
    # child: 10 x 7.6 x 350 x 6 = 159600; / (15 x 2190 x 1.36e9 = 4.4676e13) = 3.5723879e-9
    assert add_soil_inhalation(10, 7.6, pef=1.36e9, **CHILD) == pytest.approx(3.5723879e-9, rel=1e-7)
    # adult: 10 x 20 x 350 x 26 = 1.82e6; / (70 x 9490 x 1.36e9 = 9.03448e14) = 2.0145086e-9
    assert add_soil_inhalation(10, 20, pef=1.36e9, **ADULT) == pytest.approx(2.0145086e-9, rel=1e-7)


def test_eq7_dermal_with_and_without_af():
    # child, AF 0.2: 10 x 1e-6 x 2800 = 0.028; x 0.2 = 5.6e-3; x 0.001 = 5.6e-6; x 350 = 1.96e-3;
    #        x 6 = 1.176e-2; / 32850 = 3.5799087e-7.  Without AF (Eq. 7 as printed): x 5 = 1.7899543e-6
    assert add_soil_dermal(10, 2800, 0.001, af=0.2, **CHILD) == pytest.approx(3.5799087e-7, rel=1e-7)
    assert add_soil_dermal(10, 2800, 0.001, **CHILD) == pytest.approx(1.7899543e-6, rel=1e-7)
    # adult, AF 0.07: 10e-6 x 5700 = 0.057; x 0.07 = 3.99e-3; x 0.001 = 3.99e-6; x 350 = 1.3965e-3;
    #        x 26 = 0.036309; / 664300 = 5.4657534e-8
    assert add_soil_dermal(10, 5700, 0.001, af=0.07, **ADULT) == pytest.approx(5.4657534e-8, rel=1e-7)


def test_eq8_hq_and_hi():
    # HQ = 1.2785388e-4 / 3e-4 = 0.42617960; with a second HQ of 0.1: HI = 0.52617960
    hq = hazard_quotient(1.2785388e-4, 3e-4)
    assert hq == pytest.approx(0.4261796, rel=1e-7)
    assert hazard_index(np.array([hq, 0.1])) == pytest.approx(0.5261796, rel=1e-7)
    with pytest.raises(ValueError, match="rfd must be > 0"):
        hazard_quotient(1e-4, 0.0)


def test_eq9_10_cancer_risk_lifetime():
    # child ingestion with AT 25550 d: 4.2 / (15 x 25550 = 383250) = 1.0958904e-5; x SF 1.5 = 1.6438356e-5
    add = add_soil_ingestion(10, 200, ef=350, ed=6, bw=15, at=averaging_time(6, True))
    assert cancer_risk(add, 1.5) == pytest.approx(1.6438356e-5, rel=1e-7)
    # adult: 9.1 / (70 x 25550 = 1788500) = 5.0880626e-6; x 1.5 = 7.6320939e-6
    add_a = add_soil_ingestion(10, 100, ef=350, ed=26, bw=70, at=averaging_time(26, True))
    assert cancer_risk(add_a, 1.5) == pytest.approx(7.6320939e-6, rel=1e-7)
    assert total_cancer_risk(np.array([1e-5, 2e-6])) == pytest.approx(1.2e-5)


def test_eq11_12_water():
    # child: 10 ug/L x 0.78 L/d x 1e-3 mg/ug = 7.8e-3; x 350 = 2.73; x 6 = 16.38; / 32850 = 4.9863014e-4;
    #        x CSF 1.5 = 7.4794521e-4
    add = add_water_ingestion(10, 0.78, **CHILD)
    assert add == pytest.approx(4.9863014e-4, rel=1e-7)
    assert cancer_risk(add, 1.5) == pytest.approx(7.4794521e-4, rel=1e-7)
    # adult: 10 x 2.5 x 1e-3 = 0.025; x 350 = 8.75; x 26 = 227.5; / 664300 = 3.4246575e-4
    assert add_water_ingestion(10, 2.5, **ADULT) == pytest.approx(3.4246575e-4, rel=1e-7)


def test_vectorised_over_sites_metals_groups():
    c = np.array([[10.0, 1.0], [20.0, 2.0]])  # 2 sites x 2 metals
    bw = np.array([15.0, 70.0])[:, None, None]  # groups on a leading axis
    out = add_soil_ingestion(c[None], 200, 350, 6, bw, 2190)
    assert out.shape == (2, 2, 2)
    assert out[0, 0, 0] == pytest.approx(1.2785388e-4, rel=1e-7)
    assert out[1, 1, 0] == pytest.approx(2 * 1.2785388e-4 * 15 / 70, rel=1e-7)


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_negative_or_nan_inputs_rejected(bad):
    with pytest.raises(ValueError, match="must be finite and >= 0"):
        add_soil_ingestion(bad, 200, **CHILD)
