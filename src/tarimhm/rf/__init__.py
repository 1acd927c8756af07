"""Random-Forest inversion of the paper (Sect. 2.3.1 (3), 3.2.1; Table 2, Table 4, Fig. 4)."""

from .export import load_forest, predict_exported, save_forest
from .inversion import FEATURES, dedup_search, fit_model, make_pipeline, naive_search

__all__ = [
    "FEATURES",
    "dedup_search",
    "fit_model",
    "make_pipeline",
    "naive_search",
    "load_forest",
    "predict_exported",
    "save_forest",
]
