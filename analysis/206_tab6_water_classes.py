"""Table 6 - % of the mapped river area per concentration class (paper's class bounds), paper beside this work.

Inputs:  data_derived/maps/water_classes.csv (stage 070)
Outputs: paper/tables/tab6_water_classes.csv and .tex
"""

from tarimhm.entry import table_main
from tarimhm.maps.tables import tab6

if __name__ == "__main__":
    table_main(tab6, __file__, __doc__)
