"""figU2 - which exposure factors drive the HI and TCR spread (share of summed squared Spearman correlations).

Inputs:  data_derived/risk_uncertainty/mc_summary.csv, mc_rank.csv (stage 10)
Outputs: figures/figU2_risk_drivers.pdf (and .png)
"""
from tarimhm.scripts import figure_main

if __name__ == "__main__":
    figure_main("figU2_risk_drivers", __file__, __doc__)
