"""Which documented parameter choices reproduce the paper's soil HI and CR ranges?

The paper prints per-metal HI and CR ranges (Sect. 3.4.2) but not the RfDs, slope factors,
ABS or dermal form behind them. HI and CR are linear in concentration, so each reported
minimum / maximum belongs to the metal's minimum / maximum concentration, which the reported
Igeo range gives exactly (C = 1.5·B·2^Igeo). For every combination of the documented
alternatives in ``analysis/calibration_grid.yaml`` this module computes the 28 soil endpoints
and their log errors e_k = ln(reproduced / reported), then

* ``rms_raw``: root mean square of e_k, and
* ``scale``: the common factor s = exp(-mean e_k) that every endpoint shares (a body weight,
  exposure frequency or concentration level the paper does not state), and ``rms_scaled``,
  the RMS of e_k + ln s.

Combinations are ranked by ``rms_scaled`` (structure first), then ``rms_raw``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths
from ..config import load_yaml
from ..domain import METALS
from ..reported import Reported, igeo_factor
from .assess import soil_risk
from .indices import igeo_inverse
from .profiles import Profile, merge, resolve

__all__ = ["soil_endpoints", "extreme_sites", "evaluate_profile", "calibrate", "GRID_PATH"]

GRID_PATH = paths.CALIBRATION_GRID


def soil_endpoints(rep: Reported) -> pd.DataFrame:
    """The 28 reported soil HI / CR range endpoints (quantity, group, metal, stat, reported, id)."""
    rows = []
    for q, loc in (("hi", "Sect. 3.4.2 (1) ¶1"), ("cr", "Sect. 3.4.2 (2) ¶1")):
        for r in rep.find(locator=loc, quantity=q, medium="soil"):
            rows.append(
                {
                    "quantity": q,
                    "group": r.group,
                    "metal": r.metal,
                    "stat": r.stat,
                    "reported": r.value,
                    "reported_id": r.id,
                }
            )
    return pd.DataFrame(rows)


def extreme_sites(rep: Reported) -> pd.DataFrame:
    """Two pseudo-sites holding every metal's minimum and maximum from the reported Igeo range."""
    k = igeo_factor(rep)
    rows = {}
    for stat in ("min", "max"):
        rows[stat] = {
            m: float(
                igeo_inverse(
                    rep.value(locator="Sect. 3.4.1 ¶2", quantity="igeo", metal=m, stat=stat, site=None),
                    rep.value(locator="Table 1", quantity="background", metal=m),
                    k,
                )
            )
            for m in METALS
        }
    df = pd.DataFrame.from_dict(rows, orient="index").reset_index(names="site_id")
    return df


def evaluate_profile(prof: Profile, sites: pd.DataFrame, endpoints: pd.DataFrame) -> pd.DataFrame:
    """Reproduced value of every endpoint (min/max over the given sites) under ``prof``."""
    long = soil_risk(sites, prof)
    per = long.groupby(["site_id", "group", "metal"])[["HQ", "CR"]].sum().reset_index()
    out = endpoints.copy()
    vals = []
    for r in endpoints.itertuples():
        col = "HQ" if r.quantity == "hi" else "CR"
        v = per.loc[(per.group == r.group) & (per.metal == r.metal), col]
        vals.append(float(v.min() if r.stat == "min" else v.max()))
    out["reproduced"] = vals
    out["log_error"] = np.log(out["reproduced"] / out["reported"])
    return out


def _grid(path: Path):
    g = load_yaml(path)
    base = resolve(paths.PROFILES / f"{g['base']}.yaml")
    axes = g["axes"]
    names = list(axes)
    for combo in itertools.product(*(list(axes[a]) for a in names)):
        d = base
        for a, o in zip(names, combo):
            d = merge(d, axes[a][o] or {})
        yield dict(zip(names, combo)), d


def calibrate(rep: Reported, grid_path: Path = GRID_PATH) -> pd.DataFrame:
    """Score every combination of the grid; best first."""
    ends = soil_endpoints(rep)
    sites = extreme_sites(rep)
    rows = []
    for choice, d in _grid(grid_path):
        d = dict(d, name="calibration", title="calibration candidate")
        prof = Profile.model_validate(d)
        ev = evaluate_profile(prof, sites, ends)
        e = ev["log_error"].to_numpy()
        s = float(np.exp(-e.mean()))
        scaled = e + np.log(s)
        rows.append(
            {
                **choice,
                "rms_raw": float(np.sqrt(np.mean(e**2))),
                "scale": s,
                "rms_scaled": float(np.sqrt(np.mean(scaled**2))),
                "max_abs_scaled_pct": float(100 * np.max(np.abs(np.expm1(scaled)))),
                "max_abs_raw_pct": float(100 * np.max(np.abs(np.expm1(e)))),
            }
        )
    df = pd.DataFrame(rows).sort_values(["rms_scaled", "rms_raw"], kind="stable").reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return df
