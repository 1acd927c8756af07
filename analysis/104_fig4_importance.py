"""Fig. 4 - permutation importance of the Sentinel-2 bands, normalised 0-1 within each model.

Inputs:  data_derived/rf/importance.csv (stage 07)
Outputs: figures/fig4_importance.pdf and .png
"""
from tarimhm.scripts import figure_main

if __name__ == "__main__":
    figure_main("fig4_importance", __file__, __doc__)
