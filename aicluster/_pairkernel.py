"""Compiled pair kernel of :mod:`aicluster.pointpattern` (numba): Ripley's K sums over the pairs
closer than r_max, found with a cell list; no correction, or the isotropic or translation
correction in a rectangle.

Points are sorted into a grid of cells about r_max / 3 wide (coarser when there would be more
cells than points), and each point is compared only with the later points of its own row of
cells and the next rows within r_max: the cost grows with the number of close pairs, not with
n², and the memory with n (a few arrays per point), not with the number of pairs.

The kernel applies the numpy engine's rules (:func:`aicluster.pointpattern._k_sums`): the pair
test ``dx*dx + dy*dy < rmax*rmax`` (spatstat's strict rule at the top of the r grid), ``d =
sqrt(dx*dx + dy*dy)``, the bin ``searchsorted(r, d, "left")`` and, per ordered pair whose circle
reaches the boundary, the rectangle's closed-form isotropic weight term by term.  Two things
differ at the last bit: the weight uses ``acos`` from fdlibm (:func:`fast_acos`, within one unit
in the last place of the C library's) and multiplies by ``1/d`` and ``1/(2 pi)`` where numpy
divides, and the sums run in another order; ``tests/test_pointpattern_kernel.py`` holds the two
engines to 1e-12.

Compiled functions are cached on disk (``cache=True``: numba writes them to
``aicluster/__pycache__``, ignored by git, or to ``NUMBA_CACHE_DIR``), so only the first call
after an install or an edit of this file pays the compilation (a few seconds).
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

_INV_TWO_PI = 1.0 / (2.0 * math.pi)
#: Cells about r_max / _SPLIT wide: fewer pairs to test than with r_max-wide cells (2.7 r² of
#: area per point instead of 4.5 r²) for a few more, contiguous, ranges.
_SPLIT = 3
#: At most this many cells per point (and per axis at most 4096): small patterns in large
#: windows get coarser cells rather than a large empty grid.
_CELLS_PER_POINT = 4

# fdlibm e_acos.c (Sun Microsystems, 1993, freely redistributable): pi/2 in two parts and the
# rational approximation of (asin(x) - x) / x^3 on [0, 0.5].
_PIO2_HI = 1.57079632679489655800e00
_PIO2_LO = 6.12323399573676603587e-17
_PS0 = 1.66666666666666657415e-01
_PS1 = -3.25565818622400915405e-01
_PS2 = 2.01212532134862925881e-01
_PS3 = -4.00555345006794114027e-02
_PS4 = 7.91534994289814532176e-04
_PS5 = 3.47933107596021167570e-05
_QS1 = -2.40339491173441421878e00
_QS2 = 2.02094576023350569471e00
_QS3 = -6.88283971605453293030e-01
_QS4 = 7.70381505559019352791e-02


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def fast_acos(x):
    """``acos(x)`` for ``0 <= x <= 1``: fdlibm's algorithm (error under one unit in the last
    place), inlined and without the C library's slow paths; the isotropic weight calls it about
    once per pair, and glibc's ``acos`` was a third of the kernel's time.  ``x * (1/d)`` can
    round to 1 (or a hair above) where numpy's ``x / d`` gives 1: both get 0."""
    if x >= 1.0:
        return 0.0
    if x < 0.5:
        z = x * x
        p = z * (_PS0 + z * (_PS1 + z * (_PS2 + z * (_PS3 + z * (_PS4 + z * _PS5)))))
        q = 1.0 + z * (_QS1 + z * (_QS2 + z * (_QS3 + z * _QS4)))
        return _PIO2_HI - (x - (_PIO2_LO - x * (p / q)))
    z = (1.0 - x) * 0.5
    p = z * (_PS0 + z * (_PS1 + z * (_PS2 + z * (_PS3 + z * (_PS4 + z * _PS5)))))
    q = 1.0 + z * (_QS1 + z * (_QS2 + z * (_QS3 + z * _QS4)))
    s = math.sqrt(z)
    t = s * 134217729.0  # Veltkamp split: df keeps s's high 26 bits, so df*df is exact
    df = t - (t - s)
    c = (z - df * df) / (s + df)
    return 2.0 * (df + ((p / q) * s + c))


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _bin(r, d, inv_step, even):
    """``np.searchsorted(r, d, side="left")``: the first k with ``r[k] >= d`` (by arithmetic on
    an even grid, corrected against the grid values; by bisection otherwise)."""
    nr = r.shape[0]
    if even:
        x = math.ceil((d - r[0]) * inv_step)
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


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _iso_excess(p, d, inv_d, dist, ang, corner, maxweight):
    """``w - 1`` for the isotropic weight of the circle centred at point p with radius d
    (pointpattern._iso_weights_rect_reaching, term by term): the arc outside each side the
    circle crosses, truncated at the corner directions; weight clipped to [1, maxweight]."""
    ext = 0.0
    for side in range(4):
        ds = dist[p, side]
        if ds < d:
            a = fast_acos(ds * inv_d)
            ext += min(a, ang[p, 2 * side]) + min(a, ang[p, 2 * side + 1])
    frac = 1.0 - ext * _INV_TWO_PI
    if corner[p]:
        frac -= 0.25
    w = math.inf if frac <= 0.0 else 1.0 / frac
    if w < 1.0:
        w = 1.0
    elif w > maxweight:
        w = maxweight
    return w - 1.0


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _trans_weight(dx, dy, sides, area, maxweight):
    """pointpattern._trans_weights for one displacement in a rectangle with sides ``sides``."""
    overlap = max(sides[0] - abs(dx), 0.0) * max(sides[1] - abs(dy), 0.0)
    w = math.inf if overlap == 0.0 else area / overlap
    return min(w, maxweight)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _grid(xs, ys, rmax):
    """Cell grid of one pattern: cells per axis, cell sizes and how many cells r_max spans."""
    n = xs.shape[0]
    x0, y0 = xs.min(), ys.min()
    spanx, spany = xs.max() - x0, ys.max() - y0
    target = rmax / _SPLIT
    if spanx * spany > _CELLS_PER_POINT * n * target * target:
        target = math.sqrt(spanx * spany / (_CELLS_PER_POINT * n))
    nx = max(1, min(4096, int(spanx / target))) if target > 0 else 1
    ny = max(1, min(4096, int(spany / target))) if target > 0 else 1
    wx = spanx / nx if nx > 1 else 1.0
    wy = spany / ny if ny > 1 else 1.0
    # |x_j - x_i| < rmax puts j at most ceil(rmax / wx) cells from i (slack for rounding)
    reach_x = nx if nx == 1 else min(nx, int(math.ceil(rmax * (1.0 + 1e-9) / wx)))
    reach_y = ny if ny == 1 else min(ny, int(math.ceil(rmax * (1.0 + 1e-9) / wy)))
    return x0, y0, nx, ny, wx, wy, reach_x, reach_y


@numba.njit(cache=True, nogil=True, error_model="numpy")
def k_hist(patterns, r, rmax, even, step, mode, dist, ang, corner, bd, maxweight, sides, area):
    """Per pattern and bin k (0..nr, nr = beyond the grid): the number of unordered pairs with
    ``dx² + dy² < rmax²`` whose distance falls in bin k, and the sum of ``e_ij - 1`` over their
    ordered pairs.  ``mode``: 0 no correction (the excess is zero), 1 isotropic (``dist``
    (4, N), ``ang`` (8, N), ``corner``, ``bd`` are pointpattern._rect_point_terms of
    ``patterns.reshape(-1, 2)``), 2 translation in a rectangle with sides ``sides`` and area
    ``area`` (weight ``area / ((a - |dx|) (b - |dy|))``, clipped at ``maxweight``)."""
    m, n = patterns.shape[0], patterns.shape[1]
    nr = r.shape[0]
    counts = np.zeros((m, nr + 1), np.int64)
    excess = np.zeros((m, nr + 1))
    r2 = rmax * rmax
    inv_step = 1.0 / step
    cid = np.empty(n, np.int64)
    # the pattern's points (and their edge terms) in cell order: neighbours are contiguous
    xs_s, ys_s = np.empty(n), np.empty(n)
    dist_s, ang_s = np.empty((n, 4)), np.empty((n, 8))
    bd_s, cor_s = np.empty(n), np.empty(n, np.bool_)
    for g in range(m):
        xs, ys = patterns[g, :, 0], patterns[g, :, 1]
        x0, y0, nx, ny, wx, wy, reach_x, reach_y = _grid(xs, ys, rmax)
        start = np.zeros(nx * ny + 1, np.int64)
        for p in range(n):
            cx = min(nx - 1, int((xs[p] - x0) / wx))
            cy = min(ny - 1, int((ys[p] - y0) / wy))
            cid[p] = cy * nx + cx
            start[cid[p] + 1] += 1
        for c in range(nx * ny):
            start[c + 1] += start[c]
        fill = start[:-1].copy()
        base = g * n
        for p in range(n):
            q = fill[cid[p]]
            fill[cid[p]] += 1
            xs_s[q], ys_s[q] = xs[p], ys[p]
            if mode == 1:
                for s in range(4):
                    dist_s[q, s] = dist[s, base + p]
                for s in range(8):
                    ang_s[q, s] = ang[s, base + p]
                bd_s[q], cor_s[q] = bd[base + p], corner[base + p]
        for cy in range(ny):
            for cx in range(nx):
                for a in range(start[cy * nx + cx], start[cy * nx + cx + 1]):
                    xi, yi = xs_s[a], ys_s[a]
                    left, right = max(0, cx - reach_x), min(nx - 1, cx + reach_x)
                    for row in range(cy, min(ny, cy + reach_y + 1)):
                        # this row: the later points up to reach_x cells right; rows above:
                        # reach_x cells either side (cells are numbered row by row)
                        lo = a + 1 if row == cy else start[row * nx + left]
                        hi = start[row * nx + right + 1]
                        for b in range(lo, hi):
                            dx = xs_s[b] - xi
                            dy = ys_s[b] - yi
                            d2 = dx * dx + dy * dy
                            if d2 < r2:
                                d = math.sqrt(d2)
                                kb = _bin(r, d, inv_step, even)
                                counts[g, kb] += 1
                                if mode == 1:
                                    inv_d = 1.0 / d
                                    ex = 0.0
                                    if bd_s[a] < d:
                                        ex += _iso_excess(a, d, inv_d, dist_s, ang_s, cor_s,
                                                          maxweight)
                                    if bd_s[b] < d:
                                        ex += _iso_excess(b, d, inv_d, dist_s, ang_s, cor_s,
                                                          maxweight)
                                    excess[g, kb] += ex
                                elif mode == 2:
                                    w = _trans_weight(dx, dy, sides, area, maxweight)
                                    excess[g, kb] += (w - 1.0) + (w - 1.0)
    return counts, excess
