"""Fig. 14 - radar charts of river carcinogenic risk (As, Cd, Pb) per site.

Inputs:  data_derived/risk/<risk.reference_profile>/{site_summary,risk_long,igeo,hpi}.csv (stage 031)
Outputs: figures/fig14_water_cr_radar.pdf and .png (provenance in metadata and sidecar)
"""

from tarimhm.entry import figure_main
from tarimhm.risk.figures import fig14

if __name__ == "__main__":
    figure_main(fig14, __file__, __doc__)
