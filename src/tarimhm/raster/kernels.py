"""Compiled per-pixel kernels (numba). Written by hand because no library evaluates a forest
on integer DN cut points with scikit-learn's exact arithmetic, builds DI from per-band lookup
tables, or takes a NaN-aware 5x5 median fast enough for 10 basin maps (scipy's
``generic_filter(np.nanmedian)`` is the reference in the tests, ~10^4 times slower).

Kernels are parallel over rows or pixel chunks (numba ``prange``); the engine sets one thread per worker
process (``numba.set_num_threads``) so tile processes and threads never oversubscribe the cores.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["forest_eval", "lut_predict", "di_lut", "nanmedian5"]


@njit(cache=True, nogil=True)
def _walk(dn_row, left, right, band, cut, start):
    """Leaf node reached by one sample: go left iff DN < cut (<=> float32(x) <= threshold)."""
    node = start
    while left[node] != -1:
        if dn_row[band[node]] < cut[node]:
            node = left[node] + start
        else:
            node = right[node] + start
    return node


@njit(cache=True, nogil=True, parallel=True)
def forest_eval(dn, left, right, band, cut, value, tree_start, forest_trees, lo_fac, hi_fac, k_lo, k_hi):
    """Evaluate the reference forest and (optionally) its leave-one-out forests on DN rows.

    dn: (N, 4) DN per band. Forest f owns trees forest_trees[f]..forest_trees[f+1]-1; tree t
    starts at node tree_start[t]. Forest 0 is the reference model; forests 1..n are the
    jackknife+ leave-one-out models mu_-i, with the factors exp(-R_i), exp(R_i) of their log
    residuals R_i = |ln y_i - ln mu_-i(x_i)| (``compile.jackknife_factors``).
    Returns (N, 4) float64: mean, variance across trees, jackknife+ lower, upper on ln C,
    back-transformed: the k_lo-th smallest of mu_-i * exp(-R_i) and the k_hi-th smallest of
    mu_-i * exp(R_i) (NaN without LOO forests). Sums run tree by tree in order, as
    ForestRegressor.predict (n_jobs=1) does.
    """
    n = dn.shape[0]
    out = np.full((n, 4), np.nan)
    t0, t1 = forest_trees[0], forest_trees[1]
    nt = t1 - t0
    n_loo = forest_trees.shape[0] - 2
    chunk = 1024
    for ci in prange((n + chunk - 1) // chunk):
        vals = np.empty(nt)
        lo = np.empty(max(n_loo, 1))
        hi = np.empty(max(n_loo, 1))
        for i in range(ci * chunk, min(n, (ci + 1) * chunk)):
            row = dn[i]
            acc = 0.0
            for t in range(t0, t1):
                v = value[_walk(row, left, right, band, cut, tree_start[t])]
                vals[t - t0] = v
                acc += v
            mean = acc / nt
            acc2 = 0.0
            for k in range(nt):
                d = vals[k] - mean
                acc2 += d * d
            out[i, 0] = mean
            out[i, 1] = acc2 / nt
            if n_loo > 0:
                for f in range(n_loo):
                    a, b = forest_trees[f + 1], forest_trees[f + 2]
                    s = 0.0
                    for t in range(a, b):
                        s += value[_walk(row, left, right, band, cut, tree_start[t])]
                    mu = s / (b - a)
                    lo[f] = mu * lo_fac[f]
                    hi[f] = mu * hi_fac[f]
                out[i, 2] = np.sort(lo[:n_loo])[k_lo - 1]
                out[i, 3] = np.sort(hi[:n_loo])[k_hi - 1]
    return out


LUT_CHUNK = 65536  # pixels per parallel work item of lut_predict


@njit(cache=True, nogil=True, parallel=True)
def lut_predict(d0, d1, d2, d3, l0, l1, l2, l3, nan_row, nk, t0, t1, t2, t3, o0, o1, o2, o3):
    """o_k[i] = t_k[min(sum_b l_b[d_b[i]], nan_row)] for the first nk of 4 outputs.

    Flat per-band DN arrays d_b, per-band LUTs l_b (strided cell offsets; the nodata DN maps to
    nan_row, which is >= every valid cell sum, so ``min`` sends any pixel with a nodata band to
    the NaN row t_k[nan_row] without a branch), per-output 1-D tables t_k. LUTs are uint16 when
    the table is small enough, else int32. Separate 1-D arguments and the fused loop are ~1.3x
    faster than a 2-D table with an inner output loop, uint16 LUTs ~2x faster than int32 (measured).
    Parallel over chunks of flat pixels, so any block shape uses every thread.
    """
    n = d0.shape[0]
    for ch in prange((n + LUT_CHUNK - 1) // LUT_CHUNK):
        a = ch * LUT_CHUNK
        b = min(n, a + LUT_CHUNK)
        for i in range(a, b):
            j = min(np.int64(l0[d0[i]]) + l1[d1[i]] + l2[d2[i]] + l3[d3[i]], nan_row)
            o0[i] = t0[j]
            if nk > 1:
                o1[i] = t1[j]
                if nk > 2:
                    o2[i] = t2[j]
                    o3[i] = t3[j]


@njit(cache=True, nogil=True, parallel=True)
def di_lut(dn, sq, d_bar, nodata, out):
    """DI = sqrt(min_j sum_b sq[j, b, dn_b]) / d_bar, sq[j, b, v] = (u_b(v) - z_jb)^2 (see compile)."""
    nb, h, w = dn.shape
    nj = sq.shape[0]
    for r in prange(h):
        for c in range(w):
            bad = False
            for b in range(nb):
                if dn[b, r, c] == nodata:
                    bad = True
            if bad:
                out[r, c] = np.nan
                continue
            best = np.inf
            for j in range(nj):
                s = 0.0
                for b in range(nb):
                    s += sq[j, b, dn[b, r, c]]
                if s < best:
                    best = s
            out[r, c] = np.sqrt(best) / d_bar


@njit(cache=True, nogil=True, parallel=True)
def nanmedian5(a, out):
    """5x5 median over the non-NaN values of ``a`` (NaN centre or no valid value -> NaN),
    cropping a 2-pixel halo: out has shape (h - 4, w - 4). Even counts average the two middle
    values, as numpy.nanmedian does. Fast path: all 25 values equal the centre."""
    h, w = a.shape
    for r in prange(2, h - 2):
        buf = np.empty(25, a.dtype)
        for c in range(2, w - 2):
            centre = a[r, c]
            if np.isnan(centre):
                out[r - 2, c - 2] = np.nan
                continue
            same = True
            for dr in range(-2, 3):
                for dc in range(-2, 3):
                    if a[r + dr, c + dc] != centre:
                        same = False
            if same:
                out[r - 2, c - 2] = centre
                continue
            m = 0
            for dr in range(-2, 3):
                for dc in range(-2, 3):
                    v = a[r + dr, c + dc]
                    if not np.isnan(v):
                        # insertion sort into buf[:m]
                        j = m
                        while j > 0 and buf[j - 1] > v:
                            buf[j] = buf[j - 1]
                            j -= 1
                        buf[j] = v
                        m += 1
            if m % 2 == 1:
                out[r - 2, c - 2] = buf[m // 2]
            else:
                out[r - 2, c - 2] = (buf[m // 2 - 1] + buf[m // 2]) / 2


@njit(cache=True, nogil=True, parallel=True)
def halve(s, n, unit, out_s, out_n):
    """2x2 block sums of s (NaN counts as missing) and of the counts n (or 1 per value when
    ``unit``) over the last two axes, odd edges taking the pixels there are; summed in float64 in
    the fixed order (r, c), (r, c+1), (r+1, c), (r+1, c+1), so aligned tiles give exactly the
    sums of the whole grid."""
    nb, h, w = s.shape
    ho, wo = out_s.shape[1], out_s.shape[2]
    for b in range(nb):
        for r in prange(ho):
            for c in range(wo):
                acc = 0.0
                cnt = 0
                for dr in range(2):
                    rr = 2 * r + dr
                    if rr >= h:
                        continue
                    for dc in range(2):
                        cc = 2 * c + dc
                        if cc >= w:
                            continue
                        v = s[b, rr, cc]
                        if not np.isnan(v):
                            acc += v
                            cnt += 1 if unit else n[b, rr, cc]
                out_s[b, r, c] = acc
                out_n[b, r, c] = cnt
