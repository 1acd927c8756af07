"""figU2 - which exposure factors drive the HI and TCR spread (share of summed squared Spearman correlations).

Inputs:  data_derived/uncertainty/mc_summary.csv, mc_rank.csv (stage 040)
Outputs: figures/figU2_risk_drivers.pdf (and .png)
"""

from tarimhm.entry import figure_main
from tarimhm.uncertainty.figures import figU2

if __name__ == "__main__":
    figure_main(figU2, __file__, __doc__)
