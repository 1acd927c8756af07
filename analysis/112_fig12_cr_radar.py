"""Fig. 12 - radar charts of soil carcinogenic risk (As, Cd) per site, children and adults.

Inputs:  data_derived/risk/<risk.reference_profile>/{site_summary,risk_long,igeo,hpi}.csv (stage 031)
Outputs: figures/fig12_cr_radar.pdf and .png (provenance in metadata and sidecar)
"""

from tarimhm.entry import figure_main
from tarimhm.risk.figures import fig12

if __name__ == "__main__":
    figure_main(fig12, __file__, __doc__)
