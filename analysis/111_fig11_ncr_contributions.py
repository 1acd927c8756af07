"""Fig. 11 - soil non-carcinogenic risk by metal per site, and the exposure-route shares (11c).

Inputs:  data_derived/risk/<figures.risk_profile>/{site_summary,risk_long,igeo,hpi}.csv (stage 03)
Outputs: figures/fig11_ncr_contributions.pdf and .png (provenance in metadata and sidecar)
"""
from tarimhm.scripts import figure_main

if __name__ == "__main__":
    figure_main("fig11_ncr_contributions", __file__, __doc__)
