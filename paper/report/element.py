# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# One element of the paper: its figure or table, every printed number beside ours, provenance.
# Executed by `make report` (tarimhm.htmlreport.build_html) once per element of paper/elements.yaml.

# %% tags=["parameters"]
ELEMENT = "Fig. 6"

# %%
from IPython.display import HTML, Markdown, display

from tarimhm import htmlreport as R

page = R.ElementPage(ELEMENT)
display(Markdown(page.header_md()))

# %%
for png in page.figures():
    display(Markdown(f"Figure file: `{R._rel(png)}` (PDF beside it)"))
    display(HTML(R.figure_html(png, page.title)))
for name, table in page.tables():
    display(Markdown(f"### Our table: `{name}`"))
    display(HTML(table.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.4g}")))

# %%
t = page.number_table()
display(Markdown(f"### The {len(t)} printed numbers of this element beside ours"))
if len(t):
    display(
        Markdown(
            "*class*: the verdict; *basis*: what an agreement rests on (only *independent* is evidence); "
            "*robustness*: in how many reconstruction-ensemble members the verdict holds."
        )
    )
    display(HTML(t.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.4g}")))

# %%
display(Markdown("### Provenance"))
display(HTML(R.card_html(page.cards())))
