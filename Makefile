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

SRC := src/tarimhm
D := data_derived
GEO := $(wildcard data_raw/geo/*.geojson) data_raw/geo/china_dem_0p2deg_tarim_subset.csv
REAL_SITES := $(wildcard data_raw/sites/soil.csv data_raw/sites/water.csv)

# What a rule's recipe imports: the ground floor (contracts every domain shares), a domain's compute
# modules (its stage and what the stage calls; not its figures.py/tables.py), and viz/ for figures and tables.
GROUND := $(addprefix $(SRC)/,__init__.py _errors.py paths.py domain.py config.py provenance.py reported.py \
	sitetable.py audit.py geo.py)
compute = $(filter-out %/figures.py %/tables.py,$(wildcard $(SRC)/$(1)/*.py))
FIG_SRC := $(GROUND) $(wildcard $(SRC)/viz/*.py) $(SRC)/entry.py
TAB_SRC := $(FIG_SRC) paper/reported.yaml paper/elements.yaml

# Per-section parameter stamps: data_derived/.params/<section>.json is rewritten only when that section of
# $(PARAMS) changes, so a rule that depends on $(S)/rf.json re-runs when `rf` changes and not when
# `figures.dpi` does. They are refreshed every time make reads this file (also under `make -n`).
S := $(D)/.params
ifneq ($(wildcard $(PY)),)
_stamps := $(shell $(PY) -m tarimhm._stamps stamps $(PARAMS) $(S) 2>&1 >/dev/null)
endif
$(S)/%.json: | $(STAMP)
	$(PY) -m tarimhm._stamps stamps $(PARAMS) $(S)
# REFERENCE_PROFILE (risk.reference_profile, validated); before the first venv exists, the shipped default
-include $(S)/make.mk
REFERENCE_PROFILE ?= paper_reproducing

## Show this help (default)
.PHONY: help
help:
	@echo "tarim-hm - reproducibility package for Zhao, Mu, Luo et al. (2026), Sci Rep"
	@echo
	@awk '/^## /{doc=substr($$0,4); next} /^[a-zA-Z0-9_][a-zA-Z0-9_-]*:/{ if (doc!="") { split($$1,t,":"); printf "  make %-16s %s\n", t[1], doc } doc=""}' $(MAKEFILE_LIST)
	@echo
	@echo "Variables: PARAMS=<file> (default analysis/params.yaml), PROFILE=<name> (make risk), PYTHON=<python3.11> (to build .venv)"
	@echo "Figure and table rules read saved outputs only: make fig6 after make maps never re-runs a model."

## Create .venv from the pinned requirements (done automatically by all/test)
.PHONY: venv
venv: $(STAMP)
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else "Python >= 3.11 needed; run make PYTHON=python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

## Reproduce every stage, table and figure, the audits and paper/REPORT.md (creates .venv if missing)
.PHONY: all
all: check-data reported sites checker-validation statistics calibration audit-risk ensemble risk-montecarlo risk-bayes risk-twod imagery \
	rf rf-validation maps tables figures report datapackage
	@$(PY) -m tarimhm timings --out timings.json

## Verify data_raw against its SHA256SUMS
.PHONY: check-data
check-data:
	cd data_raw && sha256sum --quiet -c SHA256SUMS

# ---- Stages: analysis/0Dx_<slug>.py, in run order; each writes data_derived/<domain>/ and its audit rows.
# A stage's recipe belongs to its first output; its other outputs are listed after it without a recipe, and
# later rules depend on the first output (so `make -n` shows everything a change would re-run).

## Stage 000: validate paper/reported.yaml and write the flat catalogue of reported numbers
.PHONY: reported
reported: $(D)/reported/reported.csv
$(D)/reported/reported.csv: analysis/000_reported_catalogue.py paper/reported.yaml $(GROUND) | $(STAMP)
	$(PY) $< --params $(PARAMS)

SITES_SRC := $(GROUND) $(filter-out %/checker.py,$(call compute,sites)) $(SRC)/risk/indices.py
SITE_TABLES := $(D)/sites/summary.json

## Stage 010: reconstruct the site tables S1-S10 / W1-W9 (or take real ones from data_raw/sites); Sect. 2.1 audit
.PHONY: sites
sites: $(D)/sites/summary.json
$(D)/sites/summary.json: analysis/010_reconstruct_sites.py $(SITES_SRC) $(S)/reconstruction.json $(S)/risk.hpi_form.json \
		paper/reported.yaml analysis/site_locations.yaml $(GEO) $(REAL_SITES) | $(STAMP)
	$(PY) $< --params $(PARAMS)
$(D)/sites/soil.csv $(D)/sites/water.csv $(D)/sites/residuals.csv $(D)/sites/consistency.csv \
	$(D)/sites/ensemble_soil.nc $(D)/sites/ensemble_water.nc $(D)/sites/ensemble_cells.csv \
	$(D)/sites/identifiability.csv $(D)/sites/pinning.csv paper/audit/geography.csv: $(D)/sites/summary.json

CHECKER_SRC := $(GROUND) $(addprefix $(SRC)/,entry.py sites/checker.py sites/consistency.py sites/targets.py \
	risk/indices.py)

## Stage 012: sensitivity and specificity of the consistency checks on 1200 typos of the printed numbers (~2 s)
.PHONY: checker-validation
checker-validation: $(D)/sites/checker_validation.csv
$(D)/sites/checker_validation.csv: analysis/012_checker_validation.py $(CHECKER_SRC) $(S)/reconstruction.json \
		paper/reported.yaml | $(STAMP)
	$(PY) $< --params $(PARAMS)
$(D)/sites/checker_validation.md $(D)/sites/checker_baseline_failures.csv: $(D)/sites/checker_validation.csv

## Stage 020: statistics: descriptive, normality, correlations, PCA + varimax, audit (paper/audit/statistics.md)
.PHONY: statistics
statistics: $(D)/stats/pca_soil.json
$(D)/stats/pca_soil.json: analysis/020_statistics.py $(GROUND) $(call compute,stats) $(SITE_TABLES) \
		paper/reported.yaml | $(STAMP)
	$(PY) $< --params $(PARAMS)
paper/audit/statistics.csv: $(D)/stats/pca_soil.json

RISK_SRC := $(GROUND) $(call compute,risk)
PROFILE ?= paper_as_stated
PROFILES := $(basename $(notdir $(wildcard analysis/profiles/*.yaml)))
PROFILE_FILES := $(wildcard analysis/profiles/*.yaml)

## Stage 030: which documented parameter choices reproduce the paper's soil HI/CR ranges
.PHONY: calibration
calibration: $(D)/risk/calibration.csv
$(D)/risk/calibration.csv: analysis/030_risk_calibration.py $(RISK_SRC) analysis/calibration_grid.yaml \
		$(PROFILE_FILES) paper/reported.yaml | $(STAMP)
	$(PY) $< --params $(PARAMS)

# Stage 031, one rule per profile: data_derived/risk/<profile>/site_summary.csv
$(D)/risk/%/site_summary.csv: analysis/031_risk_deterministic.py $(RISK_SRC) analysis/profiles/%.yaml \
		$(PROFILE_FILES) $(SITE_TABLES) paper/reported.yaml $(S)/risk.hpi_form.json | $(STAMP)
	$(PY) $< --params $(PARAMS) --profile $*

## Stage 031: health risk, Igeo and HPI under one profile: make risk PROFILE=china_xinjiang
.PHONY: risk
risk: $(D)/risk/$(PROFILE)/site_summary.csv
	$(PY) -m tarimhm.cli risk --profile $(PROFILE)

RISK_OUT := $(foreach p,$(PROFILES),$(D)/risk/$(p)/site_summary.csv)

## Stage 032: risk audit of every profile against the paper (paper/audit/risk.md) and the Table 9 rows
.PHONY: audit-risk
audit-risk: paper/audit/risk.csv
paper/audit/risk.csv: analysis/032_risk_audit.py $(RISK_SRC) $(RISK_OUT) $(D)/risk/calibration.csv \
		$(S)/risk.hpi_form.json | $(STAMP)
	$(PY) $< --params $(PARAMS)
paper/audit/exposure.csv $(D)/risk/table9.csv: paper/audit/risk.csv

## Stage 080: every site-level audit over every member of the reconstruction ensemble (holds_k per number)
.PHONY: ensemble
ensemble: $(D)/ensemble/holds.csv
$(D)/ensemble/holds.csv: analysis/080_ensemble_propagation.py $(RISK_SRC) $(call compute,stats) \
		$(call compute,ensemble) $(PROFILE_FILES) $(SITE_TABLES) paper/reported.yaml $(S)/risk.hpi_form.json | $(STAMP)
	$(PY) $< --params $(PARAMS)
$(D)/ensemble/summary.json: $(D)/ensemble/holds.csv

UNC_SRC := $(RISK_SRC) $(call compute,uncertainty)
UNC_IN := $(wildcard analysis/uncertainty/*.yaml) $(PROFILE_FILES) $(SITE_TABLES) paper/reported.yaml \
	$(S)/uncertainty.json $(S)/risk.json

## Stage 040: Monte Carlo over exposure factors and bioaccessibility, one-at-a-time sensitivity, Sect. 4.2.1 audit
.PHONY: risk-montecarlo
risk-montecarlo: $(D)/uncertainty/mc_summary.csv
$(D)/uncertainty/mc_summary.csv: analysis/040_risk_montecarlo.py $(UNC_SRC) $(UNC_IN) | $(STAMP)
	$(PY) $< --params $(PARAMS)
paper/audit/sensitivity.csv: $(D)/uncertainty/mc_summary.csv

## Stage 041: Bayesian calibration (PyMC) of the exposure factors to the paper's soil HI/CR endpoints
.PHONY: risk-bayes
risk-bayes: $(D)/uncertainty/bayes_posterior.csv
$(D)/uncertainty/bayes_posterior.csv: analysis/041_risk_bayes.py $(UNC_SRC) $(UNC_IN) | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Stage 042: 2-D Monte Carlo (RAGS III): PyMC posterior (gated), variability x uncertainty, tail seeds, Sobol (~2 min)
.PHONY: risk-twod
risk-twod: $(D)/uncertainty/twod/summary.csv
$(D)/uncertainty/twod/summary.csv: analysis/042_risk_twod.py $(UNC_SRC) $(wildcard analysis/uncertainty/twod_*.yaml) \
		$(PROFILE_FILES) $(SITE_TABLES) $(S)/twod.json $(S)/risk.json | $(STAMP)
	$(PY) $< --params $(PARAMS)
$(D)/uncertainty/twod/twod_soil.nc $(D)/uncertainty/twod/twod_water.nc $(D)/uncertainty/twod/posterior.nc \
	$(D)/uncertainty/twod/sobol.csv $(D)/uncertainty/twod/toxicity_scenarios.csv \
	$(D)/uncertainty/twod/tail_stability.csv $(D)/uncertainty/twod/convergence.csv: $(D)/uncertainty/twod/summary.csv

## Stages 040-042 together (the probabilistic risk layer)
.PHONY: risk-uncertainty
risk-uncertainty: risk-montecarlo risk-bayes risk-twod

IMG_SRC := $(GROUND) $(call compute,imagery)

## Stage 050: Sentinel-2 layer: surrogate mosaic (offline) and the training table of site spectra
.PHONY: imagery
imagery: $(D)/imagery/training_table.csv
$(D)/imagery/training_table.csv: analysis/050_imagery.py $(IMG_SRC) $(GEO) $(SITE_TABLES) $(S)/imagery.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

RF_SRC := $(GROUND) $(call compute,rf) $(SRC)/imagery/grid.py $(SRC)/raster/compile.py $(SRC)/raster/kernels.py

## Stage 060: Random-Forest inversion as published: 10 models on the Table 2 splits (dedup grid search), Table 4 audit
.PHONY: rf
rf: $(D)/rf/metrics.csv
$(D)/rf/metrics.csv: analysis/060_rf_inversion.py $(RF_SRC) $(D)/imagery/training_table.csv paper/reported.yaml \
		$(S)/rf.json | $(STAMP)
	$(PY) $< --params $(PARAMS)
paper/audit/rf.csv: $(D)/rf/metrics.csv

## Stage 061: nested LOSO, full-protocol permutation nulls of the printed R², NNDM (paper/audit/rf_validation.*; SCHEDULER=tcp://host:8786 for dask)
.PHONY: rf-validation
rf-validation: $(D)/rf/validation.csv
$(D)/rf/validation.csv: analysis/061_rf_validation.py $(RF_SRC) $(SRC)/raster/post.py $(D)/rf/metrics.csv \
		$(D)/imagery/training_table.csv $(D)/sites/summary.json paper/reported.yaml $(S)/rf.json \
		$(S)/validation.json $(S)/imagery.json | $(STAMP)
	$(PY) $< --params $(PARAMS) $(if $(SCHEDULER),--scheduler $(SCHEDULER))
$(D)/rf/loso_predictions.csv $(D)/rf/nndm_distances.csv $(D)/rf/validation_nulls.npz paper/audit/rf_validation.csv \
	paper/audit/rf_validation.md: $(D)/rf/validation.csv

MAPS_SRC := $(GROUND) $(call compute,maps) $(wildcard $(SRC)/raster/*.py) $(SRC)/rf/export.py
SCHEDULER ?=
MAPS_OUT := $(D)/maps/timings.json
MAPFIG_SRC := $(SRC)/imagery/grid.py $(wildcard $(SRC)/raster/*.py) $(GEO) paper/reported.yaml

## Stage 070: basin maps at 60 m: compiled exact forests, tiled prediction, COGs, Tables 5-6 audit (SCHEDULER=tcp://host:8786 for dask)
.PHONY: maps
maps: $(MAPS_OUT)
$(MAPS_OUT): analysis/070_maps.py $(MAPS_SRC) $(D)/rf/metrics.csv $(D)/imagery/training_table.csv \
		paper/reported.yaml $(S)/maps.json $(S)/imagery.json $(S)/rf.json | $(STAMP)
	$(PY) $< --params $(PARAMS) $(if $(SCHEDULER),--scheduler $(SCHEDULER))
$(D)/maps/soil_summary.json $(D)/maps/water_summary.json $(D)/maps/soil_classes.csv $(D)/maps/water_classes.csv \
	paper/audit/maps_soil.csv paper/audit/maps_water.csv: $(MAPS_OUT)

## Benchmarks, reference measured in the same run: grid search (dedup vs GridSearchCV), map engine, ensemble, tiny-n forest (numba vs scikit-learn fit), stage 042 vs its 3 min / 2 GB budget
.PHONY: bench
bench: $(D)/imagery/training_table.csv $(D)/rf/metrics.csv | $(STAMP)
	$(PY) benchmarks/bench_grid_search.py --params $(PARAMS)
	$(PY) benchmarks/bench_maps.py --params $(PARAMS)
	$(PY) benchmarks/bench_ensemble.py --params $(PARAMS)
	$(PY) benchmarks/bench_tinyforest.py --params $(PARAMS)
	$(PY) benchmarks/bench_twod.py --params $(PARAMS)

RISK_REF = $(D)/risk/$(REFERENCE_PROFILE)/site_summary.csv

# ---- Figures: analysis/1NN_figK_<slug>.py -> figures/figK_<slug>.{pdf,png}; `make figK` rebuilds one
# Prerequisites: the script, its domain's figures.py, the ground floor and viz/, the saved outputs it
# reads and the `figures` parameter section (restyling never re-runs a model).

## Fig. 1: study area: basin, prefectures, rivers, lakes, sites, relief
.PHONY: fig1
fig1: figures/fig1_study_area.pdf
figures/fig1_study_area.pdf: analysis/101_fig1_study_area.py $(SRC)/sites/figures.py $(FIG_SRC) $(SITE_TABLES) $(GEO) $(SRC)/imagery/grid.py $(SRC)/imagery/surrogate.py \
		$(S)/figures.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. 4: permutation importance of the four bands per model
.PHONY: fig4
fig4: figures/fig4_importance.pdf
figures/fig4_importance.pdf: analysis/104_fig4_importance.py $(SRC)/rf/figures.py $(FIG_SRC) $(D)/rf/metrics.csv \
		$(S)/figures.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. 5: heavy-metal content by site
.PHONY: fig5
fig5: figures/fig5_composition.pdf
figures/fig5_composition.pdf: analysis/105_fig5_composition.py $(SRC)/stats/figures.py $(FIG_SRC) $(D)/stats/pca_soil.json \
		$(S)/figures.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. 6: soil maps at 60 m in the classes of Table 5
.PHONY: fig6
fig6: figures/fig6_soil_maps.pdf
figures/fig6_soil_maps.pdf: analysis/106_fig6_soil_maps.py $(SRC)/maps/figures.py $(FIG_SRC) $(MAPS_OUT) $(MAPFIG_SRC) \
		$(S)/figures.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. 7: river maps at 60 m in the classes of Table 6
.PHONY: fig7
fig7: figures/fig7_water_maps.pdf
figures/fig7_water_maps.pdf: analysis/107_fig7_water_maps.py $(SRC)/maps/figures.py $(FIG_SRC) $(MAPS_OUT) $(MAPFIG_SRC) \
		$(S)/figures.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. 8: Pearson correlations, soil and river
.PHONY: fig8
fig8: figures/fig8_correlation.pdf
figures/fig8_correlation.pdf: analysis/108_fig8_correlation.py $(SRC)/stats/figures.py $(FIG_SRC) $(D)/stats/pca_soil.json \
		$(S)/figures.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. 9: Igeo of the soil sites and HPI of the river sites
.PHONY: fig9
fig9: figures/fig9_igeo_hpi.pdf
figures/fig9_igeo_hpi.pdf: analysis/109_fig9_igeo_hpi.py $(SRC)/risk/figures.py $(FIG_SRC) $(RISK_REF) \
		$(S)/figures.json $(S)/risk.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. 10: soil HI per site, children and adults
.PHONY: fig10
fig10: figures/fig10_hi_radar.pdf
figures/fig10_hi_radar.pdf: analysis/110_fig10_hi_radar.py $(SRC)/risk/figures.py $(FIG_SRC) $(RISK_REF) \
		$(S)/figures.json $(S)/risk.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. 11: soil HI by metal and exposure route
.PHONY: fig11
fig11: figures/fig11_ncr_contributions.pdf
figures/fig11_ncr_contributions.pdf: analysis/111_fig11_ncr_contributions.py $(SRC)/risk/figures.py $(FIG_SRC) $(RISK_REF) \
		$(S)/figures.json $(S)/risk.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. 12: soil CR per site
.PHONY: fig12
fig12: figures/fig12_cr_radar.pdf
figures/fig12_cr_radar.pdf: analysis/112_fig12_cr_radar.py $(SRC)/risk/figures.py $(FIG_SRC) $(RISK_REF) \
		$(S)/figures.json $(S)/risk.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. 13: soil CR by metal and exposure route
.PHONY: fig13
fig13: figures/fig13_cr_contributions.pdf
figures/fig13_cr_contributions.pdf: analysis/113_fig13_cr_contributions.py $(SRC)/risk/figures.py $(FIG_SRC) $(RISK_REF) \
		$(S)/figures.json $(S)/risk.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. 14: river CR per site
.PHONY: fig14
fig14: figures/fig14_water_cr_radar.pdf
figures/fig14_water_cr_radar.pdf: analysis/114_fig14_water_cr_radar.py $(SRC)/risk/figures.py $(FIG_SRC) $(RISK_REF) \
		$(S)/figures.json $(S)/risk.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. 15: river CR by metal
.PHONY: fig15
fig15: figures/fig15_water_cr.pdf
figures/fig15_water_cr.pdf: analysis/115_fig15_water_cr.py $(SRC)/risk/figures.py $(FIG_SRC) $(RISK_REF) \
		$(S)/figures.json $(S)/risk.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. S1: normal Q-Q plots, raw and log10
.PHONY: figS1
figS1: figures/figS1_qq.pdf
figures/figS1_qq.pdf: analysis/151_figS1_qq.py $(SRC)/stats/figures.py $(FIG_SRC) $(D)/stats/pca_soil.json \
		$(S)/figures.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. 6 companion: ensemble spread of the soil maps
.PHONY: fig6unc
fig6unc: figures/fig6unc_soil_uncertainty.pdf
figures/fig6unc_soil_uncertainty.pdf: analysis/161_fig6unc_soil_uncertainty.py $(SRC)/maps/figures.py $(FIG_SRC) $(MAPS_OUT) $(MAPFIG_SRC) \
		$(S)/figures.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. 6 companion: dissimilarity index and area of applicability (soil)
.PHONY: fig6aoa
fig6aoa: figures/fig6aoa_soil_aoa.pdf
figures/fig6aoa_soil_aoa.pdf: analysis/162_fig6aoa_soil_aoa.py $(SRC)/maps/figures.py $(FIG_SRC) $(MAPS_OUT) $(MAPFIG_SRC) \
		$(S)/figures.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. 7 companion: ensemble spread of the river maps
.PHONY: fig7unc
fig7unc: figures/fig7unc_water_uncertainty.pdf
figures/fig7unc_water_uncertainty.pdf: analysis/171_fig7unc_water_uncertainty.py $(SRC)/maps/figures.py $(FIG_SRC) $(MAPS_OUT) $(MAPFIG_SRC) \
		$(S)/figures.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. 7 companion: dissimilarity index and area of applicability (river)
.PHONY: fig7aoa
fig7aoa: figures/fig7aoa_water_aoa.pdf
figures/fig7aoa_water_aoa.pdf: analysis/172_fig7aoa_water_aoa.py $(SRC)/maps/figures.py $(FIG_SRC) $(MAPS_OUT) $(MAPFIG_SRC) \
		$(S)/figures.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. V1: permutation nulls of the validation R² (stage 061) beside the printed R²
.PHONY: figV1
figV1: figures/figV1_validation_nulls.pdf
figures/figV1_validation_nulls.pdf: analysis/191_figV1_validation_nulls.py $(SRC)/rf/figures.py $(FIG_SRC) \
		$(D)/rf/validation.csv $(S)/figures.json $(S)/validation.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. U1: Monte Carlo HI and TCR per site
.PHONY: figU1
figU1: figures/figU1_risk_montecarlo.pdf
figures/figU1_risk_montecarlo.pdf: analysis/181_figU1_risk_montecarlo.py $(SRC)/uncertainty/figures.py $(FIG_SRC) $(D)/uncertainty/mc_summary.csv \
		$(S)/figures.json $(S)/uncertainty.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. U2: inputs driving the HI and TCR spread
.PHONY: figU2
figU2: figures/figU2_risk_drivers.pdf
figures/figU2_risk_drivers.pdf: analysis/182_figU2_risk_drivers.py $(SRC)/uncertainty/figures.py $(FIG_SRC) $(D)/uncertainty/mc_summary.csv \
		$(S)/figures.json $(S)/uncertainty.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. U3: exposure factors consistent with the paper's soil HI/CR (PyMC)
.PHONY: figU3
figU3: figures/figU3_bayes_exposure.pdf
figures/figU3_bayes_exposure.pdf: analysis/183_figU3_bayes_exposure.py $(SRC)/uncertainty/figures.py $(FIG_SRC) $(D)/uncertainty/bayes_posterior.csv \
		$(S)/figures.json $(S)/uncertainty.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. U4: children's variability CDF of HI and TCR per site, with the 90 % uncertainty band (2-D Monte Carlo)
.PHONY: figU4
figU4: figures/figU4_twod_cdf.pdf
figures/figU4_twod_cdf.pdf: analysis/184_figU4_twod_cdf.py $(SRC)/uncertainty/figures.py $(FIG_SRC) \
		$(D)/uncertainty/twod/summary.csv $(S)/figures.json $(S)/twod.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. U5: Sobol total and first-order indices of children's HI and TCR (2-D Monte Carlo)
.PHONY: figU5
figU5: figures/figU5_sobol.pdf
figures/figU5_sobol.pdf: analysis/185_figU5_sobol.py $(SRC)/uncertainty/figures.py $(FIG_SRC) \
		$(D)/uncertainty/twod/summary.csv $(S)/figures.json $(S)/twod.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Fig. U6: bioaccessible fractions and exposure parameters, prior vs posterior (2-D Monte Carlo)
.PHONY: figU6
figU6: figures/figU6_bioaccessibility.pdf
figures/figU6_bioaccessibility.pdf: analysis/186_figU6_bioaccessibility.py $(SRC)/uncertainty/figures.py $(FIG_SRC) \
		$(D)/uncertainty/twod/summary.csv $(S)/figures.json $(S)/twod.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

# ---- Tables: analysis/2NN_tabK_<slug>.py -> paper/tables/tabK_<slug>.{csv,tex}; `make tabK` rebuilds one
# Prerequisites: the script, its domain's tables.py, the ground floor and viz/, and the saved outputs it reads.

## Table 4: MAE, RMSE and R2 on the validation sites, paper beside this work
.PHONY: tab4
tab4: paper/tables/tab4_accuracy.csv
paper/tables/tab4_accuracy.csv: analysis/204_tab4_accuracy.py $(SRC)/rf/tables.py $(TAB_SRC) $(D)/rf/metrics.csv | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Table 5: share of the mapped soil area per class
.PHONY: tab5
tab5: paper/tables/tab5_soil_classes.csv
paper/tables/tab5_soil_classes.csv: analysis/205_tab5_soil_classes.py $(SRC)/maps/tables.py $(TAB_SRC) $(MAPS_OUT) | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Table 6: share of the mapped river area per class
.PHONY: tab6
tab6: paper/tables/tab6_water_classes.csv
paper/tables/tab6_water_classes.csv: analysis/206_tab6_water_classes.py $(SRC)/maps/tables.py $(TAB_SRC) $(MAPS_OUT) | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Table 7: varimax PCA of the soil metals
.PHONY: tab7
tab7: paper/tables/tab7_pca_soil.csv
paper/tables/tab7_pca_soil.csv: analysis/207_tab7_pca_soil.py $(SRC)/stats/tables.py $(TAB_SRC) $(D)/stats/pca_soil.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Table 8: varimax PCA of the river-water metals
.PHONY: tab8
tab8: paper/tables/tab8_pca_water.csv
paper/tables/tab8_pca_water.csv: analysis/208_tab8_pca_water.py $(SRC)/stats/tables.py $(TAB_SRC) $(D)/stats/pca_soil.json | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Table 9: exposure factors beside the profiles and what the results imply
.PHONY: tab9
tab9: paper/tables/tab9_exposure.csv
paper/tables/tab9_exposure.csv: analysis/209_tab9_exposure.py $(SRC)/risk/tables.py $(TAB_SRC) paper/audit/risk.csv | $(STAMP)
	$(PY) $< --params $(PARAMS)

FIG_PDFS := $(shell ls analysis/1[0-9][0-9]_fig*.py | sed -E 's#analysis/[0-9]+_(.*)\.py#figures/\1.pdf#')
TAB_CSVS := $(shell ls analysis/2[0-9][0-9]_tab*.py | sed -E 's#analysis/[0-9]+_(.*)\.py#paper/tables/\1.csv#')

## Every table (make tab4 ... make tab9 rebuild one)
.PHONY: tables
tables: $(TAB_CSVS)

## Every figure (make fig1 ... make fig15, make figU1 ... rebuild one)
.PHONY: figures
figures: $(FIG_PDFS)

# the stages that write paper/audit/*.csv (through their first output)
AUDIT_STAGES := $(SITE_TABLES) $(D)/stats/pca_soil.json paper/audit/risk.csv $(D)/uncertainty/mc_summary.csv \
	$(D)/rf/metrics.csv $(MAPS_OUT) $(D)/ensemble/holds.csv $(D)/sites/checker_validation.csv \
	$(D)/rf/validation.csv $(D)/uncertainty/twod/summary.csv

# The report is rebuilt when an audit changes, not when a figure is restyled; the figures and tables are
# order-only prerequisites, so they exist (and the report can say so) whenever the report is written.
## Reproduction report: paper/REPORT.md and the HTML report paper/report/html/index.html (nbconvert); reads the audits
.PHONY: report
report: paper/REPORT.md paper/report/html/index.html
paper/REPORT.md: analysis/300_report.py $(SRC)/report.py $(SRC)/viz/tables.py $(GROUND) paper/elements.yaml \
		paper/reported.yaml $(AUDIT_STAGES) $(S)/risk.json | $(STAMP) $(FIG_PDFS) $(TAB_CSVS)
	$(PY) $< --params $(PARAMS)

# The HTML pages embed the figures, so a restyled figure rebuilds them (unlike paper/REPORT.md).
REPORT_NB := $(wildcard paper/report/*.py) $(wildcard paper/report/templates/offline/*)
paper/report/html/index.html: analysis/301_report_html.py $(SRC)/htmlreport.py $(REPORT_NB) paper/REPORT.md \
		$(FIG_PDFS) $(TAB_CSVS) | $(STAMP)
	$(PY) $< --params $(PARAMS)

DATAPACKAGE_IN := $(D)/reported/reported.csv $(SITE_TABLES) $(D)/sites/checker_validation.csv $(D)/stats/pca_soil.json \
	$(D)/risk/calibration.csv $(RISK_OUT) paper/audit/risk.csv $(D)/ensemble/holds.csv $(D)/uncertainty/mc_summary.csv \
	$(D)/uncertainty/bayes_posterior.csv $(D)/uncertainty/twod/summary.csv $(D)/imagery/training_table.csv \
	$(D)/rf/metrics.csv $(D)/rf/validation.csv $(MAPS_OUT) $(TAB_CSVS) paper/REPORT.md

## Data dictionary: datapackage.json, a frictionless Data Package of every CSV output (types, units, descriptions from paper/columns.yaml)
.PHONY: datapackage
datapackage: datapackage.json
datapackage.json: analysis/302_datapackage.py $(SRC)/datadict.py $(GROUND) $(SRC)/archive_meta.py paper/columns.yaml \
		$(DATAPACKAGE_IN) | $(STAMP)
	$(PY) $< --params $(PARAMS)

## Citable deposit of every output: dist/tarim-hm-<version>-<commit8>/ (files for one Zenodo record, MANIFEST.sha256, CITATION.cff, .zenodo.json, ro-crate-metadata.json)
.PHONY: archive
archive: paper/REPORT.md paper/report/html/index.html | $(STAMP)
	$(PY) -m tarimhm.cli archive --out dist
	$(PY) -m tarimhm.cli verify-archive $$(ls -td dist/tarim-hm-*/ | head -1)

## Reviewer mode: rebuild one exhibit from a deposit and certify it (make review FIG=fig6 ARCHIVE=dist/tarim-hm-<version>-<commit8>)
.PHONY: review
review: | $(STAMP)
	@test -n "$(FIG)" -a -n "$(ARCHIVE)" || { echo "usage: make review FIG=fig6 ARCHIVE=dist/tarim-hm-<version>-<commit8>"; exit 2; }
	$(PY) -m tarimhm.cli review $(FIG) --archive $(ARCHIVE)

## Lint (ruff check + format check) and the import contracts of the layout (import-linter)
.PHONY: lint
lint: $(STAMP)
	$(VENV)/bin/ruff check src analysis tests benchmarks paper/report
	$(VENV)/bin/ruff format --check src analysis tests benchmarks paper/report
	$(VENV)/bin/lint-imports

## Run the checks CI runs: lint, import contracts, the test suite and the smoke run (creates .venv if missing)
.PHONY: test
test: lint smoke pytest

## Run the test suite only
.PHONY: pytest
pytest: $(STAMP)
	$(PY) -m pytest

## Run every stage, figure, table and the report on the tiny configuration in a temporary folder (CI-sized)
.PHONY: smoke
smoke: $(STAMP)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; start=$$(date +%s); \
	for s in $$(ls analysis/[0-9][0-9][0-9]_*.py | sort); do \
		runs=-; [[ $$s == *_risk_deterministic.py ]] && runs="$(PROFILES)"; \
		for p in $$runs; do \
			arg=""; [ "$$p" = - ] || arg="--profile $$p"; t0=$$(date +%s); \
			TARIMHM_OUTPUT=$$tmp $(PY) $$s --params tests/data/params_tiny.yaml $$arg > $$tmp/last.log 2>&1 \
				|| { cat $$tmp/last.log; echo "smoke: $$s $$arg failed"; exit 1; }; \
			echo "smoke: $$s $$arg ok ($$(( $$(date +%s) - t0 )) s)"; \
		done; \
	done; \
	n=$$(find $$tmp -type f ! -name '*.provenance.json' ! -name last.log | wc -l); \
	test -s $$tmp/paper/REPORT.md || { echo "smoke: no REPORT.md"; exit 1; }; \
	test -s $$tmp/paper/report/html/index.html || { echo "smoke: no HTML report"; exit 1; }; \
	echo "smoke: every stage, figure, table and the report ran; $$n files in $$(( $$(date +%s) - start )) s"

## Regenerate requirements.txt from the current .venv (after adding a dependency)
.PHONY: lock
lock: $(STAMP)
	{ sed -n '1,2p' requirements.txt; $(PY) -m pip freeze --exclude-editable; } > requirements.txt.new
	mv requirements.txt.new requirements.txt

## Remove generated outputs (data_derived/, figures/, paper/audit, paper/tables, paper/REPORT.md); keeps .venv and dist/
.PHONY: clean
clean:
	find $(D) figures -mindepth 1 ! -name README.md -delete
	rm -rf paper/audit paper/tables paper/REPORT.md paper/report/html datapackage.json datapackage.json.provenance.json timings.json

## Remove generated outputs and the virtual environment
.PHONY: distclean
distclean: clean
	rm -rf $(VENV)
