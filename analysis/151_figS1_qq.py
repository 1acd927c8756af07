"""Fig. S1 (supplementary, not in the paper) - normal Q-Q plots of raw and log10 concentrations.

Inputs:  data_derived/stats/composition_{soil,water}.csv (stage 020)
Outputs: figures/figS1_qq.pdf and .png
Paper:   Sect. 2.3.3 says Q-Q plots were inspected but does not show them.
"""

from tarimhm.entry import figure_main
from tarimhm.stats.figures import figS1

if __name__ == "__main__":
    figure_main(figS1, __file__, __doc__)
