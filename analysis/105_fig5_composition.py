"""Fig. 5 - heavy-metal content per site, soil (a) and river water (b), stacked by metal.

Inputs:  data_derived/stats/ (stage 020)
Outputs: figures/fig5_composition.pdf and .png (provenance in metadata and sidecar)
"""

from tarimhm.entry import figure_main
from tarimhm.stats.figures import fig5

if __name__ == "__main__":
    figure_main(fig5, __file__, __doc__)
