"""Table 4 - MAE, RMSE and R2 of the RF models on the validation sites, paper beside this work.

Inputs:  data_derived/rf/metrics.csv (stage 07), paper/reported.yaml
Outputs: paper/tables/tab4_accuracy.{csv,tex}, paper/audit/rf.csv (verdict per Table 4 entry)
"""
from tarimhm.scripts import table_main

if __name__ == "__main__":
    table_main("tab4_accuracy", __file__, __doc__)
