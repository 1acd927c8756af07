"""Table 9 - exposure factors: the paper's printed columns beside the profiles and what its results imply.

Inputs:  analysis/profiles/{paper_as_stated,usepa_default,china_xinjiang,paper_reproducing}.yaml,
         paper/reported.yaml
Outputs: paper/tables/tab9_exposure.csv and .tex; paper/audit/exposure.csv
"""
from tarimhm.scripts import table_main

if __name__ == "__main__":
    table_main("tab9_exposure", __file__, __doc__)
