"""Fig. 15 - river carcinogenic risk by metal per site (ingestion), children and adults.

Inputs:  data_derived/risk/<figures.risk_profile>/{site_summary,risk_long,igeo,hpi}.csv (stage 03)
Outputs: figures/fig15_water_cr.pdf and .png (provenance in metadata and sidecar)
"""
from tarimhm.scripts import figure_main

if __name__ == "__main__":
    figure_main("fig15_water_cr", __file__, __doc__)
