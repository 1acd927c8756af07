# tarim-hm: reproduce Zhao, Mu, Luo et al. (2026), Sci Rep, doi:10.1038/s41598-026-38887-9.
# `make help` lists the targets. Every output rule names its real prerequisites: the script,
# the tarimhm sources it uses, the parameters and the input data; nothing is re-run needlessly.

.DEFAULT_GOAL := help
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PARAMS ?= analysis/params.yaml
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0

CORE := $(wildcard src/tarimhm/*.py)
SITES_SRC := $(CORE) $(wildcard src/tarimhm/sites/*.py) src/tarimhm/risk/indices.py
GEO := $(wildcard data_raw/geo/*.geojson) data_raw/geo/china_dem_0p2deg_tarim_subset.csv
REAL_SITES := $(wildcard data_raw/sites/soil.csv data_raw/sites/water.csv)
D := data_derived

## Show this help (default)
.PHONY: help
help:
	@echo "tarim-hm - reproducibility package for Zhao, Mu, Luo et al. (2026), Sci Rep"
	@echo
	@awk '/^## /{doc=substr($$0,4); next} /^[a-zA-Z0-9_][a-zA-Z0-9_-]*:/{ if (doc!="") { split($$1,t,":"); printf "  make %-12s %s\n", t[1], doc } doc=""}' $(MAKEFILE_LIST)
	@echo
	@echo "Variables: PARAMS=<file> (default analysis/params.yaml), PYTHON=<python3.11> (to build .venv)"

## Create .venv from the pinned requirements (done automatically by all/test)
.PHONY: venv
venv: $(STAMP)
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else "Python >= 3.11 needed; run make PYTHON=python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

## Reproduce every table and figure available so far (creates .venv if missing)
.PHONY: all
all: check-data reported sites

## Verify data_raw against its SHA256SUMS
.PHONY: check-data
check-data:
	cd data_raw && sha256sum --quiet -c SHA256SUMS

## Validate paper/reported.yaml and write the flat catalogue of reported numbers
.PHONY: reported
reported: $(D)/reported/reported.csv
$(D)/reported/reported.csv: analysis/00_reported_catalogue.py paper/reported.yaml $(CORE) $(PARAMS) | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Reconstruct the site tables S1-S10 / W1-W9 (or take real ones from data_raw/sites)
.PHONY: sites
sites: $(D)/sites/summary.json
$(D)/sites/summary.json: analysis/01_reconstruct_sites.py $(SITES_SRC) $(PARAMS) paper/reported.yaml \
		analysis/site_locations.yaml $(GEO) $(REAL_SITES) | $(STAMP)
	$(PY) $< --params $(PARAMS)
$(D)/sites/soil.csv $(D)/sites/water.csv $(D)/sites/residuals.csv $(D)/sites/consistency.csv: $(D)/sites/summary.json

## Run the test suite (creates .venv if missing)
.PHONY: test
test: $(STAMP)
	$(PY) -m pytest

## Run every stage on a tiny configuration into a temporary folder (CI-sized)
.PHONY: smoke
smoke: $(STAMP)
	tmp=$$(mktemp -d); \
	TARIMHM_DERIVED=$$tmp/data_derived TARIMHM_FIGURES=$$tmp/figures $(PY) analysis/00_reported_catalogue.py --params tests/data/params_tiny.yaml; \
	TARIMHM_DERIVED=$$tmp/data_derived TARIMHM_FIGURES=$$tmp/figures $(PY) analysis/01_reconstruct_sites.py --params tests/data/params_tiny.yaml; \
	ls -R $$tmp | head -40; rm -rf $$tmp

## Regenerate requirements.txt from the current .venv (after adding a dependency)
.PHONY: lock
lock: $(STAMP)
	{ sed -n '1,2p' requirements.txt; $(PY) -m pip freeze --exclude-editable; } > requirements.txt.new
	mv requirements.txt.new requirements.txt

## Remove generated outputs (data_derived/, figures/); keeps .venv
.PHONY: clean
clean:
	find $(D) figures -mindepth 1 ! -name README.md -delete

## Remove generated outputs and the virtual environment
.PHONY: distclean
distclean: clean
	rm -rf $(VENV)
