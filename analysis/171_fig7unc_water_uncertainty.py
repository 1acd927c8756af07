"""Fig. 7 companion - ensemble spread (SD across trees) of the river-water maps.

Inputs:  data_derived/maps/water_maps.tif (stage 070)
Outputs: figures/fig7unc_water_uncertainty.pdf and .png
"""

from tarimhm.entry import figure_main
from tarimhm.maps.figures import fig7unc

if __name__ == "__main__":
    figure_main(fig7unc, __file__, __doc__)
