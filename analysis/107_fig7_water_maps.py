"""Fig. 7 - river-water heavy-metal maps (As, Cd, Cu, Pb, Zn) at 60 m in the classes of Table 6.

Inputs:  data_derived/maps/water_maps.tif (COG overviews, stage 070)
Outputs: figures/fig7_water_maps.pdf and .png
"""

from tarimhm.entry import figure_main
from tarimhm.maps.figures import fig7

if __name__ == "__main__":
    figure_main(fig7, __file__, __doc__)
