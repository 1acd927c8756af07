"""Fig. 15 - river carcinogenic risk by metal per site (ingestion), children and adults.

Inputs:  data_derived/risk/<risk.reference_profile>/{site_summary,risk_long,igeo,hpi}.csv (stage 031)
Outputs: figures/fig15_water_cr.pdf and .png (provenance in metadata and sidecar)
"""

from tarimhm.entry import figure_main
from tarimhm.risk.figures import fig15

if __name__ == "__main__":
    figure_main(fig15, __file__, __doc__)
