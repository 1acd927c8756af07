"""figU5 - Sobol total and first-order indices of children's HI and TCR (soil, river water), median over the sites.

Inputs:  data_derived/uncertainty/twod/sobol.csv (stage 042)
Outputs: figures/figU5_sobol.pdf (and .png)
"""

from tarimhm.entry import figure_main
from tarimhm.uncertainty.figures import figU5

if __name__ == "__main__":
    figure_main(figU5, __file__, __doc__)
