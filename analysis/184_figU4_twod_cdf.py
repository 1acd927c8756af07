"""figU4 - children's variability CDF of HI and TCR per site: median and 90 % uncertainty band over the outer draws.

Inputs:  data_derived/uncertainty/twod/twod_soil.nc, twod_water.nc (stage 042)
Outputs: figures/figU4_twod_cdf.pdf (and .png)
"""

from tarimhm.entry import figure_main
from tarimhm.uncertainty.figures import figU4

if __name__ == "__main__":
    figure_main(figU4, __file__, __doc__)
