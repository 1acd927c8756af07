"""Fig. 10 - radar charts of soil HI per site and metal, children and adults.

Inputs:  data_derived/risk/<figures.risk_profile>/{site_summary,risk_long,igeo,hpi}.csv (stage 03)
Outputs: figures/fig10_hi_radar.pdf and .png (provenance in metadata and sidecar)
"""
from tarimhm.scripts import figure_main

if __name__ == "__main__":
    figure_main("fig10_hi_radar", __file__, __doc__)
