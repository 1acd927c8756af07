"""figU6 - bioaccessible fractions and uncertain exposure parameters: prior vs PyMC posterior of the 2-D run.

Inputs:  data_derived/uncertainty/twod/posterior.nc, run.json, twod_soil.nc (stage 042)
Outputs: figures/figU6_bioaccessibility.pdf (and .png)
"""

from tarimhm.entry import figure_main
from tarimhm.uncertainty.figures import figU6

if __name__ == "__main__":
    figure_main(figU6, __file__, __doc__)
