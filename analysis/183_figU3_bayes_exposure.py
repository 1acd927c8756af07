"""figU3 - exposure factors consistent with the paper's own soil HI/CR: prior (Table 9 spans) vs posterior (PyMC).

Inputs:  data_derived/uncertainty/bayes_posterior.nc, bayes_endpoints.csv (stage 041)
Outputs: figures/figU3_bayes_exposure.pdf (and .png)
"""

from tarimhm.entry import figure_main
from tarimhm.uncertainty.figures import figU3

if __name__ == "__main__":
    figure_main(figU3, __file__, __doc__)
