"""Table 6 - % of the mapped river area per concentration class (paper's class bounds), paper beside this work.

Inputs:  data_derived/maps/water_summary.json (stage 09), paper/reported.yaml
Outputs: paper/tables/tab6_water_classes.csv and .tex; paper/audit/maps_water.csv
"""
from tarimhm.scripts import table_main

if __name__ == "__main__":
    table_main("tab6_water_classes", __file__, __doc__)
