"""Compiled pair kernel of :mod:`aicluster.pointpattern` (numba): Ripley's K sums over the pairs
closer than r_max, found with a cell list, with no or isotropic edge correction in a rectangle.

The kernel visits only the pairs in the same or neighbouring cells of a grid whose cells are at
least r_max wide, so its cost grows with the number of close pairs, not with n², and its memory
with n (a few arrays per point), not with the number of pairs.  It does the same floating-point
operations as the numpy engine (:func:`aicluster.pointpattern._k_sums_rect_iso`): the pair test
``dx*dx + dy*dy < rmax*rmax`` (spatstat's strict rule at the top of the r grid), ``d = sqrt``,
the bin ``searchsorted(r, d, "left")`` and, per ordered pair whose circle reaches the boundary,
the rectangle's closed-form weight in the same order of operations; only the order in which the
weights are summed differs (the tests hold the two engines to 1e-12).

Compiled functions are cached on disk (``cache=True``: numba writes them to
``aicluster/__pycache__``, or to ``NUMBA_CACHE_DIR``), so only the first call after an install
or a change of this file pays the compilation.
"""

from __future__ import annotations

import math

import numpy as np

try:
    import numba
except ImportError as err:  # a pinned requirement: no silent fallback to another engine
    raise ImportError(
        "aicluster.pointpattern needs numba (pinned in requirements.txt) for its pair kernel: "
        "install the project's requirements, e.g. `pip install -r requirements.txt`"
    ) from err

_TWO_PI = 2.0 * math.pi
#: Cells per axis at most (per pattern): enough that a cell holds a few points at any n.
_MAX_CELLS_PER_AXIS = 1024


@numba.njit(cache=True, nogil=True)
def _bin(r, d, step, even):
    """``np.searchsorted(r, d, side="left")``: the first k with ``r[k] >= d``."""
    nr = r.shape[0]
    if even:
        x = math.ceil((d - r[0]) * (1.0 / step))
        b = 0 if x < 0.0 else (nr if x > nr else int(x))
        while b > 0 and r[b - 1] >= d:
            b -= 1
        while b < nr and r[b] < d:
            b += 1
        return b
    lo, hi = 0, nr
    while lo < hi:
        mid = (lo + hi) // 2
        if r[mid] < d:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True, nogil=True)
def _iso_excess(e, d, dist, ang, corner, maxweight):
    """``w - 1`` for the isotropic weight of the circle centred at point e with radius d that
    reaches the rectangle's boundary (pointpattern._iso_weights_rect_reaching, term by term)."""
    ext = 0.0
    for side in range(4):
        ds = dist[side, e]
        if ds < d:
            a = math.acos(ds / d)
            ext += min(a, ang[2 * side, e]) + min(a, ang[2 * side + 1, e])
    frac = 1.0 - ext / _TWO_PI
    if corner[e]:
        frac -= 0.25
    w = math.inf if frac <= 0.0 else 1.0 / frac
    if w < 1.0:
        w = 1.0
    elif w > maxweight:
        w = maxweight
    return w - 1.0


@numba.njit(cache=True, nogil=True)
def _trans_weight(dx, dy, sides, area, maxweight):
    """pointpattern._trans_weights for one displacement in a rectangle."""
    ox = sides[0] - abs(dx)
    oy = sides[1] - abs(dy)
    overlap = max(ox, 0.0) * max(oy, 0.0)
    w = math.inf if overlap == 0.0 else area / overlap
    return min(w, maxweight)


@numba.njit(cache=True, nogil=True)
def k_hist(patterns, r, rmax, even, step, mode, dist, ang, corner, bd, maxweight, sides, area):
    """Per pattern and bin k (0..nr, nr = beyond the grid): the number of unordered pairs with
    ``dx² + dy² < rmax²`` whose distance falls in bin k, and the sum of ``e_ij - 1`` over their
    ordered pairs.  ``mode``: 0 no correction (the excess is zero), 1 isotropic (``dist``,
    ``ang``, ``corner``, ``bd`` are pointpattern._rect_point_terms of
    ``patterns.reshape(-1, 2)``), 2 translation in a rectangle with sides ``sides`` and area
    ``area`` (weight ``area / ((a - |dx|) (b - |dy|))``, clipped at ``maxweight``)."""
    m, n = patterns.shape[0], patterns.shape[1]
    nr = r.shape[0]
    counts = np.zeros((m, nr + 1), np.int64)
    excess = np.zeros((m, nr + 1))
    r2 = rmax * rmax
    cell = rmax * (1.0 + 1e-9)  # cells at least r_max wide: close pairs are in adjacent cells
    cid = np.empty(n, np.int64)
    order = np.empty(n, np.int64)
    for g in range(m):
        xs = patterns[g, :, 0]
        ys = patterns[g, :, 1]
        x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
        nx = max(1, min(_MAX_CELLS_PER_AXIS, int((x1 - x0) / cell)))
        ny = max(1, min(_MAX_CELLS_PER_AXIS, int((y1 - y0) / cell)))
        wx = (x1 - x0) / nx if nx > 1 else 1.0
        wy = (y1 - y0) / ny if ny > 1 else 1.0
        start = np.zeros(nx * ny + 1, np.int64)
        for p in range(n):
            cx = min(nx - 1, int((xs[p] - x0) / wx)) if nx > 1 else 0
            cy = min(ny - 1, int((ys[p] - y0) / wy)) if ny > 1 else 0
            cid[p] = cy * nx + cx
            start[cid[p] + 1] += 1
        for c in range(nx * ny):
            start[c + 1] += start[c]
        fill = start[:-1].copy()
        for p in range(n):
            order[fill[cid[p]]] = p
            fill[cid[p]] += 1
        base = g * n
        for cy in range(ny):
            for cx in range(nx):
                c = cy * nx + cx
                for a in range(start[c], start[c + 1]):
                    i = order[a]
                    xi, yi = xs[i], ys[i]
                    # the cell itself (later points), then four of its eight neighbours
                    for k in range(5):
                        if k == 0:
                            nb, lo = c, a + 1
                        else:
                            ox = 1 if k == 1 else k - 3  # (1,0), (-1,1), (0,1), (1,1)
                            oy = 0 if k == 1 else 1
                            ncx, ncy = cx + ox, cy + oy
                            if ncx < 0 or ncx >= nx or ncy >= ny:
                                continue
                            nb = ncy * nx + ncx
                            lo = start[nb]
                        for b in range(lo, start[nb + 1]):
                            j = order[b]
                            dx = xs[j] - xi
                            dy = ys[j] - yi
                            d2 = dx * dx + dy * dy
                            if d2 < r2:
                                d = math.sqrt(d2)
                                kb = _bin(r, d, step, even)
                                counts[g, kb] += 1
                                if mode == 1:
                                    if bd[base + i] < d:
                                        excess[g, kb] += _iso_excess(base + i, d, dist, ang,
                                                                     corner, maxweight)
                                    if bd[base + j] < d:
                                        excess[g, kb] += _iso_excess(base + j, d, dist, ang,
                                                                     corner, maxweight)
                                elif mode == 2:
                                    w = _trans_weight(dx, dy, sides, area, maxweight)
                                    excess[g, kb] += (w - 1.0) + (w - 1.0)
    return counts, excess
