"""Fig. 6 companion - ensemble spread (SD across trees) of the soil maps.

Inputs:  data_derived/maps/soil_maps.tif (stage 070)
Outputs: figures/fig6unc_soil_uncertainty.pdf and .png
"""

from tarimhm.entry import figure_main
from tarimhm.maps.figures import fig6unc

if __name__ == "__main__":
    figure_main(fig6unc, __file__, __doc__)
