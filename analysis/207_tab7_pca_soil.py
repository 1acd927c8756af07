"""Table 7 - varimax-rotated loadings, eigenvalues and variance of the soil PCA, paper beside this work.

Inputs:  data_derived/stats/pca_*.json (stage 05), paper/reported.yaml
Outputs: paper/tables/tab7_pca_soil.csv (long, with differences) and .tex
"""
from tarimhm.scripts import table_main

if __name__ == "__main__":
    table_main("tab7_pca_soil", __file__, __doc__)
