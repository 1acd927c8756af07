"""The paper's internal contradictions, each recomputed from reported numbers by hand."""

from __future__ import annotations

import pytest

from tarimhm.sites.consistency import conflict_map, excluded_constraints, run_checks


@pytest.fixture(scope="module")
def checks(rep):
    return {c.check_id: c for c in run_checks(rep)}


def test_water_sum_mean(checks):
    # 7.74 + 4.38 + 3.98 + 2.29 + 1.07 = 19.46 µg/L, but the paper prints 3.89
    c = checks["water.sum_mean_vs_metal_means"]
    assert (c.lhs, c.rhs, c.verdict) == (3.89, 19.46, "contradiction")
    assert checks["soil.sum_mean_vs_metal_means"].verdict == "consistent"  # 118.71 both ways


def test_w3_hpi_needs_cd_above_standard(checks):
    # class III: W = 1/S = (0.02, 0.2, 0.02, 0.001, 0.001), sum W = 0.242
    # normalised: sum WQ = 332.10 * 0.242 = 80.3682; others at their limits give 100*(0.042) = 4.2
    # Cd >= (80.3682 - 4.2) * 5 / (100 * 0.2) = 19.042 µg/L  > 5 µg/L
    c = checks["water.hpi_W3_vs_standard.normalised"]
    assert c.lhs == pytest.approx(19.042, abs=1e-3) and c.verdict == "contradiction"
    # unnormalised: Cd >= (332.10 - 4.2) * 5 / 20 = 81.975
    assert checks["water.hpi_W3_vs_standard.unnormalised"].lhs == pytest.approx(81.975, abs=1e-3)


def test_hpi_min_against_ratios(checks):
    # Cd min >= 19.042/1000 = 0.019042; As min <= (0.38*0.242 - 100*0.2*0.019042/5)*50/(100*0.02)
    #        = (0.09196 - 0.076168) * 25 = 0.3948; As max <= 9.7101 * 0.3948 = 3.834 < 4.38
    c = checks["water.hpi_min_vs_ratios_and_as_mean"]
    assert c.lhs == pytest.approx(3.834, abs=2e-3) and c.verdict == "contradiction"


def test_as_igeo_single_site(checks):
    c = checks["soil.as_igeo_single_site"]
    assert (c.lhs, c.rhs, c.verdict) == (2, 1, "contradiction")


def test_pb_as_significance(checks):
    # Table 7: r(Pb, As) = 0.975*0.330 + 0.022*0.939 = 0.32175 + 0.020658 = 0.342408
    # two-tailed p < 0.001 at n = 10 (8 df): t = 5.0413, r = t / sqrt(8 + t^2) = 0.8721
    c = checks["soil.pb_as_p_vs_table7"]
    assert c.lhs == pytest.approx(0.3424, abs=1e-4)
    assert c.rhs == pytest.approx(0.8721, abs=1e-4)
    assert c.verdict == "contradiction"


def test_r2_and_rmse_claims(checks):
    assert checks["r2_claim_vs_table4.abstract"].rhs == 0.320
    assert checks["r2_claim_vs_table4.abstract"].verdict == "contradiction"
    assert checks["soil.rmse_claim_vs_table4.max"].rhs == 4.291


def test_rf_map_minimum_below_training(checks):
    # As smallest site value: 1.5 * 11.2 * 2^-1 = 8.4 mg/kg; the map reaches 0.001
    c = checks["soil.map_min_vs_training_min.As"]
    assert c.rhs == pytest.approx(8.4) and c.verdict == "contradiction"


def test_consistent_numbers_pass(checks):
    for cid in (
        "soil.loadings_ss_vs_eigenvalues",
        "soil.text_share_vs_classes.As",
        "soil.hi_ratio_vs_igeo.As.child",
        "soil.cr_ratio_vs_igeo.Cd.adult",
    ):
        assert checks[cid].verdict == "consistent", cid


def test_exclusions_and_conflict_map(rep):
    ch = run_checks(rep)
    assert excluded_constraints(ch) == {
        "water.sum.mean",
        "water.count.below_standard_III.Cd",
        "water.hpi.min",
        "soil.claim.igeo_gt0_single.As",
        "soil.claim.pearson_p.Pb-As",
    }
    assert "water.sum_mean_vs_metal_means" in conflict_map(ch)["water.sum.mean"]


def test_checks_registry(rep):
    from tarimhm.sites.consistency import CHECKS

    sections = [f.__doc__.split(".")[0] for f in CHECKS]
    assert sections == ["1-2", "3", "3b", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13"]
    assert all("\n" not in f.__doc__ for f in CHECKS)
    ch = run_checks(rep)
    assert [c.check_id for c in ch] == [c.check_id for f in CHECKS for c in f(rep, 0.01)]
    assert len({c.check_id for c in ch}) == len(ch)
