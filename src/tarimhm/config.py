"""Load ``analysis/params.yaml`` and check it against a schema (pydantic).

Every seed, tolerance, weight and count of the pipeline lives in that one file. A bad
file fails at load time with one line per problem naming the file, the key, what was
found and what is allowed, e.g.::

    analysis/params.yaml: reconstruction.n_starts: Input should be greater than 0 (got -1)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, ValidationError, field_validator

from . import paths
from ._errors import ConfigError, format_pydantic

__all__ = ["Params", "load", "load_model", "load_yaml", "params_hash", "section_hash", "write_stamps", "SECTIONS"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReconstructionWeights(_Strict):
    mean: float = Field(gt=0)
    sum: float = Field(gt=0)
    extreme: float = Field(gt=0)
    named: float = Field(gt=0)
    count: float = Field(gt=0)
    pearson: float = Field(gt=0)
    pca_implied: float = Field(gt=0)
    eigen: float = Field(gt=0)
    hpi: float = Field(gt=0)
    ratio: float = Field(gt=0)
    standard: float = Field(gt=0)


class EnsembleParams(_Strict):
    n_members: int = Field(ge=1, le=100000, description="site tables per medium; member 0 is the medoid")
    chains: PositiveInt = Field(description="Metropolis chains (cycled over the feasible least-squares optima)")
    burn: int = Field(ge=0, description="burn-in steps per chain (proposal adaptation happens only here)")
    thin: PositiveInt = Field(description="steps between kept members")
    prior_sd: float = Field(gt=0, le=5, description="SD of the lognormal prior of every cell, ln units")
    feasible_starts: PositiveInt = Field(description="least-squares optima moved into the intervals (best first)")
    refine_nfev: PositiveInt = Field(description="cap on residual evaluations when moving an optimum inside")


class ReconstructionParams(_Strict):
    seed: int = Field(ge=0)
    n_starts: PositiveInt
    start_spread: float = Field(gt=0, le=2)
    max_nfev: PositiveInt
    tolerance_rel: float = Field(gt=0, lt=1)
    tolerance_r: float = Field(gt=0, lt=1)
    count_margin: float = Field(ge=0, lt=0.5)
    significant_digits: int = Field(ge=3, le=12)
    weights: ReconstructionWeights
    ensemble: EnsembleParams


class FigureParams(_Strict):
    dpi: int = Field(ge=72, le=1200)
    formats: tuple[Literal["pdf", "png", "svg"], ...] = ("pdf", "png")


class RiskParams(_Strict):
    reference_profile: str = Field(
        min_length=1,
        description="profile of Figs 9-15, the report and the probabilistic layer (analysis/profiles/<name>.yaml)",
    )
    hpi_form: Literal["normalised", "unnormalised"] = Field(
        description="HPI of Eq. 14: normalised sum(WQ)/sum(W) as in Mohan et al. (1996), or as printed"
    )


class ImageryParams(_Strict):
    source: Literal["surrogate", "stac"] = Field(description="surrogate (offline) or stac (real Sentinel-2 L2A)")
    resolution_m: float = Field(gt=0, le=10000)
    tile: int = Field(ge=16, le=8192)
    workers: int = Field(ge=1, le=64, description="processes generating blocks")
    seed: int = Field(ge=0)
    stac_endpoint: str = Field(min_length=1, description="STAC API URL or path to a local catalog.json")
    stac_collection: str = Field(min_length=1)
    stac_datetime: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}/\d{4}-\d{2}-\d{2}$")
    stac_max_cloud: float = Field(gt=0, le=100)


class RFGrid(_Strict):
    n_estimators: tuple[PositiveInt, ...]
    max_depth: tuple[PositiveInt, ...]
    min_samples_leaf: tuple[PositiveInt, ...]


class ValidationParams(_Strict):
    permutations: int = Field(ge=0, description="B of the full-protocol nulls (a), (b), (d); p resolution 1/(B+1)")
    split_permutations: int = Field(ge=0, description="B of the split-selection null (c), every 7/3 (6/3) split")
    bootstrap: PositiveInt = Field(description="pairs-bootstrap resamples of the LOSO R²")
    ci_level: float = Field(gt=0, lt=1, description="level of the bootstrap intervals")
    alpha: float = Field(gt=0, lt=1, description="family-wise level of 'beats chance' (adjusted p < alpha)")
    fitter: Literal["tinyforest", "sklearn"] = Field(
        description="forest grower of the nulls: tinyforest (scikit-learn's trees in numba) or sklearn (reference)"
    )
    chunk: PositiveInt = Field(description="permutations per task (local or dask.distributed)")
    threads: int = Field(ge=1, le=64, description="numba threads of the permutation nulls")
    nndm_phi_km: Literal["max"] | PositiveFloat = Field(
        description="NNDM range of spatial autocorrelation phi (km); 'max' = the largest distance (CAST's default)"
    )
    nndm_min_train: float = Field(gt=0, le=1, description="NNDM smallest share of training sites kept per fold")
    nndm_prediction_points: PositiveInt = Field(description="basin pixels sampled as NNDM prediction points")


class RFParams(_Strict):
    seed: int = Field(ge=0)
    grid: RFGrid
    permutation_repeats: PositiveInt
    aoa_bootstrap: PositiveInt
    interval_level: float = Field(gt=0, lt=1, description="nominal jackknife+ level; refused if n cannot support it")


class MapParams(_Strict):
    tile: int = Field(ge=64, le=8192, description="tile size (pixels) of the basin prediction; multiple of 256")
    workers: int = Field(ge=1, le=64, description="local processes computing tiles")
    max_table_cells: int = Field(ge=1, description="largest exact lookup table (cells) before the traversal path")
    cog_threads: int = Field(ge=1, le=64, description="GDAL threads compressing the COGs")

    @field_validator("tile")
    @classmethod
    def _tile_multiple(cls, v):
        if v % 256:
            raise ValueError(f"must be a multiple of 256 (the GeoTIFF block size), got {v}")
        return v


class UncertaintyParams(_Strict):
    spec: str = Field(min_length=1, description="uncertainty spec analysis/uncertainty/<name>.yaml")
    draws: int = Field(ge=100, le=10_000_000, description="Monte Carlo draws (Latin hypercube)")
    seed: int = Field(ge=0)
    bayes_draws: int = Field(ge=10, le=100_000, description="posterior draws per chain of the Bayesian calibration")
    bayes_tune: int = Field(ge=10, le=100_000, description="tuning steps per chain (NUTS)")
    bayes_chains: int = Field(ge=1, le=8)


class TwoDParams(_Strict):
    spec: str = Field(min_length=1, description="2-D spec analysis/uncertainty/twod_<name>.yaml (or a path)")
    seed: int = Field(ge=0, description="seed of NUTS, the outer and inner loops and the Sobol sample")
    chains: int = Field(ge=1, le=16, description="NUTS chains (the gate needs >= 4)")
    draws: PositiveInt = Field(description="posterior draws per chain")
    tune: PositiveInt = Field(description="NUTS tuning steps per chain")
    target_accept: float = Field(gt=0.5, lt=1)
    rhat_max: float = Field(ge=1, description="gate: largest rank-normalised R-hat")
    ess_min: PositiveFloat = Field(description="gate: smallest bulk and tail ESS")
    n_outer: PositiveInt = Field(description="outer (uncertainty) draws, thinned from the posterior")
    n_inner: Literal["auto"] | PositiveInt = Field(
        description="inner (variability) persons per outer draw; auto: from a pilot, for rel_mcse_p95"
    )
    n_inner_max: PositiveInt = Field(description="cap of the automatic n_inner")
    rel_mcse_p95: float = Field(gt=0, lt=1, description="target relative MCSE of the inner-loop P95")
    pilot_outer: PositiveInt = Field(description="outer draws of the pilot run that sets n_inner")
    pilot_inner: int = Field(ge=100, description="persons per outer draw of the pilot")
    chunk: PositiveInt = Field(description="persons evaluated at once (bounds the memory, not the numbers)")
    tail_seeds: int = Field(ge=2, le=16, description="inner-loop seeds of the tail-stability check (EPA 1997)")
    tail_outer: PositiveInt = Field(description="outer draws re-run with each tail seed")
    sobol_n: PositiveInt = Field(description="Sobol base sample N (a power of 2); N (D + 2) model runs")
    sobol_resamples: PositiveInt = Field(description="bootstrap resamples of the Sobol confidence intervals")
    conf_level: float = Field(gt=0, lt=1, description="level of the Sobol intervals")
    exceed_share: float = Field(gt=0, lt=1, description="population share for P(share above HI 1 > exceed_share)")

    @field_validator("sobol_n")
    @classmethod
    def _power_of_two(cls, v):
        if v & (v - 1):
            raise ValueError(f"must be a power of 2 (Sobol' sequence balance), got {v}")
        return v


class Params(_Strict):
    reconstruction: ReconstructionParams
    figures: FigureParams
    risk: RiskParams
    imagery: ImageryParams
    rf: RFParams
    validation: ValidationParams
    maps: MapParams
    uncertainty: UncertaintyParams
    twod: TwoDParams


MAX_ALIASES = 100
"""Aliases a YAML file may use (an alias bomb expands exponentially; no parameter file needs many)."""


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses duplicate keys and bounds the number of aliases.

    PyYAML keeps the last of two equal keys without a word; a second ``BW: 1`` in a profile would
    silently change every dose, so a duplicate is an error naming both lines.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"more than {MAX_ALIASES} aliases (a YAML alias bomb?); write the values out", mark
                )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first on line {seen[key] + 1}); keep one",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def load_yaml(path: Path) -> dict:
    """Read a YAML mapping with errors that name the file and the line.

    Refused with a :class:`ConfigError`: a missing path, a folder, bytes that are not UTF-8, invalid
    YAML, duplicate keys, more than :data:`MAX_ALIASES` aliases, and anything but a mapping at the top.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: file not found; create it or pass an existing file")
    if not path.is_file():
        raise ConfigError(f"{path}: is a folder, not a YAML file; pass a file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        if isinstance(exc, yaml.constructor.ConstructorError):  # duplicate keys, too many aliases
            raise ConfigError(f"{path}: line {mark.line + 1}: {exc.problem}") from None
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}; fix the syntax") from None
    if data is None:
        raise ConfigError(f"{path}: the file is empty; expected a mapping of keys at the top level")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level, got {type(data).__name__}")
    return data


def load_model(path: Path | str, model: type[BaseModel]):
    """A YAML file validated against a pydantic ``model``; its errors as one ConfigError naming file and key."""
    path = Path(path)
    data = load_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_pydantic(path, exc)) from None


def load(path: Path | str | None = None) -> Params:
    """Load and validate the parameter file (default ``analysis/params.yaml``)."""
    return load_model(path if path is not None else paths.PARAMS, Params)


def params_hash(model: BaseModel | dict) -> str:
    """SHA-256 of the canonical JSON of validated parameters (comments and order do not matter)."""
    data = model.model_dump(mode="json") if isinstance(model, BaseModel) else model
    blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


SECTIONS: tuple[str, ...] = tuple(Params.model_fields)
# keys a stage of another section reads: stamped on their own so that the rest of their section
# does not re-run that stage (the reconstruction fits W3's HPI in the form the risk stage computes)
STAMPED_KEYS: tuple[str, ...] = ("risk.hpi_form",)


def _section(params: Params, key: str):
    data = params.model_dump(mode="json")
    for part in key.split("."):
        if part not in data:
            raise KeyError(f"params has no section or key {key!r}; sections: {', '.join(SECTIONS)}")
        data = data[part]
    return data


def section_hash(params: Params, *keys: str) -> str:
    """SHA-256 of the named sections (or dotted keys) only: a stage stamps what it reads, nothing else.

    ``section_hash(params, "rf")`` changes when ``rf`` changes and not when ``figures.dpi`` does.
    """
    if not keys:
        raise ValueError("section_hash needs at least one section name")
    return params_hash({k: _section(params, k) for k in sorted(set(keys))})


def write_stamps(params: Params, folder: Path) -> list[str]:
    """Write ``<folder>/<section>.json`` for every section and stamped key, only where the content changed,
    and ``<folder>/make.mk`` (the reference profile's name, included by the Makefile).

    Make rules depend on these files instead of the whole parameter file, so editing one section
    re-runs only the rules that read it. Returns the stamps that were (re)written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    changed = []
    for key in (*SECTIONS, *STAMPED_KEYS):
        text = json.dumps({key: _section(params, key)}, indent=2, sort_keys=True) + "\n"
        f = folder / f"{key}.json"
        if not f.exists() or f.read_text(encoding="utf-8") != text:
            tmp = f.with_name(f".tmp-{f.name}")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(f)
            changed.append(key)
    # the one value a Make rule needs as a name (Figs 9-15 depend on the reference profile's outputs),
    # read by pydantic like every other parameter rather than by a pattern over the YAML text
    mk = folder / "make.mk"
    text = f"REFERENCE_PROFILE := {params.risk.reference_profile}\n"
    if not mk.exists() or mk.read_text(encoding="utf-8") != text:
        mk.write_text(text, encoding="utf-8")
    return changed
