"""Table 5 - % of the mapped soil area per concentration class (paper's class bounds), paper beside this work.

Inputs:  data_derived/maps/soil_classes.csv (stage 070)
Outputs: paper/tables/tab5_soil_classes.csv and .tex
"""

from tarimhm.entry import table_main
from tarimhm.maps.tables import tab5

if __name__ == "__main__":
    table_main(tab5, __file__, __doc__)
