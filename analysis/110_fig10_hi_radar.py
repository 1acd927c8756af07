"""Fig. 10 - radar charts of soil HI per site and metal, children and adults.

Inputs:  data_derived/risk/<risk.reference_profile>/{site_summary,risk_long,igeo,hpi}.csv (stage 031)
Outputs: figures/fig10_hi_radar.pdf and .png (provenance in metadata and sidecar)
"""

from tarimhm.entry import figure_main
from tarimhm.risk.figures import fig10

if __name__ == "__main__":
    figure_main(fig10, __file__, __doc__)
