"""Fig. S1 (supplementary, not in the paper) - normal Q-Q plots of raw and log10 concentrations.

Inputs:  data_derived/stats/composition_{soil,water}.csv (stage 05)
Outputs: figures/figS1_qq.pdf and .png
Paper:   Sect. 2.3.3 says Q-Q plots were inspected but does not show them.
"""
from tarimhm.scripts import figure_main

if __name__ == "__main__":
    figure_main("figS1_qq", __file__, __doc__)
