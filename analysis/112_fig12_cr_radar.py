"""Fig. 12 - radar charts of soil carcinogenic risk (As, Cd) per site, children and adults.

Inputs:  data_derived/risk/<figures.risk_profile>/{site_summary,risk_long,igeo,hpi}.csv (stage 03)
Outputs: figures/fig12_cr_radar.pdf and .png (provenance in metadata and sidecar)
"""
from tarimhm.scripts import figure_main

if __name__ == "__main__":
    figure_main("fig12_cr_radar", __file__, __doc__)
