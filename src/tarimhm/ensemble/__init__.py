"""Propagation of the reconstruction ensemble through every site-level stage (issue 14)."""
