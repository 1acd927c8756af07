"""figU1 - Monte Carlo HI and TCR per site (box p25-p75, whiskers p5-p95) beside the deterministic value.

Inputs:  data_derived/risk_uncertainty/mc_summary.csv, mc_rank.csv (stage 10)
Outputs: figures/figU1_risk_montecarlo.pdf (and .png)
"""
from tarimhm.scripts import figure_main

if __name__ == "__main__":
    figure_main("figU1_risk_montecarlo", __file__, __doc__)
