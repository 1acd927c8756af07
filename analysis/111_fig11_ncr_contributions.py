"""Fig. 11 - soil non-carcinogenic risk by metal per site, and the exposure-route shares (11c).

Inputs:  data_derived/risk/<risk.reference_profile>/{site_summary,risk_long,igeo,hpi}.csv (stage 031)
Outputs: figures/fig11_ncr_contributions.pdf and .png (provenance in metadata and sidecar)
"""

from tarimhm.entry import figure_main
from tarimhm.risk.figures import fig11

if __name__ == "__main__":
    figure_main(fig11, __file__, __doc__)
