"""Table 7 - varimax-rotated loadings, eigenvalues and variance of the soil PCA, paper beside this work.

Inputs:  data_derived/stats/pca_*.json (stage 020), paper/reported.yaml
Outputs: paper/tables/tab7_pca_soil.csv (long, with differences) and .tex
"""

from tarimhm.entry import table_main
from tarimhm.stats.tables import tab7

if __name__ == "__main__":
    table_main(tab7, __file__, __doc__)
