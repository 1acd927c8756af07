"""Stage 020: statistics of the site tables and their audit against Sect. 3.1 / 3.3 and Tables 7-8."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import paths
from ..audit import write_audit
from ..config import Params, params_hash
from ..domain import METALS
from ..provenance import atomic_write_text, committed, make_provenance, write_json, write_table
from ..reported import Reported, backgrounds, standards
from ..sitetable import data_status, load_sites, site_table_source
from .audit import audit_statistics, markdown
from .methods import correlations, describe, iqr_outliers, levene_by, normality, pca_varimax

__all__ = ["run_statistics", "background_comparison"]


def background_comparison(rep: Reported, soil: pd.DataFrame, water: pd.DataFrame) -> pd.DataFrame:
    """Per metal: soil sites below / above the Xinjiang background (Table 1); river sites above the
    class III and class V surface-water standards (Table 1)."""
    rows = []
    bg, std = backgrounds(rep), standards(rep)
    for m in METALS:
        b = bg[m]
        rows.append(
            {
                "medium": "soil",
                "metal": m,
                "reference": "Xinjiang background",
                "limit": b,
                "n_sites": len(soil),
                "n_below": int((soil[m] < b).sum()),
                "n_above": int((soil[m] >= b).sum()),
                "pct_below": 100 * float((soil[m] < b).mean()),
            }
        )
        for c in ("III", "V"):
            lim = std[c][m]
            rows.append(
                {
                    "medium": "water",
                    "metal": m,
                    "reference": f"GB 3838-2002 class {c}",
                    "limit": lim,
                    "n_sites": len(water),
                    "n_below": int((water[m] < lim).sum()),
                    "n_above": int((water[m] >= lim).sum()),
                    "pct_below": 100 * float((water[m] < lim).mean()),
                }
            )
    return pd.DataFrame(rows)


@committed("stats")
def run_statistics(params: Params, rep: Reported, script: Path) -> pd.DataFrame:
    soil, water = load_sites("soil"), load_sites("water")
    status = data_status(soil, water)
    ins = [paths.REPORTED] + [site_table_source(m) for m in ("soil", "water")]
    if (paths.sites_dir() / "residuals.csv").exists():
        ins.append(paths.sites_dir() / "residuals.csv")
    prov = make_provenance(script, params_hash({}), ins, status)
    out = paths.stats_dir()
    for med, d in (("soil", soil), ("water", water)):
        write_table(describe(d), out / f"descriptive_{med}.csv", prov, float_format="%.6g")
        sums = d[["site_id"]].assign(sum_hm=d[list(METALS)].sum(axis=1), **{m: d[m] for m in METALS})
        write_table(sums, out / f"composition_{med}.csv", prov, float_format="%.6g")
        write_table(normality(d), out / f"normality_{med}.csv", prov, float_format="%.6g")
        write_table(levene_by(d, "region"), out / f"levene_{med}.csv", prov, float_format="%.6g")
        write_table(iqr_outliers(d), out / f"outliers_{med}.csv", prov, float_format="%.6g")
        write_table(correlations(d), out / f"correlations_{med}.csv", prov, float_format="%.6g")
        pc = pca_varimax(d)
        write_json(
            {
                "eigenvalues": pc["eigenvalues"].tolist(),
                "variance_pct": pc["variance_pct"].tolist(),
                "cumulative_pct": pc["cumulative_pct"].tolist(),
                "n_retained": pc["n_retained"],
                "loadings": pc["loadings"].to_dict(orient="index"),
                "data_status": status,
            },
            out / f"pca_{med}.json",
            prov,
        )
    write_table(background_comparison(rep, soil, water), out / "background_comparison.csv", prov, float_format="%.4g")
    audit = audit_statistics(rep, soil, water, status)
    write_audit(audit, paths.audit_file("statistics.csv"), prov)
    atomic_write_text(paths.audit_file("statistics.md"), markdown(audit, status, prov))
    return audit
