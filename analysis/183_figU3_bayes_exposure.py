"""figU3 - exposure factors consistent with the paper's own soil HI/CR: prior (Table 9 spans) vs posterior (PyMC).

Inputs:  data_derived/risk_uncertainty/bayes_posterior.nc, bayes_endpoints.csv (stage 10)
Outputs: figures/figU3_bayes_exposure.pdf (and .png)
"""
from tarimhm.scripts import figure_main

if __name__ == "__main__":
    figure_main("figU3_bayes_exposure", __file__, __doc__)
