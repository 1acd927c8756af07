"""Fig. 1 - study area: basin, prefectures, rivers, lakes, sites (approximate), relief, scale, north arrow.

Inputs:  data_raw/geo/*, data_derived/sites/{soil,water}.csv
Outputs: figures/fig1_study_area.pdf and .png
"""

from tarimhm.entry import figure_main
from tarimhm.sites.figures import fig1

if __name__ == "__main__":
    figure_main(fig1, __file__, __doc__)
