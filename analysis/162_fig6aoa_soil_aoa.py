"""Fig. 6 companion - dissimilarity index and area of applicability of the soil maps.

Inputs:  data_derived/maps/soil_maps.tif, soil_aoa.tif (stage 070)
Outputs: figures/fig6aoa_soil_aoa.pdf and .png
"""

from tarimhm.entry import figure_main
from tarimhm.maps.figures import fig6aoa

if __name__ == "__main__":
    figure_main(fig6aoa, __file__, __doc__)
