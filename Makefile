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

CORE := $(addprefix src/tarimhm/,__init__.py _errors.py paths.py config.py provenance.py reported.py geo.py)
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
	@$(foreach n,$(TAB_NAMES),printf "  make %-12s %s\n" "$(firstword $(subst _, ,$(n)))" "rebuild paper/tables/$(n).csv/.tex only";)
	@$(foreach n,$(FIG_NAMES),printf "  make %-12s %s\n" "$(firstword $(subst _, ,$(n)))" "rebuild figures/$(n).pdf only";)
	@echo
	@echo "Variables: PARAMS=<file> (default analysis/params.yaml), PROFILE=<name> (make risk), PYTHON=<python3.11> (to build .venv)"

## Create .venv from the pinned requirements (done automatically by all/test)
.PHONY: venv
venv: $(STAMP)
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else "Python >= 3.11 needed; run make PYTHON=python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

## Reproduce every table and figure, the audits and paper/REPORT.md (creates .venv if missing)
.PHONY: all
all: check-data reported sites calibration audit-risk risk-uncertainty statistics imagery rf rf-validation maps tables figures report

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

RISK_SRC := $(CORE) $(filter-out %/table9.py %/montecarlo.py %/sensitivity.py %/uncertainty_stage.py,$(wildcard src/tarimhm/risk/*.py)) \
	src/tarimhm/sites/schema.py
UNC_SRC := $(CORE) $(wildcard src/tarimhm/risk/*.py) src/tarimhm/sites/schema.py
PROFILE ?= paper_as_stated
PROFILES := $(basename $(notdir $(wildcard analysis/profiles/*.yaml)))
SITE_TABLES := $(D)/sites/summary.json

## Which documented parameter choices reproduce the paper's soil HI/CR ranges
.PHONY: calibration
calibration: $(D)/risk/calibration.csv
$(D)/risk/calibration.csv: analysis/02_risk_calibration.py $(RISK_SRC) analysis/calibration_grid.yaml \
		$(wildcard analysis/profiles/*.yaml) paper/reported.yaml | $(STAMP)
	$(PY) $< --params $(PARAMS)

# one rule per profile: data_derived/risk/<profile>/site_summary.csv
$(D)/risk/%/site_summary.csv: analysis/03_risk_deterministic.py $(RISK_SRC) analysis/profiles/%.yaml \
		$(wildcard analysis/profiles/*.yaml) $(SITE_TABLES) paper/reported.yaml $(PARAMS) | $(STAMP)
	$(PY) $< --params $(PARAMS) --profile $*

## Health risk, Igeo and HPI under one profile: make risk PROFILE=china_xinjiang
.PHONY: risk
risk: $(D)/risk/$(PROFILE)/site_summary.csv
	$(PY) -m tarimhm.cli risk --profile $(PROFILE)

## Risk audit of every profile against the paper (paper/audit/risk.md)
.PHONY: audit-risk
audit-risk: paper/audit/risk.csv
paper/audit/risk.csv: analysis/04_risk_audit.py $(RISK_SRC) $(foreach p,$(PROFILES),$(D)/risk/$(p)/site_summary.csv) \
		$(D)/risk/calibration.csv | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Probabilistic risk: Monte Carlo over exposure factors and bioaccessibility (SPEC in params), Sect. 4.2.1 audit
.PHONY: risk-uncertainty
risk-uncertainty: $(D)/risk_uncertainty/mc_summary.csv
$(D)/risk_uncertainty/mc_summary.csv: analysis/10_risk_uncertainty.py $(UNC_SRC) $(wildcard analysis/uncertainty/*.yaml) \
		$(wildcard analysis/profiles/*.yaml) $(SITE_TABLES) paper/reported.yaml $(PARAMS) | $(STAMP)
	$(PY) $< --params $(PARAMS)

IMG_SRC := $(CORE) $(wildcard src/tarimhm/imagery/*.py) src/tarimhm/sites/schema.py

## Sentinel-2 layer: surrogate mosaic (offline) and the training table of site spectra
.PHONY: imagery
imagery: $(D)/imagery/training_table.csv
$(D)/imagery/training_table.csv: analysis/06_imagery.py $(IMG_SRC) $(GEO) $(SITE_TABLES) $(PARAMS) | $(STAMP)
	$(PY) $< --params $(PARAMS)

RF_SRC := $(CORE) $(wildcard src/tarimhm/rf/*.py) src/tarimhm/imagery/grid.py

## Random-Forest inversion as published: 10 models on the Table 2 splits (dedup grid search)
.PHONY: rf
rf: $(D)/rf/metrics.csv
$(D)/rf/metrics.csv: analysis/07_rf_inversion.py $(RF_SRC) $(D)/imagery/training_table.csv paper/reported.yaml $(PARAMS) | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Leave-one-site-out, y-randomisation null and leave-region-out of the 10 models (paper/audit/rf_validation.md)
.PHONY: rf-validation
rf-validation: $(D)/rf/validation.csv
$(D)/rf/validation.csv: analysis/08_rf_validation.py $(RF_SRC) $(D)/rf/metrics.csv | $(STAMP)
	$(PY) $< --params $(PARAMS)

RASTER_SRC := $(CORE) $(filter-out %/report.py %/figures.py,$(wildcard src/tarimhm/raster/*.py)) src/tarimhm/rf/export.py src/tarimhm/imagery/stage.py
SCHEDULER ?=

## Basin maps at 60 m: compiled exact forests, tiled prediction, COGs (SCHEDULER=tcp://host:8786 for dask)
.PHONY: maps
maps: $(D)/maps/timings.json
$(D)/maps/timings.json: analysis/09_maps.py $(RASTER_SRC) $(D)/rf/metrics.csv $(D)/imagery/training_table.csv \
		paper/reported.yaml $(PARAMS) | $(STAMP)
	$(PY) $< --params $(PARAMS) $(if $(SCHEDULER),--scheduler $(SCHEDULER))
$(D)/maps/soil_summary.json $(D)/maps/water_summary.json: $(D)/maps/timings.json

## Benchmarks, reference measured in the same run: grid search (dedup vs GridSearchCV) and map engine (compiled vs scikit-learn, basin time by phase)
.PHONY: bench
bench: $(D)/imagery/training_table.csv $(D)/rf/metrics.csv | $(STAMP)
	$(PY) benchmarks/bench_grid_search.py --params $(PARAMS)
	$(PY) benchmarks/bench_maps.py --params $(PARAMS)

STATS_SRC := $(CORE) src/tarimhm/stats.py src/tarimhm/stats_stage.py src/tarimhm/sites/schema.py src/tarimhm/risk/audit.py

## Statistics: descriptive, normality, correlations, PCA + varimax, audit (paper/audit/statistics.md)
.PHONY: statistics
statistics: $(D)/stats/pca_soil.json
$(D)/stats/pca_soil.json: analysis/05_statistics.py $(STATS_SRC) $(SITE_TABLES) paper/reported.yaml $(PARAMS) | $(STAMP)
	$(PY) $< --params $(PARAMS)

# What each figure and table is drawn from (saved outputs only; restyling never re-runs a model)
DEPS_fig1_study_area := $(SITE_TABLES)
DEPS_fig4_importance := $(D)/rf/metrics.csv src/tarimhm/rf/report.py
DEPS_tab4_accuracy := $(D)/rf/metrics.csv
DEPS_tab5_soil_classes := $(D)/maps/timings.json src/tarimhm/raster/report.py
DEPS_tab6_water_classes := $(D)/maps/timings.json src/tarimhm/raster/report.py
$(foreach f,fig6_soil_maps fig7_water_maps fig6unc_soil_uncertainty fig6aoa_soil_aoa fig7unc_water_uncertainty \
	fig7aoa_water_aoa,$(eval DEPS_$(f) := $(D)/maps/timings.json src/tarimhm/raster/figures.py))
DEPS_tab9_exposure := src/tarimhm/risk/table9.py src/tarimhm/risk/profiles.py $(wildcard analysis/profiles/*.yaml)
DEPS_tab7_pca_soil := $(D)/stats/pca_soil.json
DEPS_tab8_pca_water := $(D)/stats/pca_soil.json
$(foreach f,fig5_composition fig8_correlation figS1_qq,$(eval DEPS_$(f) := $(D)/stats/pca_soil.json))
$(foreach f,figU1_risk_montecarlo figU2_risk_drivers figU3_bayes_exposure,$(eval DEPS_$(f) := $(D)/risk_uncertainty/mc_summary.csv \
	src/tarimhm/uncertaintyfigs.py))

# Tables: analysis/2NN_tabK_<slug>.py -> paper/tables/tabK_<slug>.{csv,tex}; `make tabK` rebuilds one.
TAB_NAMES := $(shell ls analysis/2[0-9][0-9]_tab*.py 2>/dev/null | sed -E 's#analysis/[0-9]+_(.*)\.py#\1#')
define TAB_RULE
.PHONY: $(firstword $(subst _, ,$(1)))
$(firstword $(subst _, ,$(1))): paper/tables/$(1).csv
paper/tables/$(1).csv: $(wildcard analysis/2[0-9][0-9]_$(1).py) src/tarimhm/statsfigs.py src/tarimhm/rf/report.py \
		src/tarimhm/scripts.py $(CORE) $$(DEPS_$(1)) paper/reported.yaml | $(STAMP)
	$$(PY) $$< --params $$(PARAMS)
endef
$(foreach n,$(TAB_NAMES),$(eval $(call TAB_RULE,$(n))))

## Every table (make tab4 ... make tab9 rebuild one)
.PHONY: tables
tables: $(foreach n,$(TAB_NAMES),paper/tables/$(n).csv)

# Figures: analysis/1NN_figK_<slug>.py -> figures/figK_<slug>.pdf; `make figK` rebuilds one.
FIG_NAMES := $(shell ls analysis/1[0-9][0-9]_fig*.py 2>/dev/null | sed -E 's#analysis/[0-9]+_(.*)\.py#\1#')
VIZ_SRC := $(CORE) src/tarimhm/viz.py src/tarimhm/riskfigs.py src/tarimhm/statsfigs.py src/tarimhm/scripts.py \
	src/tarimhm/mapfig.py src/tarimhm/imagery/grid.py $(GEO)
RISK_OUT := $(foreach p,$(PROFILES),$(D)/risk/$(p)/site_summary.csv)
define FIG_RULE
.PHONY: $(firstword $(subst _, ,$(1)))
$(firstword $(subst _, ,$(1))): figures/$(1).pdf
figures/$(1).pdf: $(wildcard analysis/1[0-9][0-9]_$(1).py) $(VIZ_SRC) $$(DEPS_$(1)) $(PARAMS) | $(STAMP)
	$$(PY) $$< --params $$(PARAMS)
endef
$(foreach n,$(filter fig9_% fig10_% fig11_% fig12_% fig13_% fig14_% fig15_%,$(FIG_NAMES)),$(eval DEPS_$(n) := $$(RISK_OUT)))
$(foreach n,$(FIG_NAMES),$(eval $(call FIG_RULE,$(n))))

## Every figure (make fig1 ... make fig15, make figU1 ... rebuild one)
.PHONY: figures
figures: $(foreach n,$(FIG_NAMES),figures/$(n).pdf)

## Reproduction report: every table, figure and printed number with its verdict (paper/REPORT.md)
.PHONY: report
report: paper/REPORT.md
paper/REPORT.md: analysis/300_report.py src/tarimhm/report.py paper/elements.yaml paper/reported.yaml $(CORE) \
		paper/audit/risk.csv $(D)/risk_uncertainty/mc_summary.csv $(D)/stats/pca_soil.json $(D)/rf/validation.csv \
		$(foreach n,$(TAB_NAMES),paper/tables/$(n).csv) $(foreach n,$(FIG_NAMES),figures/$(n).pdf) $(PARAMS) | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Citable archive of every output: dist/tarim-hm-outputs-<version>-<commit>.zip with MANIFEST.sha256, CITATION.cff, .zenodo.json
.PHONY: archive
archive: paper/REPORT.md | $(STAMP)
	$(PY) -m tarimhm.cli archive --out dist
	$(PY) -m tarimhm.cli verify-archive $$(ls -t dist/tarim-hm-outputs-*.zip | head -1)

## Run the test suite (creates .venv if missing)
.PHONY: test
test: $(STAMP)
	$(PY) -m pytest

## Run every stage on a tiny configuration into a temporary folder (CI-sized)
.PHONY: smoke
smoke: $(STAMP)
	tmp=$$(mktemp -d); \
	TARIMHM_DERIVED=$$tmp/data_derived TARIMHM_FIGURES=$$tmp/figures TARIMHM_AUDIT=$$tmp/audit $(PY) analysis/00_reported_catalogue.py --params tests/data/params_tiny.yaml; \
	TARIMHM_DERIVED=$$tmp/data_derived TARIMHM_FIGURES=$$tmp/figures TARIMHM_AUDIT=$$tmp/audit $(PY) analysis/01_reconstruct_sites.py --params tests/data/params_tiny.yaml; \
	TARIMHM_DERIVED=$$tmp/data_derived TARIMHM_FIGURES=$$tmp/figures TARIMHM_AUDIT=$$tmp/audit $(PY) analysis/02_risk_calibration.py --params tests/data/params_tiny.yaml; \
	TARIMHM_DERIVED=$$tmp/data_derived TARIMHM_FIGURES=$$tmp/figures TARIMHM_AUDIT=$$tmp/audit $(PY) analysis/03_risk_deterministic.py --params tests/data/params_tiny.yaml --profile paper_reproducing; \
	TARIMHM_DERIVED=$$tmp/data_derived TARIMHM_FIGURES=$$tmp/figures TARIMHM_AUDIT=$$tmp/audit $(PY) analysis/110_fig10_hi_radar.py --params tests/data/params_tiny.yaml; \
	TARIMHM_DERIVED=$$tmp/data_derived TARIMHM_FIGURES=$$tmp/figures TARIMHM_AUDIT=$$tmp/audit $(PY) analysis/10_risk_uncertainty.py --params tests/data/params_tiny.yaml; \
	TARIMHM_DERIVED=$$tmp/data_derived TARIMHM_FIGURES=$$tmp/figures TARIMHM_AUDIT=$$tmp/audit $(PY) analysis/06_imagery.py --params tests/data/params_tiny.yaml; \
	ls -R $$tmp | head -60; rm -rf $$tmp

## Regenerate requirements.txt from the current .venv (after adding a dependency)
.PHONY: lock
lock: $(STAMP)
	{ sed -n '1,2p' requirements.txt; $(PY) -m pip freeze --exclude-editable; } > requirements.txt.new
	mv requirements.txt.new requirements.txt

## Remove generated outputs (data_derived/, figures/, paper/audit, paper/tables, paper/REPORT.md); keeps .venv and dist/
.PHONY: clean
clean:
	find $(D) figures -mindepth 1 ! -name README.md -delete
	rm -rf paper/audit paper/tables paper/REPORT.md

## Remove generated outputs and the virtual environment
.PHONY: distclean
distclean: clean
	rm -rf $(VENV)
