"""US EPA exposure equations of the paper (Eqs 5-12), one function per equation.

All functions broadcast over numpy arrays, so one call evaluates sites x metals x groups.
Units: C in mg/kg (soil) or µg/L (water); rates and weights as named in each docstring;
doses (ADD) in mg kg-1 d-1. Sources: US EPA (1989) RAGS Part A (EPA/540/1-89/002), US EPA
(2004) RAGS Part E (EPA/540/R/99/005), US EPA (2002) Supplemental Guidance for Developing
Soil Screening Levels (OSWER 9355.4-24) for PEF and inhalation.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "add_soil_ingestion",
    "add_soil_inhalation",
    "add_soil_dermal",
    "hazard_quotient",
    "hazard_index",
    "cancer_risk",
    "total_cancer_risk",
    "add_water_ingestion",
    "cancer_risk_water",
    "averaging_time",
]


def _pos(**kw):
    for k, v in kw.items():
        a = np.asarray(v, dtype=float)
        if np.any(~np.isfinite(a)) or np.any(a < 0):
            raise ValueError(f"{k} must be finite and >= 0 (got {v!r})")
    return None


def averaging_time(ed_years, carcinogenic: bool, lifetime_years: float = 70.0, mode: str = "lifetime"):
    r"""Averaging time AT in days.

    Non-carcinogenic: :math:`AT = ED \times 365`. Carcinogenic: :math:`AT = LT \times 365`
    (``mode="lifetime"``, RAGS A; 70 y -> 25 550 d) or :math:`ED \times 365`
    (``mode="exposure"``, what the paper prints for water: 2190 / 9490 d).
    """
    _pos(ed_years=ed_years, lifetime_years=lifetime_years)
    if not carcinogenic or mode == "exposure":
        return np.asarray(ed_years, dtype=float) * 365.0
    if mode != "lifetime":
        raise ValueError(f"mode must be 'lifetime' or 'exposure', got {mode!r}")
    return np.asarray(lifetime_years, dtype=float) * 365.0 + 0 * np.asarray(ed_years, dtype=float)


def add_soil_ingestion(c, ingr, ef, ed, bw, at, cf=1e-6):
    r"""Average daily dose by incidental soil ingestion, Eq. (5).

    .. math:: ADD_{ing} = \frac{C \cdot IngR \cdot CF \cdot EF \cdot ED}{BW \cdot AT}

    C mg/kg; IngR mg/d; CF 1e-6 kg/mg; EF d/y; ED y; BW kg; AT d -> mg kg-1 d-1. RAGS A Exh. 6-14.
    """
    _pos(c=c, ingr=ingr, ef=ef, ed=ed, bw=bw, at=at, cf=cf)
    return np.asarray(c) * ingr * cf * ef * ed / (np.asarray(bw) * at)


def add_soil_inhalation(c, inhr, ef, ed, bw, at, pef=1.36e9):
    r"""Average daily dose by inhalation of resuspended soil particles, Eq. (6).

    .. math:: ADD_{inh} = \frac{C \cdot InhR \cdot EF \cdot ED}{BW \cdot AT \cdot PEF}

    C mg/kg; InhR m³/d; PEF m³/kg (particle emission factor, US EPA 2002 SSL guidance:
    1.36e9) -> mg kg-1 d-1.
    """
    _pos(c=c, inhr=inhr, ef=ef, ed=ed, bw=bw, at=at, pef=pef)
    if np.any(np.asarray(pef) <= 0):
        raise ValueError("pef must be > 0")
    return np.asarray(c) * inhr * ef * ed / (np.asarray(bw) * at * pef)


def add_soil_dermal(c, sa, abs_, ef, ed, bw, at, af=1.0, cf=1e-6):
    r"""Average daily dose by dermal contact with soil, Eq. (7).

    .. math:: ADD_{der} = \frac{C \cdot CF \cdot SA \cdot AF \cdot ABS \cdot EF \cdot ED}{BW \cdot AT}

    RAGS Part E (Eq. 3.12) includes the adherence factor AF (mg/cm² per event); the paper's
    Eq. (7) omits it, which is ``af=1`` (the default, to match the printed equation).
    SA cm²; ABS dermal absorption fraction (-).
    """
    _pos(c=c, sa=sa, abs_=abs_, ef=ef, ed=ed, bw=bw, at=at, af=af, cf=cf)
    return np.asarray(c) * cf * sa * af * abs_ * ef * ed / (np.asarray(bw) * at)


def hazard_quotient(add, rfd):
    r""":math:`HQ = ADD / RfD` (RAGS A Eq. 8-1); RfD in mg kg-1 d-1, > 0."""
    _pos(add=add, rfd=rfd)
    if np.any(np.asarray(rfd) <= 0):
        raise ValueError("rfd must be > 0")
    return np.asarray(add) / np.asarray(rfd)


def hazard_index(hq, axis=None):
    r""":math:`HI = \sum HQ`, Eq. (8): sum of hazard quotients over the given axis (pathways and/or metals)."""
    return np.sum(hq, axis=axis)


def cancer_risk(add, sf):
    r""":math:`CR = ADD \times SF`, Eqs (9-10) and (12); SF in (mg kg-1 d-1)^-1 (0 for non-carcinogens)."""
    _pos(add=add, sf=sf)
    return np.asarray(add) * np.asarray(sf)


def total_cancer_risk(cr, axis=None):
    r""":math:`TCR = \sum CR`, Eq. (9)."""
    return np.sum(cr, axis=axis)


def add_water_ingestion(cw, ir, ef, ed, bw, at, cf=1e-3):
    r"""Average daily dose by drinking water, Eq. (11).

    .. math:: ADD = \frac{C_w \cdot IR \cdot CF \cdot EF \cdot ED}{BW \cdot AT}

    C_w µg/L; IR L/d; CF = 1e-3 mg/µg (the printed Eq. 11 has no conversion factor although
    it states ADD in mg kg-1 d-1; see errata) -> mg kg-1 d-1.
    """
    _pos(cw=cw, ir=ir, ef=ef, ed=ed, bw=bw, at=at, cf=cf)
    return np.asarray(cw) * ir * cf * ef * ed / (np.asarray(bw) * at)


def cancer_risk_water(add, csf):
    r""":math:`CR = ADD \times CSF`, Eq. (12); CSF in (mg kg-1 d-1)^-1."""
    return cancer_risk(add, csf)
