"""figV1 - no-signal R² of the paper's protocol (printed split; best of all splits) beside the printed R² and ours.

Inputs:  data_derived/rf/validation.csv, validation_nulls.npz (stage 061)
Outputs: figures/figV1_validation_nulls.pdf (and .png)
"""

from tarimhm.entry import figure_main
from tarimhm.rf.figures import figV1

if __name__ == "__main__":
    figure_main(figV1, __file__, __doc__)
