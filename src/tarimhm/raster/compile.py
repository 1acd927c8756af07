r"""Forests compiled into exact per-pixel lookups over the raw uint16 DN of the mosaic.

A fitted pipeline (Min-Max scaler + random forest over the 4 bands) sends a pixel left at a
node iff ``float32(x * scale + min) <= threshold`` with x = DN * 1e-4 (the DN -> reflectance
rule of the training spectra, :func:`tarimhm.imagery.sites.site_spectra`). That expression is
monotone in DN, so every split is a *cut* in DN: go left iff ``DN < cut``, where cut is the
first DN whose float32 value exceeds the threshold (found on all 65,536 DNs, so float32
rounding at the threshold is reproduced, not approximated). The union of the cuts of all forests
of a model (the reference forest and its jackknife+ leave-one-out forests) splits each band into
cells; the model is constant on every product cell. Two exact paths follow:

* **table** (when the product of cell counts is at most ``max_cells``): the forest is evaluated
  once per cell; a pixel then costs four 65,536-entry lookups (DN -> strided cell offset), a
  sum and one gather of (mean, variance, lower, upper);
* **traversal** (otherwise; bootstrapping can make up to C(n, 2) cuts per band): every tree is
  walked per pixel on the integer cuts by a compiled kernel.

Both give scikit-learn's values bit for bit (mean as ``ForestRegressor.predict`` with n_jobs=1,
variance of the per-tree predictions summed in tree order; tested on adversarial DNs).

The jackknife+ bounds are built on ln C and back-transformed (Barber, Candès, Ramdas & Tibshirani
2021, Ann. Stat. 49:486, applied to the algorithm "fit the forest, return ln of its prediction"):
with log residuals R_i = |ln y_i - ln mu_-i(x_i)|,

.. math:: [\exp q_{lo}\{\ln\mu_{-i}(x) - R_i\},\ \exp q_{hi}\{\ln\mu_{-i}(x) + R_i\}]
          = [q_{lo}\{\mu_{-i}(x)\,e^{-R_i}\},\ q_{hi}\{\mu_{-i}(x)\,e^{R_i}\}]

(exp is increasing, so it commutes with order statistics). Both this engine and
:func:`tarimhm.rf.intervals.jackknife_plus` use the right-hand form with the factors of
:func:`jackknife_factors` (one multiplication per LOO forest and pixel, exactly rounded), so the
per-pixel bounds equal the RF stage's bit for bit. The ranks q_lo, q_hi come from
:func:`jackknife_ranks`, in exact rational arithmetic; the engine is the lowest layer both
``tarimhm.rf`` and the map engine may import (``pyproject.toml`` import contracts), so they live here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from . import kernels

__all__ = [
    "REFLECTANCE_SCALE",
    "NODATA_DN",
    "forest_arrays",
    "dn_to_reflectance",
    "CompiledModel",
    "compile_model",
    "reference_mean_var",
    "DIModel",
    "compile_di",
    "OUTPUTS",
    "exact_level",
    "jackknife_ranks",
    "jackknife_factors",
    "RESIDUAL_SCALE",
]


def forest_arrays(pipe) -> dict:
    """Node arrays of a fitted scaler+forest pipeline (trees concatenated; ``offsets`` = tree starts)."""
    sc, rf = pipe.named_steps["scale"], pipe.named_steps["rf"]
    trees = [t.tree_ for t in rf.estimators_]
    return {
        "scale_min": sc.min_,
        "scale_scale": sc.scale_,
        "left": np.concatenate([t.children_left for t in trees]),
        "right": np.concatenate([t.children_right for t in trees]),
        "feature": np.concatenate([t.feature for t in trees]),
        "threshold": np.concatenate([t.threshold for t in trees]),
        "value": np.concatenate([t.value[:, 0, 0] for t in trees]),
        "offsets": np.concatenate([[0], np.cumsum([t.node_count for t in trees])]).astype(np.int64),
    }


REFLECTANCE_SCALE = 1e-4  # DN = 10000 x reflectance (Sentinel-2 L2A, baseline-harmonised)
NODATA_DN = 0
U16_MAX_CELLS = 65535  # tables up to this many cells use uint16 per-band LUTs in the kernel
N_DN = 65536
OUTPUTS = ("mean", "variance", "lower", "upper")


def dn_to_reflectance(dn) -> np.ndarray:
    """The one DN -> reflectance rule (as the site spectra: ``DN * 1e-4`` in float64)."""
    return np.asarray(dn).astype(np.float64) * REFLECTANCE_SCALE


def _scaled_f32(forest: dict, band: int) -> np.ndarray:
    """float32 feature value the forest compares, for every DN 0..65535 of one band."""
    x = dn_to_reflectance(np.arange(N_DN)) * forest["scale_scale"][band] + forest["scale_min"][band]
    return x.astype(np.float32)


def _node_cuts(forest: dict) -> np.ndarray:
    """Per node, the first DN that goes right (float32(x(DN)) > threshold); -1 at leaves."""
    cut = np.full(len(forest["left"]), -1, np.int64)
    split = forest["left"] != -1
    for b in range(len(forest["scale_min"])):
        on_b = split & (forest["feature"] == b)
        if on_b.any():
            # searchsorted on float64 copies: scikit-learn compares float32 features with float64
            # thresholds, so the comparison is made in float64
            cut[on_b] = np.searchsorted(
                _scaled_f32(forest, b).astype(np.float64), forest["threshold"][on_b], side="right"
            )
    return cut


@dataclass
class CompiledModel:
    """An exact, compiled model: ``predict(dn)`` -> (4, h, w) mean, variance, lower, upper."""

    path: str  # "table" or "traversal"
    cuts: list  # per band, the sorted union of DN cuts
    n_cells: int  # product of per-band cell counts (whether tabulated or not)
    luts: np.ndarray | None = None  # (4, 65536) int32: strided cell offset of each DN
    table: np.ndarray | None = None  # (n_cells, 4) float64
    nodes: dict = field(default_factory=dict)  # traversal arrays
    n_loo: int = 0
    level: float | None = None
    _tables: dict = field(default_factory=dict, repr=False)

    def predict(self, dn: np.ndarray, dtype=np.float64, outputs: int = 4, out: np.ndarray | None = None) -> np.ndarray:
        """dn: (4, h, w) uint16 -> (outputs, h, w) of ``dtype``: the first ``outputs`` of
        mean, variance, lower, upper (NaN where any band is nodata). ``out``: a C-contiguous
        (outputs, h, w) array of ``dtype`` to fill instead of a new one (streaming reuse)."""
        dn = np.ascontiguousarray(dn, np.uint16)
        if dn.ndim != 3 or dn.shape[0] != 4:
            raise ValueError(f"expected a (4, h, w) DN block (B02, B03, B04, B08), got shape {dn.shape}")
        _, h, w = dn.shape
        if out is None:
            out = np.empty((outputs, h, w), dtype)
        elif out.shape != (outputs, h, w) or out.dtype != np.dtype(dtype) or not out.flags.c_contiguous:
            raise ValueError(
                f"out must be a C-contiguous {(outputs, h, w)} {np.dtype(dtype)} array, got {out.shape} {out.dtype}"
            )
        if self.path == "table":
            if outputs not in (1, 2, 4):
                raise ValueError(f"outputs must be 1, 2 or 4, got {outputs}")
            luts, tables = self._kernel_arrays(np.dtype(dtype))
            flat, o = dn.reshape(4, -1), out.reshape(outputs, -1)
            o = list(o) + [np.empty(0, dtype)] * (4 - outputs)
            kernels.lut_predict(*flat, *luts, self.n_cells, outputs, *tables, *o)
            return out
        flat = dn.reshape(4, -1).T.copy()
        res = self._eval(flat)
        res[(flat == NODATA_DN).any(axis=1)] = np.nan
        out[:] = res[:, :outputs].T.reshape(outputs, h, w)
        return out

    def _kernel_arrays(self, dtype: np.dtype) -> tuple[list, list]:
        """Per-band LUTs whose nodata DN points at the NaN row ``n_cells``, and per-output tables
        with that NaN row appended (see ``kernels.lut_predict``); cached per dtype."""
        if dtype not in self._tables:
            # uint16 LUTs when the NaN row fits: half the cache footprint, ~2x the throughput of int32 (measured)
            ltype = np.uint16 if self.n_cells <= U16_MAX_CELLS else np.int32
            luts = [np.array(self.luts[b], ltype) for b in range(4)]  # copies: self.luts stays as saved
            for lut in luts:
                lut[NODATA_DN] = self.n_cells
            tables = [np.append(self.table[:, k], np.nan).astype(dtype) for k in range(4)]
            self._tables[dtype] = (luts, tables)
        return self._tables[dtype]

    def _eval(self, dn_rows: np.ndarray) -> np.ndarray:
        n = self.nodes
        lo_fac, hi_fac = jackknife_factors(n["loo_resid"])
        return kernels.forest_eval(
            np.ascontiguousarray(dn_rows, np.int64),
            n["left"],
            n["right"],
            n["band"],
            n["cut"],
            n["value"],
            n["tree_start"],
            n["forest_trees"],
            lo_fac,
            hi_fac,
            n["k_lo"],
            n["k_hi"],
        )

    def summary(self) -> dict:
        return {
            "path": self.path,
            "n_cells": int(self.n_cells),
            "cuts_per_band": [len(c) for c in self.cuts],
            "n_loo_forests": self.n_loo,
            "interval_level": self.level,
            "interval_scale": "ln C, back-transformed" if self.n_loo else None,
        }


_MAX_DENOMINATOR = 10**6


def exact_level(level) -> Fraction:
    """A nominal level 1 - alpha as an exact fraction.

    A :class:`~fractions.Fraction` is taken as it is, a string as the decimal it spells. A float is
    read as the fraction closest to it with a denominator of at most 10^6 when that fraction rounds
    to the same float (0.8 -> 4/5, 0.875 -> 7/8, 5/6 -> 5/6), else as its shortest decimal
    (``repr``): every level written in a YAML file with up to six decimals is read as written, and
    ``n / (n + 1)`` as the fraction it is. (``1 - 0.8`` in floating point is 0.19999999999999996,
    which puts ``floor(alpha (n + 1))`` one too low whenever alpha (n + 1) is an integer.)
    """
    if isinstance(level, Fraction):
        q = level
    elif isinstance(level, str):
        q = Fraction(level)
    else:
        x = float(level)
        if not math.isfinite(x):
            raise ValueError(f"level must be a number in (0, 1), got {level!r}")
        q = Fraction(x).limit_denominator(_MAX_DENOMINATOR)
        if float(q) != x:
            q = Fraction(repr(x))
    if not 0 < q < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    return q


def jackknife_ranks(n: int, level) -> tuple[int, int]:
    r"""Ranks (k_lo, k_hi) of the jackknife+ bounds among n values (Barber et al. 2021):

    .. math:: k_{lo} = \lfloor \alpha (n + 1) \rfloor, \qquad
              k_{hi} = \lceil (1 - \alpha)(n + 1) \rceil, \qquad \alpha = 1 - \text{level},

    in exact rational arithmetic (:func:`exact_level`). The bounds are the k_lo-th and k_hi-th
    smallest values; the interval is finite iff ``1 <= k_lo`` and ``k_hi <= n`` (iff
    level <= n / (n + 1), for level >= 1/2). Shared by :func:`tarimhm.rf.intervals.jackknife_plus`
    and :func:`compile_model`.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    alpha = 1 - exact_level(level)
    return math.floor(alpha * (n + 1)), math.ceil((1 - alpha) * (n + 1))


RESIDUAL_SCALE = "log"  # the engine's LOO residuals: R_i = |ln y_i - ln mu_-i(x_i)|


def jackknife_factors(log_resid) -> tuple[np.ndarray, np.ndarray]:
    """(exp(-R_i), exp(R_i)) of the log residuals R_i: the jackknife+ bounds on ln C, back-transformed,
    are order statistics of mu_-i(x) * exp(-R_i) and mu_-i(x) * exp(R_i) (see the module docstring).
    One function for the RF stage and the engine, so both multiply by the same factors."""
    r = np.asarray(log_resid, np.float64)
    if np.any(r < 0):
        raise ValueError("jackknife+ residuals are absolute values |ln y_i - ln mu_-i(x_i)| >= 0")
    return np.exp(-r), np.exp(r)


def compile_model(
    forest: dict,
    loo: list[dict] | None = None,
    loo_resid=None,
    level: float | None = None,
    max_cells: int = 2**22,
    resid_scale: str = RESIDUAL_SCALE,
) -> CompiledModel:
    """Compile the reference ``forest`` (and its jackknife+ LOO forests with their log residuals
    R_i = |ln y_i - ln mu_-i(x_i)|; ``resid_scale`` must say "log": residuals of the absolute scale,
    |y_i - mu_-i(x_i)|, written before the intervals moved to ln C, are refused).

    Intervals are compiled only when the level is finite for n = len(loo) (:func:`jackknife_ranks`)
    and every residual is finite (else lower/upper are NaN, and ``summary()`` says so).
    """
    if loo and resid_scale != RESIDUAL_SCALE:
        raise ValueError(
            f"LOO residuals of scale {resid_scale!r}: the engine builds jackknife+ intervals on ln C and needs "
            f"residuals |ln y_i - ln mu_-i(x_i)| (scale {RESIDUAL_SCALE!r}); re-run the RF stage to rewrite them"
        )
    loo = list(loo or [])
    forests = [forest, *loo]
    nb = len(forest["scale_min"])
    cuts_nodes = [_node_cuts(f) for f in forests]
    cuts = []
    for b in range(nb):
        cb = np.concatenate([c[(f["left"] != -1) & (f["feature"] == b)] for f, c in zip(forests, cuts_nodes)])
        cuts.append(np.unique(cb[(cb > 0) & (cb < N_DN)]))
    # concatenate every forest's nodes; node indices stay tree-relative (kernel adds tree_start)
    tree_start, forest_trees, base = [], [0], 0
    for f in forests:
        off = f["offsets"]
        tree_start += list(base + off[:-1])
        forest_trees.append(forest_trees[-1] + len(off) - 1)
        base += int(off[-1])
    k_lo = k_hi = 0
    resid = np.zeros(0)
    if loo:
        k_lo, k_hi = jackknife_ranks(len(loo), level)
        finite = np.all(np.isfinite(np.asarray(loo_resid, float)))
        if k_lo < 1 or k_hi > len(loo) or not finite:  # level not supported by n: no interval (said in summary)
            loo, forests, cuts_nodes = [], [forest], cuts_nodes[:1]
            forest_trees = forest_trees[:2]
            k_lo = k_hi = 0
        else:
            resid = np.asarray(loo_resid, float)
    sel = slice(0, len(forests))
    nodes = {
        "left": np.concatenate([f["left"] for f in forests[sel]]).astype(np.int64),
        "right": np.concatenate([f["right"] for f in forests[sel]]).astype(np.int64),
        "band": np.clip(np.concatenate([f["feature"] for f in forests[sel]]), 0, None).astype(np.int64),
        "cut": np.concatenate(cuts_nodes[sel]).astype(np.int64),
        "value": np.concatenate([f["value"] for f in forests[sel]]).astype(np.float64),
        "tree_start": np.asarray(tree_start[: forest_trees[-1]], np.int64),
        "forest_trees": np.asarray(forest_trees, np.int64),
        "loo_resid": resid,
        "k_lo": int(k_lo),
        "k_hi": int(k_hi),
    }
    sizes = [len(c) + 1 for c in cuts]
    n_cells = int(np.prod(sizes, dtype=object))
    model = CompiledModel(
        path="traversal", cuts=cuts, n_cells=n_cells, nodes=nodes, n_loo=len(loo), level=level if loo else None
    )
    if n_cells <= max_cells:
        strides = np.cumprod([1, *sizes[::-1]])[:-1][::-1]  # row-major over bands
        dns = np.arange(N_DN)
        model.luts = np.stack([np.searchsorted(c, dns, side="right") * s for c, s in zip(cuts, strides)]).astype(
            np.int32
        )
        reps = [np.concatenate([[1], c]) for c in cuts]  # first DN of each cell (DN 0 is nodata)
        grid = np.stack(np.meshgrid(*reps, indexing="ij"), axis=-1).reshape(-1, nb)
        model.table = model._eval(grid)
        model.path = "table"
    return model


def reference_mean_var(pipe, X) -> np.ndarray:
    """scikit-learn reference: (N, 2) forest mean (``pipe.predict``) and variance of the per-tree
    predictions (each tree's own ``predict``, accumulated in tree order)."""
    rf = pipe.named_steps["rf"]
    Xs = pipe.named_steps["scale"].transform(np.asarray(X, float)).astype(np.float32)
    mean = pipe.predict(np.asarray(X, float))
    acc = np.zeros(len(Xs))
    for t in rf.estimators_:  # streamed: holding every tree's predictions needs n_trees x N floats
        d = t.predict(Xs) - mean
        acc += d * d
    return np.column_stack([mean, acc / len(rf.estimators_)])


@dataclass
class DIModel:
    """Per-band lookup tables for the dissimilarity index of one model (Meyer & Pebesma 2021).

    ``defined`` False: the model has no AOA (no informative predictor, see :mod:`tarimhm.rf.aoa`);
    ``di`` is then NaN everywhere and ``threshold`` NaN."""

    sq: np.ndarray | None  # (n_train, 4, 65536): (u_b(DN) - z_jb)^2
    d_bar: float
    threshold: float
    defined: bool = True
    note: str = ""

    def di(self, dn: np.ndarray, dtype=np.float64) -> np.ndarray:
        dn = np.ascontiguousarray(dn, np.uint16)
        if not self.defined:
            return np.full(dn.shape[1:], np.nan, dtype)
        out = np.empty(dn.shape[1:], dtype)
        kernels.di_lut(dn, self.sq, self.d_bar, NODATA_DN, out)
        return out


def compile_di(aoa: dict | None) -> DIModel:
    """From the ``*_aoa.npz`` arrays (mean, sd, weights, train_scaled, d_bar, threshold): the scaled
    coordinate of every DN per band, u = (x - mean) / sd * w as :class:`tarimhm.rf.aoa.TrainDI`
    scales, squared against each training point. Sums run over bands in order, as scipy's cdist.
    ``aoa`` None or with ``aoa_defined`` False: an undefined model (no DI, no AOA)."""
    if aoa is None or not bool(aoa.get("aoa_defined", True)):
        note = "" if aoa is None else str(aoa.get("aoa_note", ""))
        return DIModel(None, float("nan"), float("nan"), defined=False, note=note)
    x = dn_to_reflectance(np.arange(N_DN))
    u = (
        (x[None, :] - np.asarray(aoa["mean"])[:, None])
        / np.asarray(aoa["sd"])[:, None]
        * np.asarray(aoa["weights"])[:, None]
    )  # (4, 65536)
    z = np.asarray(aoa["train_scaled"])  # (n, 4)
    sq = (u[None, :, :] - z[:, :, None]) ** 2
    return DIModel(np.ascontiguousarray(sq), float(aoa["d_bar"]), float(aoa["threshold"]))
