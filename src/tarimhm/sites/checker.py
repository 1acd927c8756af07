"""How well do the consistency checks catch a typo? Sensitivity and specificity of :mod:`.consistency`.

The checks of :func:`~tarimhm.sites.consistency.run_checks` are an instrument: they should fail
when a printed number is mistyped and pass when a number differs from its printed form only by
rounding. This module measures both on the paper's own catalogue (issue 14, point 7).

**Mutants.** Each mutant changes ONE printed number that some check reads, by a realistic typo
of its printed text (the scalar as written in ``paper/reported.yaml``, so ``99.00`` keeps its
two decimals; ``repr(value)`` where the text cannot be recovered):

- ``digit_swap``: two adjacent, different digits exchanged (``118.71`` -> ``118.17``);
- ``dropped_digit``: one digit left out (``64.67`` -> ``6.67``);
- ``decimal_shift``: the decimal point one place off (x 10 or / 10);
- ``sign_flip``: the minus sign added or lost;
- ``wrong_unit``: x 1000 or / 1000 (mg vs µg, µg/L vs mg/L).

A typo that leaves the value unchanged (``0.33`` swapped, ``0.5`` without its leading zero) is
skipped. Every distinct typo of every number read by a check is enumerated, then ``n`` of them are
drawn without replacement with ``numpy.random.default_rng(seed)``.

**Clean cases.** The unmutated paper, plus ``n`` perturbations that move one number by less than
half a unit of its last printed digit (``64.67`` -> ``64.6731``): the printed number is the same
after rounding, so a check that fails on one of them raises a false alarm. Counts (``stat: count``
or unit ``count``) are exact integers and are not perturbed.

**Flagged.** A check *passes* when its verdict is ``consistent`` or ``approximate`` and *fails*
when it is ``contradiction``; a check function that raises on a mutant fails all its checks (the
stage would stop). A case is *flagged* when a check that passes on the unmutated paper fails on
it; *warned* when some check's verdict gets worse (``consistent`` -> ``approximate`` counts).
Checks that already fail on the unmutated paper are real inconsistencies of the paper
(:func:`baseline_failures`): they can flag nothing and are never counted as false alarms.

**Families.** Each check belongs to the family of the section of :data:`~.consistency.CHECKS`
that produced it (:data:`FAMILIES`). A printed number *enters* a check when the check's
``lhs``, ``rhs``, verdict or description changes under a probe of that number (x 1.37, x 0.59,
sign, + 1) or under the mutant itself. A mutant counts in every family of the passing checks
its number enters (family rows overlap; the ``all`` row counts each mutant once); a mutant whose
number enters only checks that already fail is *masked* (counted apart, not in the sensitivity).

**Speed.** ``run_checks`` takes about 25 ms, mostly catalogue lookups (linear scans), so 2400 full
runs would take a minute. Two exact shortcuts bring :func:`validate_checker` to about 2 s on one
core: (1) a number is read by a few of the 13 check sections only, so each case re-runs only the
sections that looked the number up on the unmutated paper (recorded by a tracking catalogue; every
section reads the catalogue through ``find``/``one``/``value``/``[]`` only, so the other sections
cannot change); (2) a mutant changes a ``value`` and nothing a lookup filters on, so the positions
each lookup returns are memoised once and shared by every mutant (:class:`_Indexed`, still a
:class:`~tarimhm.reported.Reported`; the tests compare it with a plain one).

The script ``analysis/012_checker_validation.py`` uses :data:`N_MUTANTS` = 1200 and
:data:`SEED` = 14 (constants of this module, not parameters of ``analysis/params.yaml``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from ..reported import Record, Reported
from .consistency import CHECKS, Check, checks_frame

__all__ = [
    "N_MUTANTS",
    "SEED",
    "TYPO_KINDS",
    "FAMILIES",
    "Case",
    "printed_texts",
    "typos",
    "mutants",
    "clean_cases",
    "evaluate",
    "summarise",
    "validate_checker",
    "baseline_failures",
    "clopper_pearson",
    "describe",
]

N_MUTANTS = 1200  # mutants (and rounding perturbations) drawn by analysis/012_checker_validation.py
SEED = 14  # numpy default_rng seed of that script (issue 14)
TYPO_KINDS: tuple[str, ...] = ("digit_swap", "dropped_digit", "decimal_shift", "sign_flip", "wrong_unit")

# check section (function of consistency.CHECKS) -> family
FAMILIES: dict[str, str] = {
    "_sum_vs_means": "sums",
    "_hpi_w3_vs_standard": "hpi_bounds",
    "_hpi_min_vs_ratios": "hpi_bounds",
    "_as_igeo_single_site": "site_counts",
    "_pb_as_p_vs_loadings": "pca_correlation",
    "_pearson_vs_loadings": "pca_correlation",
    "_loadings_vs_eigenvalues": "pca_correlation",
    "_risk_ratios_vs_igeo": "risk_ratios",
    "_map_range_vs_training": "map_range",
    "_text_shares_vs_classes": "area_shares",
    "_share_above_background": "area_shares",
    "_rf_claims_vs_table4": "duplicates",
    "_text_vs_table4": "duplicates",
}

_RANK = {"consistent": 0, "approximate": 1, "contradiction": 2, "error": 2}
_PROBES: tuple[Callable[[float], float], ...] = (
    lambda v: v * 1.37,
    lambda v: v * 0.59,
    lambda v: -v,
    lambda v: v + 1.0,
)


@dataclass(frozen=True)
class Case:
    """One evaluated catalogue: a mutant, a rounding perturbation or the unmutated paper."""

    case: str  # mutant | clean | paper
    kind: str  # a TYPO_KINDS entry, "rounding" or "none"
    index: int  # position of the changed record in rep.records (-1: none)
    record_id: str
    printed: str
    value: float


# ---------------------------------------------------------------- printed text and typos


def _scalar_texts(path: Path) -> list[str] | None:
    """The value scalars of ``reported.yaml`` as written, in the order :func:`tarimhm.reported.load` flattens them."""
    try:
        root = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None

    def get(node, key):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == key:
                    return v
        return None

    blocks = get(root, "blocks")
    if blocks is None:
        return None
    out: list[str] = []
    for b in blocks.value:
        values, items = get(b, "values"), get(b, "items")
        if values is not None:
            out += [v.value for _, v in values.value]
        elif items is not None:
            out += [getattr(get(it, "value"), "value", "") for it in items.value]
    return out


def _same(text: str, value: float) -> bool:
    try:
        return float(Decimal(text)) == value
    except (InvalidOperation, ValueError):
        return False


def printed_texts(rep: Reported) -> list[str]:
    """Printed text of every record (the YAML scalar as typed); ``repr(value)`` where it cannot be recovered."""
    texts = _scalar_texts(rep.path) or []
    if len(texts) != len(rep.records):
        texts = [""] * len(rep.records)
    return [t if _same(t, r.value) else repr(r.value) for t, r in zip(texts, rep.records, strict=True)]


def _half_unit(text: str) -> float:
    """Half a unit of the last printed digit (``64.67`` -> 0.005, ``1.0e-4`` -> 5e-6, ``10`` -> 0.5)."""
    return 0.5 * 10.0 ** Decimal(text).as_tuple().exponent


def typos(text: str) -> list[tuple[str, str, float]]:
    """Every distinct typo ``(kind, detail, value)`` of one printed number that changes its value."""
    d = Decimal(text)
    mant, sep, exp = text.lower().partition("e")
    tail = sep + exp
    cand: list[tuple[str, str]] = []
    for i in range(len(mant) - 1):
        a, b = mant[i], mant[i + 1]
        if a.isdigit() and b.isdigit() and a != b:
            cand.append(("digit_swap", mant[:i] + b + a + mant[i + 2 :] + tail))
    for i, ch in enumerate(mant):
        rest = mant[:i] + mant[i + 1 :]
        if ch.isdigit() and any(c.isdigit() for c in rest):
            cand.append(("dropped_digit", rest + tail))
    out: list[tuple[str, str, float]] = []
    seen: set[tuple[str, float]] = set()

    def add(kind: str, detail: str, v: float) -> None:
        if np.isfinite(v) and v != float(d) and (kind, v) not in seen:
            seen.add((kind, v))
            out.append((kind, detail, v))

    for kind, t in cand:
        try:
            add(kind, f"{text} -> {t}", float(Decimal(t)))
        except InvalidOperation:
            continue
    for k in (1, -1):
        add("decimal_shift", f"{text} x 10^{k}", float(d.scaleb(k)))
    if d != 0:
        add("sign_flip", f"{text} -> {-d}", float(-d))
    for k in (3, -3):
        add("wrong_unit", f"{text} x 10^{k}", float(d.scaleb(k)))
    return out


# ---------------------------------------------------------------- the instrument on the unmutated paper


class _Tracked(Reported):
    """A catalogue that records the id of every record a lookup returns."""

    def __init__(self, rep: Reported):
        super().__init__(rep.records, rep.splits, rep.errata, rep.paper, rep.path)
        self.seen: set[str] = set()

    def find(self, **filters) -> list[Record]:
        hits = super().find(**filters)
        self.seen.update(r.id for r in hits)
        return hits

    def __getitem__(self, rid: str) -> Record:
        r = super().__getitem__(rid)
        self.seen.add(r.id)
        return r


def _sig(c: Check) -> tuple:
    return (repr(float(c.lhs)), repr(float(c.rhs)), c.verdict, c.description)


class _Indexed(Reported):
    """A catalogue whose lookups are memoised by position, shared by the mutants of one catalogue.

    A mutant changes a record's ``value`` only, never the fields a lookup filters on, so the positions
    a lookup returns on the unmutated paper are those it returns on every mutant (lookups that filter
    on ``value`` itself are not memoised).
    """

    def __init__(self, records: list[Record], like: Reported, memo: dict, pos: dict[str, int]):
        super().__init__(records, like.splits, like.errata, like.paper, like.path)
        self._memo, self._pos = memo, pos

    def find(self, **filters) -> list[Record]:
        if "value" in filters:
            return super().find(**filters)
        key = tuple(sorted((k, repr(v)) for k, v in filters.items()))
        idx = self._memo.get(key)
        if idx is None:
            idx = self._memo[key] = [self._pos[r.id] for r in super().find(**filters)]
        return [self.records[i] for i in idx]


def _with_value(rep: Reported, index: int, value: float, memo: dict | None = None) -> Reported:
    """``rep`` with record ``index`` set to ``value`` (``Record.model_copy``), as a new catalogue."""
    recs = list(rep.records)
    recs[index] = recs[index].model_copy(update={"value": float(value)})
    if memo is None:
        return Reported(recs, rep.splits, rep.errata, rep.paper, rep.path)
    pos = memo.setdefault("__pos__", {r.id: i for i, r in enumerate(rep.records)})
    return _Indexed(recs, rep, memo, pos)


def _run(func, rep: Reported, tol: float) -> dict[str, Check] | None:
    try:
        with np.errstate(all="ignore"):
            return {c.check_id: c for c in func(rep, tol)}
    except Exception:  # noqa: BLE001 - a typo that makes a check section raise stops the stage: it is noticed
        return None


@dataclass
class _Instrument:
    rep: Reported
    tol: float
    funcs: list[Callable[[Reported, float], list[Check]]]
    skipped: list[str]  # sections that cannot run on this catalogue (a hand-made partial one)
    base: dict[str, Check]
    family: dict[str, str]
    checks_of: list[list[str]]  # per function: its check ids
    readers: dict[int, list[int]]  # record index -> functions that look it up
    enters: dict[int, set[str]]  # record index -> check ids it enters (probes)
    texts: list[str] = field(default_factory=list)
    memo: dict = field(default_factory=dict)  # lookup positions shared by every mutant (_Indexed)

    def passing(self, cid: str) -> bool:
        return _RANK[self.base[cid].verdict] < 2


def _instrument(rep: Reported, tol: float) -> _Instrument:
    funcs, skipped, base, family, checks_of, readers = [], [], {}, {}, [], {}
    index = {r.id: i for i, r in enumerate(rep.records)}
    for func in CHECKS:
        tr = _Tracked(rep)
        out = _run(func, tr, tol)
        if out is None:
            skipped.append(func.__name__)
            continue
        fi = len(funcs)
        funcs.append(func)
        checks_of.append(list(out))
        for cid, c in out.items():
            base[cid] = c
            family[cid] = FAMILIES.get(func.__name__, func.__name__.strip("_"))
        for rid in tr.seen:
            readers.setdefault(index[rid], []).append(fi)
    enters: dict[int, set[str]] = {}
    memo: dict = {}
    for i, fis in readers.items():
        v = rep.records[i].value
        hit: set[str] = set()
        for probe in _PROBES:
            m = _with_value(rep, i, probe(v), memo)
            for fi in fis:
                got = _run(funcs[fi], m, tol)
                if got is None:
                    continue
                hit |= {cid for cid in checks_of[fi] if cid in got and _sig(got[cid]) != _sig(base[cid])}
        if hit:
            enters[i] = hit
    return _Instrument(rep, tol, funcs, skipped, base, family, checks_of, readers, enters, printed_texts(rep), memo)


# ---------------------------------------------------------------- cases


def _counted(r: Record) -> bool:
    return r.stat == "count" or r.unit == "count"


def mutants(
    rep: Reported, n: int = N_MUTANTS, seed: int = SEED, *, tol: float = 0.01, _inst: _Instrument | None = None
) -> list[Case]:
    """``n`` single-typo mutants of numbers that some check reads, drawn with ``default_rng(seed)``.

    Fewer than ``n`` only if the catalogue has fewer distinct typos (the paper has several thousand).
    """
    inst = _inst or _instrument(rep, tol)
    pool = [
        Case("mutant", kind, i, rep.records[i].id, detail, v)
        for i in sorted(inst.enters)
        for kind, detail, v in typos(inst.texts[i])
    ]
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(pool), size=min(n, len(pool)), replace=False)
    return [pool[j] for j in pick]


def clean_cases(
    rep: Reported, n: int = N_MUTANTS, seed: int = SEED, *, tol: float = 0.01, _inst: _Instrument | None = None
) -> list[Case]:
    """The unmutated paper plus ``n`` perturbations below half a unit of the last printed digit.

    Drawn from the numbers that enter a check passing on the paper (elsewhere a false alarm is
    impossible), counts excluded; every perturbed value rounds back to the printed text.
    """
    inst = _inst or _instrument(rep, tol)
    rng = np.random.default_rng([seed, 1])
    elig = [
        i for i in sorted(inst.enters) if any(inst.passing(c) for c in inst.enters[i]) and not _counted(rep.records[i])
    ]
    out = [Case("paper", "none", -1, "", "", float("nan"))]
    while elig and len(out) < n + 1:
        i = elig[int(rng.integers(len(elig)))]
        text = inst.texts[i]
        v = float(Decimal(text)) + float(rng.uniform(-0.98, 0.98)) * _half_unit(text)
        q = Decimal(v).quantize(Decimal(1).scaleb(Decimal(text).as_tuple().exponent))
        if v == rep.records[i].value or q != Decimal(text):
            continue
        out.append(Case("clean", "rounding", i, rep.records[i].id, f"{text} -> {v!r}", v))
    return out


def _evaluate_case(inst: _Instrument, c: Case) -> dict:
    row = {
        "case": c.case,
        "kind": c.kind,
        "record_id": c.record_id,
        "printed": c.printed,
        "value": c.value,
        "rel_change": float("nan"),
    }
    enters, flagged, warned, errors = set(), set(), set(), []
    if c.index >= 0:
        enters = set(inst.enters.get(c.index, set()))
        old = inst.rep.records[c.index].value
        row["rel_change"] = (c.value - old) / abs(old) if old else float("inf")
        m = _with_value(inst.rep, c.index, c.value, inst.memo)
        for fi in inst.readers.get(c.index, []):
            got = _run(inst.funcs[fi], m, inst.tol)
            if got is None:
                errors.append(inst.funcs[fi].__name__)
            for cid in inst.checks_of[fi]:
                new = got.get(cid) if got is not None else None
                verdict = new.verdict if new is not None else "error"
                if new is None or _sig(new) != _sig(inst.base[cid]):
                    enters.add(cid)
                b, r = _RANK[inst.base[cid].verdict], _RANK[verdict]
                if b < 2 <= r:
                    flagged.add(cid)
                if r > b:
                    warned.add(cid)
    passing = {cid for cid in enters if inst.passing(cid)}

    def fam(ids: set[str]) -> tuple[str, ...]:
        return tuple(sorted({inst.family[i] for i in ids}))

    row.update(
        families=fam(passing),
        families_any=fam(enters),
        families_flagging=fam(flagged),
        n_checks=len(enters),
        n_passing=len(passing),
        flagged=bool(flagged),
        warned=bool(warned),
        masked=bool(enters) and not passing,
        flagged_by=";".join(sorted(flagged)),
        errors=";".join(errors),
    )
    return row


def evaluate(rep: Reported, tol: float = 0.01, n: int = N_MUTANTS, seed: int = SEED) -> pd.DataFrame:
    """One row per case (``n`` mutants, the paper and ``n`` rounding perturbations) with its verdicts."""
    inst = _instrument(rep, tol)
    cases = mutants(rep, n, seed, _inst=inst) + clean_cases(rep, n, seed, _inst=inst)
    df = pd.DataFrame([_evaluate_case(inst, c) for c in cases])
    df.attrs["skipped_sections"] = list(inst.skipped)
    return df


# ---------------------------------------------------------------- summary


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a binomial proportion ``k / n``; NaN when ``n`` = 0."""
    if n == 0:
        return float("nan"), float("nan")
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


def _in(df: pd.DataFrame, col: str, family: str) -> pd.Series:
    if family == "all":
        return df[col].map(bool)
    return df[col].map(lambda t: family in t)


def summarise(cases: pd.DataFrame, families: Sequence[str] | None = None) -> pd.DataFrame:
    """Per family and typo kind (and ``all``): sensitivity and specificity with 95 % Clopper-Pearson intervals.

    ``mutants``: mutants whose number enters a passing check of the family; ``flagged``: of those, flagged
    by any check; ``flagged_by_family``: flagged by a check of that family; ``masked``: mutants whose
    number enters only failing checks of the family. Clean cases and false alarms are given on the
    ``typo_kind = all`` rows (a rounding perturbation has no typo kind).
    """
    mut = cases[cases["case"] == "mutant"]
    clean = cases[cases["case"] != "mutant"]
    fams = list(families) if families is not None else sorted({f for t in cases["families_any"] for f in t})
    rows = []
    for family in [*fams, "all"]:
        in_fam = _in(mut, "families", family)
        in_any = _in(mut, "families_any", family)
        by_fam = _in(mut, "families_flagging", family)
        for kind in [*TYPO_KINDS, "all"]:
            k = mut["kind"] == kind if kind != "all" else pd.Series(True, index=mut.index)
            sel = mut[in_fam & k]
            nm, nf = len(sel), int(sel["flagged"].sum())
            lo, hi = clopper_pearson(nf, nm)
            row = {
                "family": family,
                "typo_kind": kind,
                "mutants": nm,
                "flagged": nf,
                "sensitivity": nf / nm if nm else float("nan"),
                "sensitivity_ci_low": lo,
                "sensitivity_ci_high": hi,
                "flagged_by_family": int((in_fam & k & by_fam).sum()),
                "warned": int(sel["warned"].sum()),
                "masked": int((in_any & ~in_fam & k).sum()),
                "clean": np.nan,
                "false_alarms": np.nan,
                "specificity": np.nan,
                "specificity_ci_low": np.nan,
                "specificity_ci_high": np.nan,
            }
            if kind == "all":
                cs = clean[_in(clean, "families", family) | ((clean["case"] == "paper") & (family == "all"))]
                nc, fa = len(cs), int(cs["flagged"].sum())
                lo, hi = clopper_pearson(nc - fa, nc)
                row.update(
                    clean=nc,
                    false_alarms=fa,
                    specificity=(nc - fa) / nc if nc else float("nan"),
                    specificity_ci_low=lo,
                    specificity_ci_high=hi,
                )
            rows.append(row)
    out = pd.DataFrame(rows)
    out["data_status"] = "real"
    return out


def validate_checker(rep: Reported, tol: float = 0.01, n: int = N_MUTANTS, seed: int = SEED) -> pd.DataFrame:
    """Sensitivity of the consistency checks to ``n`` single-number typos and specificity on rounding noise."""
    fams = list(dict.fromkeys(FAMILIES.values()))
    return summarise(evaluate(rep, tol, n, seed), fams)


def baseline_failures(rep: Reported, tol: float = 0.01) -> pd.DataFrame:
    """The checks that fail on the unmutated paper: real inconsistencies of the paper, with their family."""
    rows = []
    for func in CHECKS:
        for c in func(rep, tol):
            if c.verdict == "contradiction":
                rows.append((FAMILIES.get(func.__name__, func.__name__.strip("_")), c))
    df = checks_frame([c for _, c in rows])
    df.insert(0, "family", [f for f, _ in rows])
    return df


def _pct(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{100 * x:.1f} %"


def describe(summary: pd.DataFrame, failures: pd.DataFrame, n: int = N_MUTANTS, seed: int = SEED) -> str:
    """One markdown paragraph on the measured sensitivity and specificity (``checker_validation.md``)."""
    s = summary.set_index(["family", "typo_kind"])
    a = s.loc[("all", "all")]
    fam = summary[(summary["typo_kind"] == "all") & (summary["family"] != "all")]
    kinds = summary[(summary["family"] == "all") & (summary["typo_kind"] != "all")]

    def sens(r) -> str:
        return f"{_pct(r.sensitivity)} [{_pct(r.sensitivity_ci_low)}, {_pct(r.sensitivity_ci_high)}]"

    per_fam = "; ".join(
        f"{r.family} {sens(r)} of {r.mutants}" if r.mutants else f"{r.family} none testable ({r.masked} masked)"
        for r in fam.itertuples()
    )
    per_kind = ", ".join(f"{r.typo_kind} {_pct(r.sensitivity)}" for r in kinds.itertuples())
    alarms = ", ".join(
        f"{r.family} {int(r.false_alarms)}/{int(r.clean)}" for r in fam.itertuples() if r.clean and r.false_alarms
    )
    masked = int(a.masked)
    return (
        f"**Consistency checks as an instrument** ({n} single-typo mutants of printed numbers that a check "
        f"reads, seed {seed}; `tarimhm.sites.checker`). Of the {int(a.mutants)} mutants whose number enters a "
        f"check that passes on the paper, the checks flag {int(a.flagged)}: sensitivity {sens(a)} (95 % "
        f"Clopper-Pearson); by typo kind {per_kind}; by family {per_fam}. A further {masked} mutants change "
        f"only numbers whose checks already fail on the paper: the {len(failures)} checks the paper itself "
        f"violates (`checker_baseline_failures.csv`: {', '.join(failures['check_id'])}) cannot flag them. "
        f"On {int(a.clean)} clean cases (the paper and perturbations below half a unit of the last printed "
        f"digit) the checks raise {int(a.false_alarms)} false alarms, specificity {_pct(a.specificity)} "
        f"[{_pct(a.specificity_ci_low)}, {_pct(a.specificity_ci_high)}]"
        + (f"; false alarms by family: {alarms}." if alarms else ".")
        + " Typos escape where a check is one-sided (a bound), graded (`approximate` is not a failure), "
        "or tolerant (1 % relative) of a change in the last printed digit; false alarms come from checks "
        "that compare two printed numbers exactly instead of at their printed precision.\n"
    )
