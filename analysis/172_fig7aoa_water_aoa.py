"""Fig. 7 companion - dissimilarity index and area of applicability of the river-water maps.

Inputs:  data_derived/maps/water_maps.tif, water_aoa.tif (stage 070)
Outputs: figures/fig7aoa_water_aoa.pdf and .png
"""

from tarimhm.entry import figure_main
from tarimhm.maps.figures import fig7aoa

if __name__ == "__main__":
    figure_main(fig7aoa, __file__, __doc__)
