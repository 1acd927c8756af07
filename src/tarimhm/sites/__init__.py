"""Site tables S1-S10 / W1-W9: reconstruction from the reported statistics (or the user's real tables),
the consistency checks of the printed numbers, site locations, the Sect. 2.1 audit and Fig. 1.

The site-table contract itself (schema, loaders) is on the ground floor: :mod:`tarimhm.sitetable`.
"""
