"""Fig. 7 companion - ensemble spread (SD across trees) of the river-water maps.

Inputs:  data_derived/maps/water_maps.tif (stage 09)
Outputs: figures/fig7unc_water_uncertainty.pdf and .png
"""
from tarimhm.scripts import figure_main

if __name__ == "__main__":
    figure_main("fig7unc_water_uncertainty", __file__, __doc__)
