"""Statistics audit: every Sect. 3.1 / 3.3 and Tables 7-8 number beside its reproduction, with its basis."""

from __future__ import annotations

import pandas as pd

from .. import paths
from ..audit import by_construction, differs, reproduced, share_verdict, verdict, within
from ..domain import METALS
from ..reported import Reported, backgrounds, standards
from .methods import correlations, pca_varimax

__all__ = ["audit_statistics", "basis_map", "markdown"]


def _key(r):
    return (r.quantity, r.medium, r.group, r.metal, r.site, r.stat, r.cls, r.value)


def basis_map(rep: Reported) -> dict[str, tuple[str, str]]:
    """reported id -> (basis, detail): how the site reconstruction used that number.

    ``fitted`` for the numbers it fitted and the same number printed elsewhere (Abstract, text);
    ``follows_from_fit`` for variance shares computed from fitted eigenvalues; numbers a consistency
    check refuted are ``independent`` ("left out of the fit"); everything else is independent of the fit.
    The fitted ids are read from the reconstruction's own target list (``residuals.csv``), never typed.
    """
    f = paths.sites_dir() / "residuals.csv"
    if not f.exists():
        return {}
    r = pd.read_csv(f)

    def ids(mask):
        return {i for s in r.loc[mask, "reported_ids"].dropna() for i in s.split(";")}

    fitted, left = ids(r.fitted), ids(~r.fitted)
    fk, lk = {_key(rep[i]) for i in fitted}, {_key(rep[i]) for i in left} - {_key(rep[i]) for i in fitted}
    eig_media = {rep[i].medium for i in fitted if rep[i].quantity == "pca_eigenvalue"}
    out = {}
    for rec in rep.records:
        k = _key(rec)
        if k in fk:
            out[rec.id] = ("fitted", "a target of the site reconstruction (or a printed duplicate of one)")
        elif rec.quantity in ("pca_variance", "pca_cumulative") and rec.medium in eig_media:
            out[rec.id] = ("follows_from_fit", "variance share = fitted eigenvalue / number of metals")
        elif k in lk:
            out[rec.id] = ("independent", "left out of the fit (contradicts other numbers)")
    return out


def _row(rec, value, method, basis, status, tol_abs=None, n_sites=None, v=None):
    if v is None and tol_abs is not None:
        v = within(rec.value, value, tol_abs)
    elif v is None and rec.stat == "share" and n_sites:
        v = share_verdict(rec.value, value, n_sites)
    elif v is None:
        v = verdict(rec.value, value)
    b, detail = (
        ("independent", "real site data")
        if status == "real"
        else basis.get(rec.id, ("independent", "not a target of the reconstruction"))
    )
    v = by_construction(v, b)
    return {
        "reported_id": rec.id,
        "locator": rec.locator,
        "quantity": rec.quantity,
        "medium": rec.medium,
        "metal": rec.metal,
        "site": rec.site,
        "stat": rec.stat,
        "cls": rec.cls,
        "reported": rec.value,
        "reproduced": value,
        "verdict": v.text,
        "basis": b,
        "method": method,
        "verdict_class": v.cls,
        "data_status": status,
        "basis_detail": detail,
    }


def audit_statistics(rep: Reported, soil: pd.DataFrame, water: pd.DataFrame, status: str) -> pd.DataFrame:
    fid = basis_map(rep)
    rows = []
    tabs = {"soil": soil, "water": water}
    pcas = {m: pca_varimax(d) for m, d in tabs.items()}
    cors = {m: correlations(d).set_index("pair") for m, d in tabs.items()}
    for med, d in tabs.items():
        sums = d.set_index("site_id")[list(METALS)].sum(axis=1)
        for r in rep.find(quantity="sum_hm", medium=med):
            v = (
                float(sums[r.site])
                if r.site
                else float({"min": sums.min(), "max": sums.max(), "mean": sums.mean()}[r.stat])
            )
            rows.append(_row(r, v, "ΣHMs over the site table", fid, status))
        for r in rep.find(locator="Sect. 3.1 ¶2", quantity="concentration", medium=med):
            rows.append(_row(r, float(d[r.metal].mean()), "mean over sites", fid, status))
    bg = backgrounds(rep)
    for r in rep.find(locator="Sect. 3.1 ¶3", quantity="share_sites_below_background"):
        rows.append(
            _row(
                r,
                float(100 * (soil[r.metal] < bg[r.metal]).mean()),
                "% of soil sites below background",
                fid,
                status,
                n_sites=len(soil),
            )
        )
    s3 = standards(rep)["III"]
    for r in rep.find(locator="Sect. 3.1 ¶3", quantity="share_sites_below_standard_III"):
        rows.append(
            _row(
                r,
                float(100 * (water[r.metal] < s3[r.metal]).mean()),
                "% of river sites below the class III standard",
                fid,
                status,
                n_sites=len(water),
            )
        )
    for med in ("soil", "water"):
        pc = pcas[med]
        for r in rep.find(quantity="pca_loading", medium=med):
            col = f"PC{r.cls}"
            v = float(pc["loadings"].loc[r.metal, col]) if col in pc["loadings"] else float("nan")
            rows.append(_row(r, v, "varimax loading (Kaiser-normalised, factor_analyzer)", fid, status, tol_abs=0.02))
        for r in rep.find(quantity="pca_eigenvalue", medium=med):
            rows.append(
                _row(r, float(pc["eigenvalues"][r.cls - 1]), "eigenvalue of the correlation matrix", fid, status)
            )
        for q, key in (("pca_variance", "variance_pct"), ("pca_cumulative", "cumulative_pct")):
            for r in rep.find(quantity=q, medium=med):
                rows.append(_row(r, float(pc[key][r.cls - 1]), f"{key} (unrotated)", fid, status, tol_abs=0.5))
        for r in rep.find(quantity="pca_n_components", medium=med):
            rows.append(_row(r, float(pc["n_retained"]), "components with eigenvalue > 1", fid, status, tol_abs=0))
        for r in rep.find(quantity="pearson_r", medium=med):
            a, b = r.metal.split("-")
            c = cors[med]
            v = float(c.loc[f"{a}-{b}", "pearson_r"] if f"{a}-{b}" in c.index else c.loc[f"{b}-{a}", "pearson_r"])
            rows.append(_row(r, v, "Pearson r", fid, status, tol_abs=0.02))
    for r in rep.find(quantity="pearson_p", medium="soil"):
        a, b = r.metal.split("-")
        c = cors["soil"]
        v = float(c.loc[f"{a}-{b}", "pearson_p"] if f"{a}-{b}" in c.index else c.loc[f"{b}-{a}", "pearson_p"])
        vd = reproduced() if v < r.value else differs(f"differs: p = {v:.3g} is not < {r.value}")
        rows.append(_row(r, v, "two-tailed Pearson p (reported is an upper bound)", fid, status, v=vd))
    return pd.DataFrame(rows)


def markdown(a: pd.DataFrame, status: str, prov) -> str:
    lines = [
        "# Statistics audit: Sect. 3.1, 3.3, Tables 7-8",
        "",
        f"Data status: **{status}**. `basis` says whether a number was a fitted constraint of the site "
        "reconstruction (then agreement is by construction, not confirmation) or independent of the fit. "
        f"Generated by `{prov.script}` at `{prov.git_commit[:10]}`.",
        "",
        "| reported id | reported | reproduced | verdict | basis |",
        "|---|---|---|---|---|",
    ]
    for r in a.itertuples(index=False):
        lines.append(f"| `{r.reported_id}` | {r.reported:.4g} | {r.reproduced:.4g} | {r.verdict} | {r.basis} |")
    n_ind = (a.basis == "independent").sum()
    ok_ind = ((a.basis == "independent") & (a.verdict_class == "reproduced")).sum()
    lines += ["", f"Independent of the fit: {ok_ind} of {n_ind} reproduced."]
    return "\n".join(lines) + "\n"
