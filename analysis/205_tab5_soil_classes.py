"""Table 5 - % of the mapped soil area per concentration class (paper's class bounds), paper beside this work.

Inputs:  data_derived/maps/soil_summary.json (stage 09), paper/reported.yaml
Outputs: paper/tables/tab5_soil_classes.csv and .tex; paper/audit/maps_soil.csv
"""
from tarimhm.scripts import table_main

if __name__ == "__main__":
    table_main("tab5_soil_classes", __file__, __doc__)
