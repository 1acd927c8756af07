"""Exposure and toxicity profiles (``analysis/profiles/*.yaml``), validated on load.

Every value is given as ``{value, unit, source}``; the unit must be the one the key
expects (a typo such as ``kgs`` for BW fails with the key named). A profile may
``extends: <other profile name>`` and override any subset of keys (deep merge).

A profile is named by its name (``usepa_default``: ``analysis/profiles/usepa_default.yaml``) or by a
path (anything ending in ``.yaml``/``.yml`` or with a folder in it), used as given.
:func:`profile_template` writes the commented starting point of a new profile (``tarimhm profiles new``).
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

__all__ = [
    "Profile",
    "load_profile",
    "list_profiles",
    "is_shipped",
    "merge",
    "new_profile",
    "profile_path",
    "profile_template",
    "resolve",
    "GROUP_UNITS",
    "TOX_UNITS",
]

SUFFIXES = (".yaml", ".yml")

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


def _is_path(ref: str | Path) -> bool:
    """A profile reference is a path if it ends in .yaml/.yml or names a folder; otherwise a profile name."""
    p = Path(ref).expanduser()
    return p.suffix.lower() in SUFFIXES or len(p.parts) > 1


def _parent_path(path: Path, parent: str) -> Path:
    """The profile ``extends:`` names: a path (``x.yaml``, relative to the profile) or a profile name, looked up
    beside the profile first and then among the shipped profiles, so a profile anywhere on disk can extend one."""
    if _is_path(parent):
        p = Path(parent).expanduser()
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


def profile_path(name_or_path: str | Path) -> Path:
    """The file of a profile: ``analysis/profiles/<name>.yaml`` for a name, the path itself for a path
    (never with a second suffix: ``/x/my.yaml`` stays ``/x/my.yaml``). An unknown name is refused with the
    names there are."""
    if _is_path(name_or_path):
        return Path(name_or_path).expanduser()
    name = str(name_or_path)
    p = paths.PROFILES / f"{name}.yaml"
    if not p.exists():
        raise ConfigError(
            f"no profile {name!r} in {paths.PROFILES}; name one of {', '.join(list_profiles())} "
            "or give the path of a .yaml file (`tarimhm profiles new NAME` writes one)"
        )
    return p


def load_profile(name_or_path: str | Path) -> Profile:
    """Load a profile by name (``analysis/profiles/<name>.yaml``) or path, resolving ``extends``."""
    p = profile_path(name_or_path)
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


KEY_NOTES = {
    "BW": "body weight",
    "ED": "exposure duration",
    "EF": "exposure frequency",
    "IngR": "soil ingestion rate",
    "InhR": "inhalation rate",
    "SA": "skin surface area exposed to soil",
    "AF": "soil-to-skin adherence factor",
    "IRw": "drinking-water intake",
    "PEF": "particulate emission factor",
    "LT": "lifetime (carcinogenic averaging time when 'lifetime')",
    "RfDo": "oral reference dose (food, soil ingestion)",
    "RfDw": "oral reference dose for drinking water (else RfDo)",
    "RfDd": "dermal reference dose",
    "RfDi": "inhalation reference dose",
    "SFo": "oral slope factor",
    "SFd": "dermal slope factor",
    "SFi": "inhalation slope factor",
    "CSFw": "drinking-water slope factor",
}
"""What each overridable key is, for the comments of :func:`profile_template`."""


def _num(v: float) -> str:
    """A float as YAML reads it back exactly (``15``, ``0.0003``, ``1.36e+09``, ``1.0e-05``)."""
    s = f"{v:g}"
    if float(s) != v:
        s = repr(float(v))
    if "e" in s and "." not in s.split("e")[0]:  # YAML 1.1 needs a dot in the mantissa of a float
        m, e = s.split("e")
        s = f"{m}.0e{e}"
    return s


def _q(q: Q) -> str:
    return f"{{value: {_num(q.value)}, unit: {json.dumps(q.unit)}, source: {json.dumps(q.source, ensure_ascii=False)}}}"


def _key(indent: int, key: str, value: str, note: str) -> str:
    return f"#{' ' * (indent + 1)}{key + ':':6s}{value}  # {note}"


def profile_template(name: str, extends: str, base: Profile, base_file: Path | str | None = None) -> str:
    """A new profile ``name`` that ``extends`` a base: every key it may override is listed commented out,
    with its unit and the value of ``base`` (the profile ``extends`` resolves to), so the file as written
    loads as ``base`` with a new name, title and description.

    Every line after ``description:`` is a commented YAML line (``# `` + the line) or blank; uncommenting a
    key (and the block keys above it) overrides that key only.
    """
    from .._version import __version__

    label = f"{extends} ({base_file})" if base_file and str(base_file) != str(extends) else extends
    lines = [
        f"# Exposure and toxicity profile {name!r}, written by `tarimhm profiles new` (tarim-hm {__version__}).",
        f"# It extends {label}, and as written it changes nothing.",
        "# To change a value, uncomment its line and the block lines above it (such as groups: and child:),",
        "# keep the unit shown and give the source of the new value. Every value is {value, unit, source}.",
        f"# Compare with the base: tarimhm risk --profile <this file> --against {extends}",
        f"extends: {json.dumps(extends, ensure_ascii=False)}",
        f"name: {name}",
        f"title: {json.dumps(f'{name} (extends {Path(extends).stem})')}",
        f"description: {json.dumps(f'{base.title}, with the values uncommented below changed.', ensure_ascii=False)}",
        "",
        "# groups:  # exposure factors per receptor group",
    ]
    for g in ("child", "adult"):
        lines.append(f"#   {g}:")
        grp = base.groups[g]
        for k, unit in GROUP_UNITS.items():
            lines.append(_key(4, k, _q(getattr(grp, k)), f"{KEY_NOTES[k]} [{unit}]"))
    lines += ["", "# constants:"]
    for k, unit in CONST_UNITS.items():
        lines.append(_key(2, k, _q(getattr(base.constants, k)), f"{KEY_NOTES[k]} [{unit}]"))
    o = base.options
    ba = ", ".join(f"{m}: {_num(f)}" for m, f in o.bioaccessibility.items())
    lines += [
        "",
        "# options:",
        f"#   dermal_af: {'true' if o.dermal_af else 'false'}  # keep the adherence factor AF in the dermal dose "
        "(RAGS E): true or false",
        f"#   at_carcinogenic_soil: {o.at_carcinogenic_soil}  # carcinogenic averaging time, soil: lifetime or exposure",
        f"#   at_carcinogenic_water: {o.at_carcinogenic_water}  # the same for drinking water",
        f"#   bioaccessibility: {{{ba}}}  # oral bioaccessible fraction in (0, 1] per metal, e.g. {{As: 0.4}}",
        "",
        "# abs:  # dermal absorption fraction per metal",
    ]
    for m in METALS:
        lines.append(_key(2, m, _q(base.abs[m]), "dermal absorption fraction [1]"))
    lines += ["", "# toxicity:"]
    for m in METALS:
        lines.append(f"#   {m}:")
        tox = base.toxicity[m]
        for k, unit in TOX_UNITS.items():
            q = getattr(tox, k)
            if q is not None:
                lines.append(_key(4, k, _q(q), f"{KEY_NOTES[k]} [{unit}]"))
            else:
                lines.append(
                    _key(
                        4,
                        k,
                        "null",
                        f"{KEY_NOTES[k]} [{unit}]; not set in {Path(extends).stem}: "
                        f"give {{value, unit: {json.dumps(unit)}, source}}",
                    )
                )
    return "\n".join(lines) + "\n"


def new_profile(name: str, extends: str | Path, folder: Path | str = ".") -> Path:
    """Write ``<folder>/<name>.yaml`` from :func:`profile_template` (``tarimhm profiles new``) and return its path.

    Refused with a :class:`ConfigError`: a name that could not name an output folder or that is a shipped
    profile's, a ``folder`` that is a file, a file that exists already (never overwritten), an unknown base.
    The file is checked before it is renamed into place: as written it loads as its base.
    """
    from ..provenance import atomic_path

    shipped = list_profiles()
    if not NAME.fullmatch(name):
        raise ConfigError(f"{name!r}: not a profile name; use lower-case letters, digits and _ (it names a folder)")
    if name in shipped:
        raise ConfigError(
            f"{name!r}: is a shipped profile; give yours a name of its own (not one of {', '.join(shipped)})"
        )
    folder = Path(folder).expanduser()
    if folder.suffix.lower() in SUFFIXES or (folder.exists() and not folder.is_dir()):
        raise ConfigError(f"{folder}: not a folder; --out names the folder to write {name}.yaml in")
    target = folder / f"{name}.yaml"
    if target.exists():
        raise ConfigError(f"{target}: exists; not overwritten (delete it, or choose another name or folder)")
    # a base given as a file is written as its absolute path, so the new file works wherever it is moved
    ext = str(Path(extends).expanduser().resolve()) if _is_path(extends) else str(extends)
    base_file = _parent_path(target, ext)  # what `extends:` resolves to from the new file
    if not base_file.exists():
        raise ConfigError(
            f"--extends: no profile {str(extends)!r} ({base_file} not found); name one of {', '.join(shipped)} "
            "or give the path of a .yaml file"
        )
    base = load_profile(base_file)
    text = profile_template(name, ext, base, None if is_shipped(base_file) else base_file)
    keep = {"name", "title", "description"}
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
        if load_profile(tmp).model_dump(exclude=keep) != base.model_dump(exclude=keep):  # pragma: no cover
            raise ConfigError(f"{target}: the template does not load as {ext}; this is a bug, please report it")
    return target
