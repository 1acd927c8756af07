"""Deterministic health risk of the site tables under an exposure profile (Sect. 2.3.2).

Long tables, one row per site x group x metal x pathway, so every summary of the paper
(HI and CR per metal, per site, per pathway; shares; exceedances) is a group-by.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..domain import GROUPS, METALS, PATHWAYS
from . import equations as eq
from .indices import hpi, igeo
from .profiles import Profile

__all__ = [
    "soil_risk",
    "water_risk",
    "soil_terms",
    "water_terms",
    "hi_tcr",
    "site_summary",
    "soil_indices",
    "water_indices",
    "concentrations",
]


def concentrations(sites: pd.DataFrame) -> np.ndarray:
    missing = [m for m in METALS if m not in sites.columns]
    if missing:
        raise ValueError(f"site table lacks column(s) {missing}")
    c = sites[list(METALS)].to_numpy(float)
    if np.any(~np.isfinite(c)) or np.any(c < 0):
        raise ValueError("concentrations must be finite and >= 0")
    return c


def _factors(prof: Profile, group: str, medium: str, over: dict | None = None):
    """(value getter, ED, EF, BW, non-carcinogenic AT, carcinogenic AT) of one group and medium.

    ``over`` replaces group factors (BW, ED, IngR, ...) by arrays that broadcast against the
    concentrations; the Monte Carlo layer passes one value per draw, the deterministic stage none.
    """
    gp, over = prof.groups[group], over or {}

    def val(key):
        return over[key] if key in over else getattr(gp, key).value

    ed, ef, bw = val("ED"), val("EF"), val("BW")
    mode = prof.options.at_carcinogenic_soil if medium == "soil" else prof.options.at_carcinogenic_water
    return (
        val,
        ed,
        ef,
        bw,
        eq.averaging_time(ed, carcinogenic=False),
        eq.averaging_time(ed, True, prof.constants.LT.value, mode),
    )


def soil_terms(
    c: np.ndarray, prof: Profile, group: str, over: dict | None = None, ba: np.ndarray | None = None
) -> dict[tuple[str, str], np.ndarray]:
    """HQ (kind 'nc') and CR (kind 'c') per pathway for one group: {(pathway, kind): array (..., metal)}.

    ``c`` has the five metals on its last axis; ``ba`` is the oral bioaccessible fraction per metal
    (default: the profile's option, 1 where unset) and broadcasts like ``c``.
    """
    if ba is None:
        ba = np.array([prof.options.bioaccessibility.get(m, 1.0) for m in METALS])
    abs_ = np.array([prof.abs[m].value for m in METALS])
    tox = prof.toxicity
    rfd = {
        "ingestion": np.array([tox[m].RfDo.value for m in METALS]),
        "inhalation": np.array([tox[m].RfDi.value for m in METALS]),
        "dermal": np.array([tox[m].RfDd.value for m in METALS]),
    }
    sf = {
        k: np.array([getattr(tox[m], a).value if getattr(tox[m], a) else 0.0 for m in METALS])
        for k, a in (("ingestion", "SFo"), ("inhalation", "SFi"), ("dermal", "SFd"))
    }
    val, ed, ef, bw, at_nc, at_c = _factors(prof, group, "soil", over)
    af = val("AF") if prof.options.dermal_af else 1.0
    out = {}
    for at, kind in ((at_nc, "nc"), (at_c, "c")):
        add = {
            "ingestion": eq.add_soil_ingestion(c * ba, val("IngR"), ef, ed, bw, at),
            "inhalation": eq.add_soil_inhalation(c, val("InhR"), ef, ed, bw, at, prof.constants.PEF.value),
            "dermal": eq.add_soil_dermal(c, val("SA"), abs_, ef, ed, bw, at, af=af),
        }
        for pw in PATHWAYS:
            out[(pw, kind)] = eq.hazard_quotient(add[pw], rfd[pw]) if kind == "nc" else eq.cancer_risk(add[pw], sf[pw])
    return out


def water_terms(c: np.ndarray, prof: Profile, group: str, over: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(HQ, CR) of drinking-water ingestion for one group, arrays (..., metal)."""
    tox = prof.toxicity
    rfd = np.array([(tox[m].RfDw or tox[m].RfDo).value for m in METALS])  # RfDw: drinking-water RfD (Cd)
    csf = np.array([tox[m].CSFw.value if tox[m].CSFw else 0.0 for m in METALS])
    val, ed, ef, bw, at_nc, at_c = _factors(prof, group, "water", over)
    hq = eq.hazard_quotient(eq.add_water_ingestion(c, val("IRw"), ef, ed, bw, at_nc), rfd)
    cr = eq.cancer_risk_water(eq.add_water_ingestion(c, val("IRw"), ef, ed, bw, at_c), csf)
    return hq, cr


def soil_risk(sites: pd.DataFrame, prof: Profile) -> pd.DataFrame:
    """HQ and CR by site, group, metal and pathway for soil (Eqs 5-10)."""
    c = concentrations(sites)
    rows = []
    for g in GROUPS:
        terms = soil_terms(c, prof, g)
        for kind in ("nc", "c"):
            for pw in PATHWAYS:
                df = pd.DataFrame(terms[(pw, kind)], columns=list(METALS))
                df.insert(0, "site_id", sites["site_id"].to_numpy())
                df = df.melt(id_vars="site_id", var_name="metal", value_name="HQ" if kind == "nc" else "CR")
                df["group"], df["pathway"] = g, pw
                rows.append(df)
    nc = pd.concat([r for r in rows if "HQ" in r], ignore_index=True)
    ca = pd.concat([r for r in rows if "CR" in r], ignore_index=True)
    out = nc.merge(ca, on=["site_id", "metal", "group", "pathway"])
    out.insert(0, "medium", "soil")
    return out[["medium", "site_id", "group", "metal", "pathway", "HQ", "CR"]]


def water_risk(sites: pd.DataFrame, prof: Profile) -> pd.DataFrame:
    """HQ and CR by site, group and metal for drinking water (Eqs 8, 11-12; ingestion only)."""
    c = concentrations(sites)
    rows = []
    for g in GROUPS:
        hq, cr = water_terms(c, prof, g)
        for m_i, m in enumerate(METALS):
            rows.append(
                pd.DataFrame(
                    {
                        "medium": "water",
                        "site_id": sites["site_id"].to_numpy(),
                        "group": g,
                        "metal": m,
                        "pathway": "ingestion",
                        "HQ": hq[:, m_i],
                        "CR": cr[:, m_i],
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def hi_tcr(prof: Profile, soil: pd.DataFrame, water: pd.DataFrame) -> pd.DataFrame:
    """HI and TCR per medium, site and group under ``prof`` (the deterministic values)."""
    return pd.concat([site_summary(soil_risk(soil, prof)), site_summary(water_risk(water, prof))], ignore_index=True)[
        ["medium", "site_id", "group", "HI", "TCR"]
    ]


def site_summary(long: pd.DataFrame) -> pd.DataFrame:
    """Per site and group: HI and TCR, with per-metal HI and CR in wide columns."""
    by_metal = long.groupby(["medium", "site_id", "group", "metal"], sort=False)[["HQ", "CR"]].sum().reset_index()
    wide = by_metal.pivot_table(index=["medium", "site_id", "group"], columns="metal", values=["HQ", "CR"], sort=False)
    wide.columns = [f"{'HI' if v == 'HQ' else 'CR'}_{m}" for v, m in wide.columns]
    tot = long.groupby(["medium", "site_id", "group"], sort=False)[["HQ", "CR"]].sum()
    tot.columns = ["HI", "TCR"]
    out = tot.join(wide).reset_index()
    out["HI_gt_1"] = out["HI"] > 1
    out["TCR_gt_1e-4"] = out["TCR"] > 1e-4
    out["TCR_gt_1e-6"] = out["TCR"] > 1e-6
    return out


def soil_indices(sites: pd.DataFrame, background: dict[str, float], k: float = 1.5) -> pd.DataFrame:
    """Igeo per soil site and metal (Eq. 13)."""
    c = concentrations(sites)
    ig = igeo(c, np.array([background[m] for m in METALS]), k)
    df = pd.DataFrame(ig, columns=list(METALS))
    df.insert(0, "site_id", sites["site_id"].to_numpy())
    return df


def water_indices(
    sites: pd.DataFrame, standards: dict[str, dict[str, float]], form: str = "normalised", ideal: float = 0.0
) -> pd.DataFrame:
    """HPI per water site for each set of standards (Eq. 14)."""
    c = concentrations(sites)
    out = pd.DataFrame({"site_id": sites["site_id"].to_numpy()})
    for name, s in standards.items():
        out[f"HPI_{name}"] = hpi(c, np.array([s[m] for m in METALS]), ideal=ideal, form=form)
    return out
