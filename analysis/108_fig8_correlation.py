"""Fig. 8 - Pearson correlation heatmaps with significance marks, soil (a) and river (b).

Inputs:  data_derived/stats/ (stage 05)
Outputs: figures/fig8_correlation.pdf and .png (provenance in metadata and sidecar)
"""
from tarimhm.scripts import figure_main

if __name__ == "__main__":
    figure_main("fig8_correlation", __file__, __doc__)
