"""Basin maps (stage 070) on the raster engine: COGs, Tables 5-6 and their audit, Figs 6-7 and companions."""
