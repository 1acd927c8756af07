"""Fig. 6 companion - dissimilarity index and area of applicability of the soil maps.

Inputs:  data_derived/maps/soil_maps.tif, soil_aoa.tif (stage 09)
Outputs: figures/fig6aoa_soil_aoa.pdf and .png
"""
from tarimhm.scripts import figure_main

if __name__ == "__main__":
    figure_main("fig6aoa_soil_aoa", __file__, __doc__)
