"""Fig. 6 companion - ensemble spread (SD across trees) of the soil maps.

Inputs:  data_derived/maps/soil_maps.tif (stage 09)
Outputs: figures/fig6unc_soil_uncertainty.pdf and .png
"""
from tarimhm.scripts import figure_main

if __name__ == "__main__":
    figure_main("fig6unc_soil_uncertainty", __file__, __doc__)
