# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# The front page of the reviewer's report (executed by `make report`).

# %% tags=["parameters"]

# %%
import html

from IPython.display import HTML, Markdown, display

from tarimhm import htmlreport as R

basis, els = R.index_tables()
display(Markdown(R.index_header_md()))

# %%
display(Markdown("## Every printed number, by basis (rows) and verdict (columns)"))
display(HTML(basis.to_html()))

# %%
display(Markdown("## Tables and figures of the paper"))


def name_cell(r):
    name = html.escape(r.element)
    return f"<a href='{r.page}'>{name}</a>" if r.page else name


rows = "".join(
    f"<tr><td>{name_cell(r)}</td><td>{html.escape(r.caption)}</td>"
    f"<td>{html.escape(r.role)}</td><td><code>{html.escape(str(r.make))}</code></td>"
    f"<td>{r.printed_numbers}</td><td>{html.escape(r.verdict)}</td></tr>"
    for r in els.itertuples()
)
display(
    HTML(
        "<table><thead><tr><th>element</th><th>what</th><th>role</th><th>rebuild</th><th>printed numbers</th>"
        f"<th>verdict</th></tr></thead><tbody>{rows}</tbody></table>"
    )
)
