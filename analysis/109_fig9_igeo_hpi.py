"""Fig. 9 - radar charts of Igeo (soil sites) and HPI (river sites, class III and V).

Inputs:  data_derived/risk/<risk.reference_profile>/{site_summary,risk_long,igeo,hpi}.csv (stage 031)
Outputs: figures/fig9_igeo_hpi.pdf and .png (provenance in metadata and sidecar)
"""

from tarimhm.entry import figure_main
from tarimhm.risk.figures import fig9

if __name__ == "__main__":
    figure_main(fig9, __file__, __doc__)
