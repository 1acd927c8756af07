"""Domain constants of the paper, defined once: metals, media, population groups, exposure pathways, units."""

from __future__ import annotations

__all__ = ["METALS", "TABLE_METALS", "MEDIA", "GROUPS", "PATHWAYS", "UNITS", "SOIL_CARCINOGENS", "WATER_CARCINOGENS"]

METALS: tuple[str, ...] = ("As", "Cd", "Pb", "Cu", "Zn")
"""The five metals in the order of the paper's text (Sect. 3.1) and of every site table."""
TABLE_METALS: tuple[str, ...] = ("As", "Cd", "Cu", "Pb", "Zn")
"""Column and row order of Tables 4-6 and the panel order of Figs 6-7."""
MEDIA: tuple[str, ...] = ("soil", "water")
GROUPS: tuple[str, ...] = ("child", "adult")
PATHWAYS: tuple[str, ...] = ("ingestion", "inhalation", "dermal")
UNITS: dict[str, str] = {"soil": "mg/kg", "water": "µg/L"}
"""Concentration unit per medium (Supplementary Tables S1/S2)."""
SOIL_CARCINOGENS: tuple[str, ...] = ("As", "Cd")
WATER_CARCINOGENS: tuple[str, ...] = ("As", "Cd", "Pb")
