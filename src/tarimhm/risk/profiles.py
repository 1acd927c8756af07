"""Exposure and toxicity profiles (``analysis/profiles/*.yaml``), validated on load.

Every value is given as ``{value, unit, source}``; the unit must be the one the key
expects (a typo such as ``kgs`` for BW fails with the key named). A profile may
``extends: <other profile name>`` and override any subset of keys (deep merge).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .. import paths
from .._errors import ConfigError, format_pydantic
from ..config import load_yaml
from ..domain import METALS

NAME = re.compile(r"[a-z0-9_]+")
"""Profile names (they become folder names below data_derived/risk/)."""

__all__ = ["Profile", "load_profile", "list_profiles", "is_shipped", "merge", "resolve", "GROUP_UNITS", "TOX_UNITS"]

GROUP_UNITS = {
    "BW": "kg",
    "ED": "y",
    "EF": "d/y",
    "IngR": "mg/d",
    "InhR": "m3/d",
    "SA": "cm2",
    "AF": "mg/cm2",
    "IRw": "L/d",
}
CONST_UNITS = {"PEF": "m3/kg", "LT": "y"}
TOX_UNITS = {
    "RfDo": "mg/kg/d",
    "RfDw": "mg/kg/d",
    "RfDd": "mg/kg/d",
    "RfDi": "mg/kg/d",
    "SFo": "(mg/kg/d)-1",
    "SFd": "(mg/kg/d)-1",
    "SFi": "(mg/kg/d)-1",
    "CSFw": "(mg/kg/d)-1",
}


class Q(BaseModel):
    """A value with its unit and source."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    value: float = Field(gt=0)
    unit: str
    source: str = Field(min_length=2)


class _UnitChecked(BaseModel):
    """Every field is a :class:`Q` whose unit must be ``UNITS[field]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    UNITS: ClassVar[dict[str, str]] = {}

    @model_validator(mode="after")
    def _units(self):
        for k, unit in self.UNITS.items():
            q = getattr(self, k)
            if q is not None and q.unit != unit:
                raise ValueError(f"{k}.unit: {q.unit!r} is not the unit of {k}; use {unit!r}")
        return self


class Group(_UnitChecked):
    UNITS: ClassVar[dict[str, str]] = GROUP_UNITS
    BW: Q
    ED: Q
    EF: Q
    IngR: Q
    InhR: Q
    SA: Q
    AF: Q
    IRw: Q


class Constants(_UnitChecked):
    UNITS: ClassVar[dict[str, str]] = CONST_UNITS
    PEF: Q
    LT: Q


class Tox(_UnitChecked):
    UNITS: ClassVar[dict[str, str]] = TOX_UNITS
    RfDo: Q
    RfDw: Q | None = None  # oral RfD for drinking water where IRIS gives one apart from food (Cd); else RfDo
    RfDd: Q
    RfDi: Q
    SFo: Q | None = None
    SFd: Q | None = None
    SFi: Q | None = None
    CSFw: Q | None = None


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    dermal_af: bool = Field(description="include the adherence factor AF in Eq. 7 (RAGS E) or not (as printed)")
    at_carcinogenic_soil: Literal["lifetime", "exposure"]
    at_carcinogenic_water: Literal["lifetime", "exposure"]
    bioaccessibility: dict[str, float] = Field(
        default_factory=dict, description="fraction of total concentration that is bioaccessible (oral)"
    )

    @field_validator("bioaccessibility")
    @classmethod
    def _ba(cls, v):
        for m, f in v.items():
            if m not in METALS:
                raise ValueError(f"unknown metal {m!r}; use one of {', '.join(METALS)}")
            if not 0 < f <= 1:
                raise ValueError(f"{m}: bioaccessible fraction must be in (0, 1], got {f}")
        return v


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    title: str
    description: str
    groups: dict[Literal["child", "adult"], Group]
    constants: Constants
    options: Options
    abs: dict[str, Q]
    toxicity: dict[str, Tox]

    @model_validator(mode="after")
    def _metals(self):
        for block in ("abs", "toxicity"):
            keys = set(getattr(self, block))
            unknown = keys - set(METALS)
            if unknown:
                raise ValueError(f"{block}: unknown metal(s) {sorted(unknown)}; use {', '.join(METALS)}")
            missing = set(METALS) - keys
            if missing:
                raise ValueError(f"{block}: missing metal(s) {sorted(missing)}; give all of {', '.join(METALS)}")
        for m, q in self.abs.items():
            if q.unit != "1" or q.value > 1:
                raise ValueError(f"abs.{m}: ABS is a fraction (unit '1', value <= 1), got {q.value} {q.unit!r}")
        if set(self.groups) != {"child", "adult"}:
            raise ValueError("groups: need both child and adult")
        return self

    def hash(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return out


def _parent_path(path: Path, parent: str) -> Path:
    """The profile ``extends:`` names: a path (``x.yaml``, relative to the profile) or a profile name, looked up
    beside the profile first and then among the shipped profiles, so a profile anywhere on disk can extend one."""
    if Path(parent).suffix in (".yaml", ".yml"):
        p = Path(parent)
        return p if p.is_absolute() else path.parent / p
    beside = path.parent / f"{parent}.yaml"
    return beside if beside.exists() else paths.PROFILES / f"{parent}.yaml"


def resolve(path: Path, seen=()) -> dict:
    data = load_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: extends: a profile name or a .yaml path, got {parent!r}")
    ppath = _parent_path(path, parent)
    key = str(ppath.resolve())
    if key in seen:
        raise ConfigError(f"{path}: extends: circular chain {' -> '.join((*seen, key))}")
    if not ppath.exists():
        raise ConfigError(
            f"{path}: extends: no profile {parent!r} ({ppath} not found); name one of {', '.join(list_profiles())} "
            "or give a path to a .yaml file"
        )
    return merge(resolve(ppath, (*seen, key)), data)


def load_profile(name_or_path: str | Path) -> Profile:
    """Load a profile by name (``analysis/profiles/<name>.yaml``) or path, resolving ``extends``."""
    p = Path(name_or_path)
    if not p.suffix:
        p = paths.PROFILES / f"{name_or_path}.yaml"
    try:
        prof = Profile.model_validate(resolve(p))
    except ValidationError as exc:
        raise ConfigError(format_pydantic(p, exc)) from None
    if not NAME.fullmatch(prof.name):  # the name of a profile read from a file names its output folder
        raise ConfigError(f"{p}: name: {prof.name!r} is not allowed; use lower-case letters, digits and _")
    return prof


def list_profiles() -> list[str]:
    """Names of the shipped profiles (``analysis/profiles/*.yaml``)."""
    return sorted(p.stem for p in paths.PROFILES.glob("*.yaml"))


def is_shipped(path: Path) -> bool:
    """Whether ``path`` is one of the shipped profiles (their outputs live in ``data_derived/risk/<name>/``)."""
    return Path(path).resolve().parent == paths.PROFILES.resolve()
