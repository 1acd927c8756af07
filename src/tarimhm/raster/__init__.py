"""Basin-scale prediction engine (Sect. 2.3.1 (4)).

compile  forest -> exact per-pixel lookup table over raw DN (or compiled traversal)
kernels  numba kernels: table lookup, traversal, DI, NaN-aware 5x5 median
post     target-surface masks, median filter, P99 removal, class counts
predict  tiled, parallel (processes or dask.distributed), resumable prediction; COG assembly
store    compiled models as npz + JSON
stage    stage 09: 10 models -> COGs, class counts, timings
report   Tables 5-6 (class shares vs the paper) and their audit
figures  Figs 6-7 and their uncertainty / AOA companions, drawn from the COG overviews
"""
