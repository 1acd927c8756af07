"""The HTML report (tarimhm.htmlreport): pages executed by nbclient, rendered by nbconvert, offline, links resolve."""

from __future__ import annotations

import base64

import pytest

from tarimhm.htmlreport import check_links, slug

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8).decode()


def test_slugs_are_file_names():
    assert slug("Fig. 6") == "fig-6"
    assert slug("Table 10") == "table-10"
    assert slug("Tables S1-S2") == "tables-s1-s2"


def test_the_link_check_finds_every_kind_of_problem(tmp_path):
    (tmp_path / "a.html").write_text(
        "<html><head><script src='https://cdn.example/x.js'></script>"
        "<link rel=stylesheet href='//cdn.example/x.css'></head><body>"
        "<a href='b.html#top'>ok</a> <a href='missing.html'>bad</a> <a href='https://doi.org/10.1/x'>web link ok</a>"
        f"<img src='data:image/png;base64,{PNG}'> <img src='data:image/png;base64,AAAA'> <img src='gone.png'>"
        "</body></html>",
        encoding="utf-8",
    )
    (tmp_path / "b.html").write_text("<html><body><a href='a.html'>back</a></body></html>", encoding="utf-8")
    problems = check_links(tmp_path)
    assert sorted(problems) == sorted(
        [
            "a.html: <script src=https://cdn.example/x.js> loads from the network",
            "a.html: <link href=//cdn.example/x.css> loads from the network",
            "a.html: <a href=missing.html> does not resolve",
            "a.html: an embedded image is not a PNG",
            "a.html: <img src=gone.png> does not resolve",
        ]
    )


@pytest.mark.slow
def test_the_report_pages_execute_show_the_figure_and_every_number_and_open_offline(use_sites, rep, params, tiny):
    from tarimhm import paths
    from tarimhm.htmlreport import build_html, html_dir
    from tarimhm.report import render_report
    from tarimhm.risk.figures import fig10
    from tarimhm.risk.stage import run_risk
    from tarimhm.viz.figures import render_figure

    run_risk(params, rep, params.risk.reference_profile, paths.ROOT / "analysis" / "031_risk_deterministic.py")
    render_figure(fig10, "fig10_hi_radar", params, paths.ROOT / "analysis" / "110_fig10_hi_radar.py")
    render_report(params, rep, paths.ANALYSIS / "300_report.py")
    files = build_html(params, only=["Fig. 10"])
    assert sorted(f.name for f in files) == ["extras.html", "fig-10.html", "findings.html", "index.html"]
    assert check_links(html_dir()) == []
    page = (html_dir() / "fig-10.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= 1  # the figure, embedded
    numbers = [r.id for r in rep.entries() if r.locator in ("Sect. 3.4.2",)] if hasattr(rep, "entries") else []
    import pandas as pd

    n = pd.read_csv(paths.audit_file("numbers.csv"), comment="#")
    from tarimhm.report import load_elements

    locs = next(e for e in load_elements() if e.element == "Fig. 10").locators
    ids = n[n.locator.isin(locs)].reported_id.tolist()
    assert ids and all(i in page for i in ids), "every printed number of Fig. 10 is on its page"
    assert "reconstructed" in page and "<script src=" not in page
    index = (html_dir() / "index.html").read_text(encoding="utf-8")
    assert "href='fig-10.html'" in index or 'href="fig-10.html"' in index
    del numbers


def test_provenance_card_shows_the_runtime_of_the_run_that_wrote_the_file(monkeypatch, tmp_path):
    import json

    from tarimhm import htmlreport as H

    monkeypatch.setattr(H.paths, "DATA_DERIVED", tmp_path)
    rec = tmp_path / "_timings" / "061_rf_validation.json"
    rec.parent.mkdir()
    rec.write_text(
        json.dumps(
            {
                "script": "analysis/061_rf_validation.py",
                "wall_s": 93.24,
                "cpu_s": 180.1,
                "peak_rss_mb": 1228.8,
                "started_utc": "2026-12-01T10:00:00+00:00",
                "finished_utc": "2026-12-01T10:01:34+00:00",
            }
        )
    )
    inside = H.runtime_of("analysis/061_rf_validation.py", "2026-12-01T10:01:00+00:00")
    assert inside == "93.2 s wall, 180.1 CPU-s, 1.20 GB peak"
    # a file made by another run of the script (before this record's run began) gets no runtime
    assert H.runtime_of("analysis/061_rf_validation.py", "2026-12-01T09:00:00+00:00") == ""
    assert H.runtime_of("analysis/060_rf_inversion.py", "2026-12-01T10:01:00+00:00") == ""
    assert "1.20 GB peak" in H.card_html([H.Card("f.csv", "0" * 64, "c", "p", "surrogate", "t", "s", {}, inside)])
