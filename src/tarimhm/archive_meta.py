"""Citation and deposit metadata of tarim-hm and its archived outputs: CITATION.cff, .zenodo.json, RO-Crate.

One source for every field the three files share, so they cannot drift apart:

* the title of a deposit (:func:`deposit_title`) is the ``title`` of its CITATION.cff, of its
  ``.zenodo.json`` and the ``name`` of its RO-Crate root;
* the creator is the entity ``tarim-hm developers`` everywhere (there are no named human authors;
  Citation File Format ``definitions.entity``, a Zenodo creator with a plain ``name``, a schema.org
  ``Organization``);
* licences: the code is MIT (the repository's CITATION.cff, the ``software`` reference of a deposit,
  the RO-Crate ``SoftwareApplication``); a deposit of outputs is CC BY 4.0, because it contains numbers
  transcribed from the CC BY 4.0 article (``paper/reported.yaml`` and every audit built on it);
* the article is a ``reference`` of CITATION.cff (a work the package builds on, CFF 1.2.0
  ``references``) and ``isSupplementTo`` in ``.zenodo.json``; ``preferred-citation`` repeats how to cite
  the package (or the deposit) itself. The CFF 1.2.0 guide reserves ``preferred-citation`` for
  redirecting credit to another work; here it deliberately names the same work as the root, so a
  citation tool that reads only ``preferred-citation`` (GitHub's "Cite this repository") still cites
  the software, never the article in its place.

Sources of the rules: the CFF 1.2.0 schema and guide (github.com/citation-file-format/
citation-file-format, tag 1.2.0, ``schema.json`` / ``schema-guide.md``); Zenodo's deposit metadata
table (github.com/zenodo/developers.zenodo.org, ``source/includes/resources/deposit/_representation.md``)
and its licence ids (``/api/licenses/cc-by-nc-4.0`` style, lower case); RO-Crate 1.1
(https://w3id.org/ro/crate/1.1, "Root Data Entity" and "Provenance of entities").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import yaml

from ._version import __version__

__all__ = [
    "AUTHOR",
    "PAPER_DOI",
    "PAPER_TITLE",
    "SOFTWARE_TITLE",
    "LICENSE_CODE",
    "LICENSE_DATA",
    "ZENODO_LICENSE",
    "deposit_title",
    "citation_cff",
    "zenodo_json",
    "ro_crate",
    "media_type",
]

AUTHOR = "tarim-hm developers"
PAPER_DOI = "10.1038/s41598-026-38887-9"
PAPER_TITLE = (
    "Integrating multi-spectral remote sensing and machine learning for quantifying and mapping "
    "heavy metal contamination in the Tarim River Basin, China"
)
PAPER_AUTHORS = (("Zhao", "Y."), ("Mu", "Y."), ("Luo", "P."))  # the first three, as the README cites them
SOFTWARE_TITLE = "tarim-hm: reproducibility package for Zhao, Mu, Luo et al. (2026)"
LICENSE_CODE = "MIT"  # SPDX
LICENSE_DATA = "CC-BY-4.0"  # SPDX
ZENODO_LICENSE = "cc-by-4.0"  # Zenodo licence id of the deposit
LICENSE_URL = {
    LICENSE_CODE: "https://spdx.org/licenses/MIT",
    LICENSE_DATA: "https://creativecommons.org/licenses/by/4.0/",
}
LICENSE_NAME = {LICENSE_CODE: "MIT License", LICENSE_DATA: "Creative Commons Attribution 4.0 International"}
KEYWORDS = ["heavy metals", "Tarim River Basin", "Sentinel-2", "random forest", "health risk", "reproducibility"]
LICENCE_NOTE = (
    "Licences: the files of this deposit (report, audits, tables, figures, derived data) are CC BY 4.0: they "
    f"include numbers transcribed from the CC BY 4.0 article doi:{PAPER_DOI}, which should be cited with "
    "them. The tarim-hm code that generated them is MIT-licensed."
)
_ABSTRACT = (
    "Reproduction of every table, figure and printed number of the article, with a verdict per "
    "number, plus leave-one-site-out validation, area of applicability and 60 m basin maps."
)
# Media types written into the RO-Crate: a fixed table, so the bytes do not depend on the machine's mime.types
_MEDIA = {
    ".cff": "application/x-yaml",
    ".csv": "text/csv",
    ".geojson": "application/geo+json",
    ".html": "text/html",
    ".json": "application/json",
    ".md": "text/markdown",
    ".nc": "application/x-netcdf",
    ".npz": "application/octet-stream",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".sha256": "text/plain",
    ".svg": "image/svg+xml",
    ".tex": "application/x-tex",
    ".tif": "image/tiff; application=geotiff",
    ".tiff": "image/tiff; application=geotiff",
    ".txt": "text/plain",
    ".yaml": "application/x-yaml",
    ".yml": "application/x-yaml",
    ".zip": "application/zip",
}


def media_type(name: str) -> str:
    """Media type of a deposit file from its suffix (``application/octet-stream`` when unknown)."""
    dot = name.rfind(".")
    return _MEDIA.get(name[dot:].lower() if dot >= 0 else "", "application/octet-stream")


def deposit_title(version: str = __version__) -> str:
    """Title of a deposit of outputs: CITATION.cff ``title``, .zenodo.json ``title``, RO-Crate ``name``."""
    return f"tarim-hm outputs {version}: reproduction of Zhao, Mu, Luo et al. (2026)"


def _article() -> dict:
    return {
        "type": "article",
        "title": PAPER_TITLE,
        "authors": [{"family-names": f, "given-names": g} for f, g in PAPER_AUTHORS],
        "journal": "Scientific Reports",
        "year": 2026,
        "doi": PAPER_DOI,
        "identifiers": [
            {"type": "doi", "value": PAPER_DOI, "description": "The article the package reproduces."},
            {"type": "url", "value": f"https://doi.org/{PAPER_DOI}", "description": "DOI resolver link."},
        ],
        "license": LICENSE_DATA,
        "notes": "Authors abridged to the first three (et al.); the DOI record lists them all.",
    }


def citation_cff(
    kind: str = "software",
    version: str = __version__,
    commit: str = "",
    date: str = "",
    status: str = "",
    doi: str = "",
) -> str:
    """CITATION.cff text (CFF 1.2.0): the package (kind 'software') or a deposit of its outputs (kind 'dataset').

    ``doi``: the deposit's versioned DOI once Zenodo has reserved one (root ``doi`` and ``identifiers``);
    left out when empty, never invented.
    """
    if kind not in ("software", "dataset"):
        raise ValueError(f"kind must be 'software' or 'dataset', got {kind!r}")
    software = kind == "software"
    title = SOFTWARE_TITLE if software else deposit_title(version)
    lic = LICENSE_CODE if software else LICENSE_DATA
    authors = [{"name": AUTHOR}]
    abstract = _ABSTRACT
    if status:
        abstract += f" Data status: {status} (site tables reconstructed from published statistics unless real)."
    if not software:
        abstract += " " + LICENCE_NOTE
    # the work itself, as a CFF reference: root fields and preferred-citation are built from this one dict
    optional = {k: v for k, v in (("commit", commit), ("date-released", date), ("doi", doi)) if v}
    work: dict = {"type": "software" if software else "data", "title": title, "authors": authors, "version": version}
    work |= optional | {"license": lic}
    cff: dict = {
        "cff-version": "1.2.0",
        "message": (
            "If you use this software, please cite it as below, and cite the article it reproduces "
            "(listed under references)."
            if software
            else "If you use these outputs, please cite them as below, and cite the article they reproduce "
            "(listed under references)."
        ),
        "type": kind,
        "title": title,
        "version": version,
    }
    cff |= optional
    if doi:
        cff["identifiers"] = [{"type": "doi", "value": doi, "description": f"The versioned DOI of {version}."}]
    cff |= {"authors": authors, "license": lic, "abstract": abstract, "keywords": KEYWORDS}
    cff["preferred-citation"] = work
    refs = [_article()]
    if not software:  # a deposit also cites the code that made it
        sw = {"type": "software", "title": SOFTWARE_TITLE, "authors": authors, "version": version}
        if commit:
            sw["commit"] = commit
        refs.insert(0, sw | {"license": LICENSE_CODE})
    cff["references"] = refs
    # dates stay quoted strings (the CFF schema wants strings, not YAML dates); key order as written
    return yaml.dump(cff, Dumper=_CffDumper, sort_keys=False, allow_unicode=True, width=120, default_flow_style=False)


class _CffDumper(yaml.SafeDumper):
    """Block style with indented lists, no anchors/aliases (shared dicts are written out each time)."""

    def ignore_aliases(self, data) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def zenodo_json(version: str, commit: str, date: str, status: str, files: int = 0) -> str:
    """``.zenodo.json`` of a deposit of outputs (Zenodo deposit metadata; bare, as the GitHub integration reads it)."""
    meta = {
        "upload_type": "dataset",
        "publication_date": date,
        "title": deposit_title(version),
        "version": version,
        "creators": [{"name": AUTHOR}],
        "description": (
            f"Generated outputs of tarim-hm {version} at git commit {commit}: the reproduction report of "
            f'Zhao, Mu, Luo et al. (2026), "{PAPER_TITLE}", Scientific Reports, doi:{PAPER_DOI}, with its audits, '
            "tables, GeoTIFF maps, NetCDF draws and one zip of the other derived data and figures. "
            f"Data status: {status}. MANIFEST.sha256 lists a SHA-256 checksum per file"
            + (f" ({files} files, zip members included)" if files else "")
            + "; ro-crate-metadata.json describes the run (RO-Crate 1.1)."
        ),
        "access_right": "open",
        "license": ZENODO_LICENSE,
        "notes": LICENCE_NOTE + f" Creators: '{AUTHOR}' is a collective name; there are no individually named authors.",
        "keywords": KEYWORDS,
        "related_identifiers": [
            {
                "identifier": PAPER_DOI,
                "relation": "isSupplementTo",
                "scheme": "doi",
                "resource_type": "publication-article",
            }
        ],
        "references": [
            f"Zhao Y., Mu Y., Luo P. et al. (2026). {PAPER_TITLE}. Scientific Reports. https://doi.org/{PAPER_DOI}"
        ],
    }
    return json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _ref(ids: Iterable[str]) -> list[dict]:
    return [{"@id": i} for i in ids]


def ro_crate(
    *,
    version: str,
    commit: str,
    date: str,
    end_time: str,
    status: str,
    files: Mapping[str, dict],
    results: Iterable[str],
    params: str = "",
    inputs: Mapping[str, Iterable[str]] | None = None,
) -> str:
    """``ro-crate-metadata.json`` (RO-Crate 1.1, JSON-LD) of a deposit.

    files: deposit name -> {"path": project path or "", "size": bytes or None, "description": text};
    results: the deposit names the run produced (the ``result`` of its ``CreateAction``);
    params: deposit name of the parameter file (an ``object`` of the action, MIT like the code);
    inputs: project path -> recorded SHA-256 values of each source input (not in the deposit) the
    provenance sidecars list; contextual entities ``#input/<path>``, also ``object`` of the action.
    """
    inputs = inputs or {}
    article = f"https://doi.org/{PAPER_DOI}"
    graph: list[dict] = [
        {
            "@id": "ro-crate-metadata.json",
            "@type": "CreativeWork",
            "conformsTo": {"@id": "https://w3id.org/ro/crate/1.1"},
            "about": {"@id": "./"},
        },
        {
            "@id": "./",
            "@type": "Dataset",
            "name": deposit_title(version),
            "description": (
                f"Outputs of tarim-hm {version} (git commit {commit}) reproducing doi:{PAPER_DOI}. "
                f"Data status: {status}. {LICENCE_NOTE}"
            ),
            "datePublished": date,
            "version": version,
            "license": {"@id": LICENSE_URL[LICENSE_DATA]},
            "author": {"@id": "#tarim-hm-developers"},
            "citation": {"@id": article},
            "keywords": ", ".join(KEYWORDS),
            "mentions": {"@id": "#run"},
            "hasPart": _ref(sorted(files)),
        },
    ]
    for name in sorted(files):
        f = files[name]
        e = {"@id": name, "@type": "File", "name": name, "encodingFormat": media_type(name)}
        if f.get("size") is not None:
            e["contentSize"] = str(f["size"])
        desc = f.get("description") or ""
        if f.get("path") and f["path"] != name:
            desc = (desc + " " if desc else "") + f"Project path: {f['path']}."
        if desc:
            e["description"] = desc
        if name == params:
            e["license"] = {"@id": LICENSE_URL[LICENSE_CODE]}
        graph.append(e)
    objects = ([params] if params else []) + [f"#input/{p}" for p in sorted(inputs)]
    graph += [
        {
            "@id": "#run",
            "@type": "CreateAction",
            "name": f"tarim-hm pipeline (make all) at git commit {commit}",
            "description": (
                "The run that produced the outputs: its instrument is tarim-hm at the commit, its objects the "
                "parameter file and the source inputs the provenance sidecars record, its results the files "
                "of this deposit. endTime is the latest creation time a provenance sidecar records."
            ),
            "agent": {"@id": "#tarim-hm-developers"},
            "instrument": {"@id": "#tarim-hm"},
            "endTime": end_time,
            "object": _ref(objects),
            "result": _ref(sorted(results)),
        },
        {
            "@id": "#tarim-hm",
            "@type": "SoftwareApplication",
            "name": "tarim-hm",
            "alternateName": SOFTWARE_TITLE,
            "version": version,
            "description": f"Python package and analysis scripts at git commit {commit}.",
            "license": {"@id": LICENSE_URL[LICENSE_CODE]},
            "author": {"@id": "#tarim-hm-developers"},
        },
        {
            "@id": "#tarim-hm-developers",
            "@type": "Organization",
            "name": AUTHOR,
            "description": "Collective name of the tarim-hm authors; there are no individually named authors.",
        },
        {
            "@id": article,
            "@type": "ScholarlyArticle",
            "name": PAPER_TITLE,
            "identifier": article,
            "author": "Zhao Y., Mu Y., Luo P. et al.",
            "datePublished": "2026",
            "isPartOf": "Scientific Reports",
            "license": {"@id": LICENSE_URL[LICENSE_DATA]},
        },
    ]
    for spdx in (LICENSE_DATA, LICENSE_CODE):
        graph.append(
            {"@id": LICENSE_URL[spdx], "@type": "CreativeWork", "name": LICENSE_NAME[spdx], "identifier": spdx}
        )
    for p in sorted(inputs):
        hs = sorted(set(inputs[p]))
        graph.append(
            {
                "@id": f"#input/{p}",
                "@type": "CreativeWork",
                "name": p,
                "description": (
                    f"Source input {p} of tarim-hm at git commit {commit} (in the source tree, not in this deposit); "
                    + (
                        f"sha256 {hs[0]}"
                        if len(hs) == 1
                        else "sha256 differs between the outputs that read it: " + ", ".join(hs)
                    )
                    + "."
                ),
            }
        )
    crate = {"@context": "https://w3id.org/ro/crate/1.1/context", "@graph": graph}
    return json.dumps(crate, indent=2, ensure_ascii=False) + "\n"
