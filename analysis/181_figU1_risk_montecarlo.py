"""figU1 - Monte Carlo HI and TCR per site (box p25-p75, whiskers p5-p95) beside the deterministic value.

Inputs:  data_derived/uncertainty/mc_summary.csv, mc_rank.csv (stage 040)
Outputs: figures/figU1_risk_montecarlo.pdf (and .png)
"""

from tarimhm.entry import figure_main
from tarimhm.uncertainty.figures import figU1

if __name__ == "__main__":
    figure_main(figU1, __file__, __doc__)
