"""Fig. 6 - soil heavy-metal maps (As, Cd, Cu, Pb, Zn) at 60 m in the classes of Table 5.

Inputs:  data_derived/maps/soil_maps.tif (COG overviews, stage 070)
Outputs: figures/fig6_soil_maps.pdf and .png
"""

from tarimhm.entry import figure_main
from tarimhm.maps.figures import fig6

if __name__ == "__main__":
    figure_main(fig6, __file__, __doc__)
