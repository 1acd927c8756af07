"""Fig. 14 - radar charts of river carcinogenic risk (As, Cd, Pb) per site.

Inputs:  data_derived/risk/<figures.risk_profile>/{site_summary,risk_long,igeo,hpi}.csv (stage 03)
Outputs: figures/fig14_water_cr_radar.pdf and .png (provenance in metadata and sidecar)
"""
from tarimhm.scripts import figure_main

if __name__ == "__main__":
    figure_main("fig14_water_cr_radar", __file__, __doc__)
