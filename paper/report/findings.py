# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# Findings: every printed number our computation contradicts, and every set of printed numbers that
# cannot hold together, generated from the audits (executed by `make report`).

# %% tags=["parameters"]

# %%
from IPython.display import HTML, Markdown, display

from tarimhm import htmlreport as R

f = R.findings()
display(Markdown("# Findings\n\n[← all elements](index.html)"))
d = f["differs"]
display(
    Markdown(
        f"## {len(d)} printed numbers that differ from our computation\n\n"
        "Each with the audit that checks it and why (the *verdict* column). On reconstructed or surrogate "
        "inputs a difference is a finding about what the printed numbers imply, not proof of an error."
    )
)
display(HTML(d.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.4g}")))

# %%
if "contradictions" in f:
    c = f["contradictions"]
    display(
        Markdown(
            f"## {len(c)} checks the printed numbers fail among themselves\n\n"
            "From `data_derived/sites/consistency.csv`: printed statistics that no site table can satisfy together."
        )
    )
    display(HTML(c.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.4g}")))
