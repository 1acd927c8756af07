"""Fig. 5 - heavy-metal content per site, soil (a) and river water (b), stacked by metal.

Inputs:  data_derived/stats/ (stage 05)
Outputs: figures/fig5_composition.pdf and .png (provenance in metadata and sidecar)
"""
from tarimhm.scripts import figure_main

if __name__ == "__main__":
    figure_main("fig5_composition", __file__, __doc__)
