"""Probabilistic risk (stages 040-041): Monte Carlo, one-at-a-time sensitivity, PyMC calibration, Figs U1-U3."""
