"""Table 8 - loadings, eigenvalue and variance of the river-water PCA, paper beside this work.

Inputs:  data_derived/stats/pca_*.json (stage 05), paper/reported.yaml
Outputs: paper/tables/tab8_pca_water.csv (long, with differences) and .tex
"""
from tarimhm.scripts import table_main

if __name__ == "__main__":
    table_main("tab8_pca_water", __file__, __doc__)
