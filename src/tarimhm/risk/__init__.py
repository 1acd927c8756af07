"""Health-risk equations and pollution indices (one function per equation)."""

from .indices import MULLER_CLASSES, hpi, igeo, igeo_class, igeo_inverse

__all__ = ["igeo", "igeo_class", "igeo_inverse", "hpi", "MULLER_CLASSES"]
from .equations import (  # noqa: E402
    add_soil_dermal,
    add_soil_ingestion,
    add_soil_inhalation,
    add_water_ingestion,
    averaging_time,
    cancer_risk,
    cancer_risk_water,
    hazard_index,
    hazard_quotient,
    total_cancer_risk,
)

__all__ += [
    "add_soil_dermal",
    "add_soil_ingestion",
    "add_soil_inhalation",
    "add_water_ingestion",
    "averaging_time",
    "cancer_risk",
    "cancer_risk_water",
    "hazard_index",
    "hazard_quotient",
    "total_cancer_risk",
]
