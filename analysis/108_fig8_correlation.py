"""Fig. 8 - Pearson correlation heatmaps with significance marks, soil (a) and river (b).

Inputs:  data_derived/stats/ (stage 020)
Outputs: figures/fig8_correlation.pdf and .png (provenance in metadata and sidecar)
"""

from tarimhm.entry import figure_main
from tarimhm.stats.figures import fig8

if __name__ == "__main__":
    figure_main(fig8, __file__, __doc__)
