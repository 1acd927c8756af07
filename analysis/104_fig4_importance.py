"""Fig. 4 - permutation importance of the Sentinel-2 bands, normalised 0-1 within each model.

Inputs:  data_derived/rf/importance.csv (stage 060)
Outputs: figures/fig4_importance.pdf and .png
"""

from tarimhm.entry import figure_main
from tarimhm.rf.figures import fig4

if __name__ == "__main__":
    figure_main(fig4, __file__, __doc__)
