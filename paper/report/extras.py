# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# The package's products beyond the paper (executed by `make report`).

# %% tags=["parameters"]

# %%
from IPython.display import HTML, Markdown, display

from tarimhm import htmlreport as R

display(
    Markdown(
        "# Beyond the paper\n\n[← all elements](index.html)\n\n"
        "What a careful review needs and the paper does not have: uncertainty and applicability of the maps, "
        "no-signal nulls of the validation, probabilistic risk to US EPA RAGS III."
    )
)
for name, what, png in R.extras():
    display(Markdown(f"### {what}\n\n`{name}`" + ("" if png or not name.endswith(".png") else " (not built yet)")))
    if png is not None:
        display(HTML(R.figure_html(png, what)))

# %%
display(
    Markdown(
        "## Runtime of each script\n\nThe last successful run of every script whose outputs this report shows "
        "(CPU includes the worker processes; `make all` writes the same records with totals to `timings.json`).\n\n"
        + R.timings_md()
    )
)
