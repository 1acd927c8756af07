"""``paper/reported.yaml``: every number the paper reports, as validated records.

The YAML groups numbers in blocks that share a locator, quantity, medium, group and unit
(see the header of the file). :func:`load` checks every block against a schema, flattens
it to one :class:`Record` per number, gives each a unique id and returns a
:class:`Reported` catalogue with lookups that fail loudly when a number is missing or
ambiguous.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import paths
from ._errors import ReportedError, format_pydantic
from .config import load_yaml
from .domain import METALS

__all__ = ["Record", "Reported", "load", "backgrounds", "standards", "igeo_factor"]

_METAL_OK = re.compile(r"^(As|Cd|Pb|Cu|Zn|all)(-(As|Cd|Pb|Cu|Zn))?$")
Medium = Literal["soil", "water", "none"]
Group = Literal["child", "adult", "none"]
Stat = Literal["value", "min", "max", "mean", "lower", "upper", "share", "count"]


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: float
    quantity: str | None = None
    medium: Medium | None = None
    group: Group | None = None
    metal: str | None = None
    site: str | None = Field(default=None, pattern=r"^[SW]\d{1,2}$")
    stat: Stat | None = None
    cls: int | None = Field(default=None, ge=1)
    lower: float | None = None
    upper: float | None = None
    unit: str | None = None
    unit_interpreted: str | None = None
    note: str | None = None


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid")
    locator: str = Field(min_length=3)
    id_prefix: str | None = None
    quantity: str | None = None
    medium: Medium | None = None
    group: Group | None = None
    metal: str | None = None
    stat: Stat | None = None
    unit: str | None = None
    unit_interpreted: str | None = None
    note: str | None = None
    values: dict[str, float] | None = None
    items: list[_Item] | None = None

    @model_validator(mode="after")
    def _one_kind(self):
        if (self.values is None) == (self.items is None):
            raise ValueError("a block needs exactly one of `values` (metal: number) or `items` (list)")
        return self


class _Split(BaseModel):
    model_config = ConfigDict(extra="forbid")
    train: list[str]
    validation: list[str]

    @model_validator(mode="after")
    def _disjoint(self):
        if set(self.train) & set(self.validation):
            raise ValueError(f"train and validation overlap: {sorted(set(self.train) & set(self.validation))}")
        return self


class _Splits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    locator: str
    header_as_printed: list[str]
    header_interpreted: list[str]
    soil: dict[Literal["As", "Cd", "Pb", "Cu", "Zn"], _Split]
    water: dict[Literal["As", "Cd", "Pb", "Cu", "Zn"], _Split]


class _Erratum(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    locator: str
    text: str


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: Literal[1]
    paper: dict[str, str]
    blocks: list[_Block]
    splits: _Splits
    errata: list[_Erratum]


class Record(BaseModel):
    """One reported number."""

    model_config = ConfigDict(frozen=True)
    id: str
    locator: str
    quantity: str
    medium: Medium
    group: Group
    metal: str | None
    site: str | None
    stat: Stat
    cls: int | None
    lower: float | None
    upper: float | None
    value: float
    unit: str
    unit_interpreted: str
    note: str | None
    decimals: int | None = None
    """Decimal places as printed (from the YAML text, so ``0.320`` has 3); None if not known."""

    @property
    def half_unit(self) -> float:
        """Half a unit of the last printed digit: the printed number stands for [value - h, value + h]."""
        return 0.0 if self.decimals is None else 0.5 * 10.0 ** (-self.decimals)


def _printed_decimals(text: str) -> dict[tuple[int, object], int]:
    """Printed decimals of every block value, keyed (block index, metal) or (block index, item index).

    A float loses its trailing zeros (``0.320`` reads as 0.32), but the printed rounding of a number
    is what bounds the reconstruction, so the decimals are read from the YAML scalars' text.
    """
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    top = {k.value: v for k, v in root.value}
    out: dict[tuple[int, object], int] = {}

    def dec(node) -> int | None:
        try:
            e = Decimal(node.value).as_tuple().exponent
        except (InvalidOperation, AttributeError, TypeError):
            return None
        return max(0, -int(e)) if isinstance(e, int) else None

    for bi, b in enumerate(getattr(top.get("blocks"), "value", []) or []):
        fields = {k.value: v for k, v in b.value}
        if "values" in fields:
            for k, v in fields["values"].value:
                out[(bi, k.value)] = dec(v)
        for ii, it in enumerate(getattr(fields.get("items"), "value", []) or []):
            f = {k.value: v for k, v in it.value}
            if "value" in f:
                out[(bi, ii)] = dec(f["value"])
    return out


def _slug(locator: str) -> str:
    s = locator.lower().replace("table ", "tab").replace("sect. ", "s").replace("¶", "p")
    s = s.replace("abstract", "abs").replace("eq. ", "eq")
    return re.sub(r"[^a-z0-9.()]+", "", s)


def _flatten(path: Path, f: _File, decimals: dict | None = None) -> list[Record]:
    decimals = decimals or {}
    out: list[Record] = []
    seen: dict[str, str] = {}
    for bi, b in enumerate(f.blocks):
        if b.values is not None:
            raw = [_Item(value=v, metal=m) for m, v in b.values.items()]
            keys = list(b.values)
        else:
            raw = b.items or []
            keys = list(range(len(raw)))
        for ii, it in enumerate(raw):
            where = f"{path}: blocks[{bi}] ({b.locator})" + (f".items[{ii}]" if b.items is not None else "")
            d = {
                k: getattr(it, k) if getattr(it, k) is not None else getattr(b, k, None)
                for k in ("quantity", "medium", "group", "metal", "stat", "unit", "unit_interpreted", "note")
            }
            missing = [k for k in ("quantity", "medium", "stat", "unit") if d[k] is None]
            if missing:
                raise ReportedError(f"{where}: missing {', '.join(missing)}; set it on the item or the block")
            if d["metal"] is not None and not _METAL_OK.match(d["metal"]):
                raise ReportedError(
                    f"{where}: metal {d['metal']!r} unknown; use one of {', '.join(METALS)}, "
                    "'all', or a pair like 'Pb-Cu'"
                )
            parts = [
                b.id_prefix,
                d["quantity"],
                d["medium"],
                d["group"],
                d["metal"],
                it.site,
                d["stat"],
                f"c{it.cls}" if it.cls is not None else None,
            ]
            rid = _slug(b.locator) + ":" + ".".join(p for p in parts if p and p != "none")
            if rid in seen:
                raise ReportedError(
                    f"{where}: duplicate id {rid} (also at {seen[rid]}); "
                    "make the entries differ (site, cls, stat or id_prefix)"
                )
            seen[rid] = where
            out.append(
                Record(
                    id=rid,
                    locator=b.locator,
                    quantity=d["quantity"],
                    medium=d["medium"],
                    group=d["group"] or "none",
                    metal=d["metal"],
                    site=it.site,
                    stat=d["stat"],
                    cls=it.cls,
                    lower=it.lower,
                    upper=it.upper,
                    value=it.value,
                    unit=d["unit"],
                    unit_interpreted=d["unit_interpreted"] or d["unit"],
                    note=d["note"],
                    decimals=decimals.get((bi, keys[ii])),
                )
            )
    return out


class Reported:
    """Catalogue of the paper's numbers with strict lookups."""

    def __init__(self, records: list[Record], splits: _Splits, errata: list[_Erratum], paper: dict, path: Path):
        self.records = records
        self.splits = splits
        self.errata = errata
        self.paper = paper
        self.path = path
        self._by_id = {r.id: r for r in records}

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, rid: str) -> Record:
        try:
            return self._by_id[rid]
        except KeyError:
            raise ReportedError(f"{self.path}: no reported number with id {rid!r}") from None

    def find(self, **filters) -> list[Record]:
        """Records whose fields equal every filter.

        ``locator`` matches the whole locator or its leading words: "Sect. 3.1" matches
        "Sect. 3.1 ¶2" but not "Sect. 3.10"; "Table 1" does not match "Table 10".
        """
        loc = filters.pop("locator", None)
        out = []
        for r in self.records:
            if loc is not None and not (r.locator == loc or r.locator.startswith(loc + " ")):
                continue
            if all(getattr(r, k) == v for k, v in filters.items()):
                out.append(r)
        return out

    def one(self, **filters) -> Record:
        hits = self.find(**filters)
        if len(hits) != 1:
            raise ReportedError(
                f"{self.path}: expected exactly one reported number for {filters}, "
                f"found {len(hits)}: {[h.id for h in hits]}"
            )
        return hits[0]

    def value(self, **filters) -> float:
        return self.one(**filters).value

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.model_dump() for r in self.records])

    def counts_by_locator(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.records:
            out[r.locator] = out.get(r.locator, 0) + 1
        return out


def load(path: Path | str | None = None) -> Reported:
    """Load and validate ``paper/reported.yaml`` (cached per path)."""
    return _load(Path(path) if path is not None else paths.REPORTED)


@lru_cache(maxsize=8)
def _load(path: Path) -> Reported:
    try:
        data = load_yaml(path)
    except Exception as exc:  # ConfigError -> ReportedError, same message
        raise ReportedError(str(exc)) from None
    try:
        f = _File.model_validate(data)
    except ValidationError as exc:
        raise ReportedError(format_pydantic(path, exc)) from None
    decimals = _printed_decimals(path.read_text(encoding="utf-8"))
    return Reported(_flatten(path, f, decimals), f.splits, f.errata, f.paper, path)


def backgrounds(rep: Reported) -> dict[str, float]:
    """Xinjiang soil background per metal (Table 1, mg/kg): the reference of Igeo (Eq. 13)."""
    return {m: rep.value(locator="Table 1", quantity="background", metal=m) for m in METALS}


def standards(rep: Reported) -> dict[str, dict[str, float]]:
    """GB 3838-2002 surface-water standards per class ('III', 'V') and metal (Table 1, µg/L)."""
    return {
        c: {m: rep.value(locator="Table 1", quantity=f"standard_{c}", metal=m) for m in METALS} for c in ("III", "V")
    }


def igeo_factor(rep: Reported) -> float:
    """The constant k of Eq. 13 (Igeo = log2(C / (k B)); Sect. 2.3.2 prints 1.5)."""
    return rep.value(locator="Sect. 2.3.2", quantity="igeo_factor")
