"""Table 9 - exposure factors: the paper's printed columns beside the profiles and what its results imply.

Inputs:  data_derived/risk/table9.csv (stage 032: profiles and printed numbers only)
Outputs: paper/tables/tab9_exposure.csv and .tex
"""

from tarimhm.entry import table_main
from tarimhm.risk.tables import tab9

if __name__ == "__main__":
    table_main(tab9, __file__, __doc__)
