"""Fig. 9 - radar charts of Igeo (soil sites) and HPI (river sites, class III and V).

Inputs:  data_derived/risk/<figures.risk_profile>/{site_summary,risk_long,igeo,hpi}.csv (stage 03)
Outputs: figures/fig9_igeo_hpi.pdf and .png (provenance in metadata and sidecar)
"""
from tarimhm.scripts import figure_main

if __name__ == "__main__":
    figure_main("fig9_igeo_hpi", __file__, __doc__)
