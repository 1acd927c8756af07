"""Table 4 - MAE, RMSE and R2 of the RF models on the validation sites, paper beside this work.

Inputs:  paper/audit/rf.csv (the Table 4 audit of stage 060)
Outputs: paper/tables/tab4_accuracy.{csv,tex}
"""

from tarimhm.entry import table_main
from tarimhm.rf.tables import tab4

if __name__ == "__main__":
    table_main(tab4, __file__, __doc__)
