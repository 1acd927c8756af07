"""Basin-scale prediction engine (Sect. 2.3.1 (4)); it knows no paper: the maps domain (tarimhm.maps) drives it.

compile  forest -> exact per-pixel lookup table over raw DN (or compiled traversal)
kernels  numba kernels: table lookup, traversal, DI, NaN-aware 5x5 median
post     target-surface masks, median filter, P99 removal, class counts
predict  tiled, parallel (processes or dask.distributed), resumable prediction; COG assembly
store    compiled models as npz + JSON

The stage (10 models -> COGs, class counts, timings), the Tables 5-6 audit and Figs 6-7 live in
tarimhm.maps.{stage,audit,tables,figures}.
"""
