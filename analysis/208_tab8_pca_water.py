"""Table 8 - loadings, eigenvalue and variance of the river-water PCA, paper beside this work.

Inputs:  data_derived/stats/pca_*.json (stage 020), paper/reported.yaml
Outputs: paper/tables/tab8_pca_water.csv (long, with differences) and .tex
"""

from tarimhm.entry import table_main
from tarimhm.stats.tables import tab8

if __name__ == "__main__":
    table_main(tab8, __file__, __doc__)
