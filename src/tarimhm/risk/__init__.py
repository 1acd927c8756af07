"""Health-risk equations and pollution indices (one function per equation)."""
from .indices import igeo, igeo_class, igeo_inverse, hpi, MULLER_CLASSES

__all__ = ["igeo", "igeo_class", "igeo_inverse", "hpi", "MULLER_CLASSES"]
