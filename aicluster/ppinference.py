"""Cluster-process null models and calibrated Monte Carlo inference for point patterns.

Part of the book's statistics library with :mod:`aicluster.pointpattern` (the summary
functions).  Contents:

* :func:`thomas_k`, :func:`matern_k` -- theoretical K of the Thomas and Matérn cluster
  processes, as spatstat's cluster-model tables;
* :func:`fit_cluster` -- minimum-contrast fit of either model to the isotropic K estimate (as
  spatstat's ``kppm(X ~ 1, clusters, method = "mincon", statistic = "K")``);
* :func:`simulate_cluster` -- simulation in a polygon window, optionally conditioned on n;
* :func:`mc_p_value`, :func:`mc_standard_error`, :func:`holm` -- Monte Carlo p-values with
  their standard error and Holm's (1979) step-down adjustment;
* :func:`holm_multipliers`, :func:`mc_decision` -- the standard error of a Holm-adjusted
  p-value, and a three-way verdict (reject, retain, or unsettled within two standard errors);
* :func:`sequential_mc_test` -- a Monte Carlo test that adds simulations until the p-value is
  more than two standard errors from its threshold (or a cap is reached);
* :func:`holm_family` -- a family of such tests, extended until every Holm-adjusted verdict is
  settled, with the statistics optionally computed in parallel processes.

Monte Carlo p-values are ``(1 + #{T_sim at least as extreme as T_obs}) / (N + 1)``; their
standard error is ``sqrt(p (1 - p) / N)``.
"""
from __future__ import annotations

import math
import multiprocessing
import sys
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.optimize import minimize

from . import pointpattern as pp

__all__ = ["ClusterFit", "thomas_k", "matern_k", "fit_cluster", "simulate_cluster",
           "mc_p_value", "mc_standard_error", "holm", "McTest", "sequential_mc_test",
           "holm_family", "contrast", "estimated_window", "grid_in", "nearest_target_distance",
           "distance_ratio", "holm_multipliers", "mc_decision", "DECISIONS"]


# --------------------------------------------------------------------------------------------
# Cluster processes
# --------------------------------------------------------------------------------------------


def thomas_k(r, kappa: float, scale: float) -> np.ndarray:
    """K of a Thomas process: parents of intensity ``kappa``, offspring displaced by an
    isotropic Gaussian of standard deviation ``scale``:
    ``K(r) = pi r² + (1 - exp(-r² / (4 scale²))) / kappa``."""
    r = np.asarray(r, dtype=float)
    return math.pi * r * r + (1.0 - np.exp(-r * r / (4.0 * scale * scale))) / kappa


def _matern_h(z: np.ndarray) -> np.ndarray:
    """CDF of the distance between two uniform points of a unit-diameter disc, at ``z`` =
    distance / (2 R) (spatstat's ``.MatClustHfun``)."""
    z = np.asarray(z, dtype=float)
    out = np.ones_like(z)
    ok = z < 1
    x = z[ok]
    out[ok] = 2.0 + (1.0 / math.pi) * ((8 * x * x - 4) * np.arccos(x) - 2 * np.arcsin(x)
                                       + 4 * x * np.sqrt((1 - x * x) ** 3)
                                       - 6 * x * np.sqrt(1 - x * x))
    return out


def matern_k(r, kappa: float, scale: float) -> np.ndarray:
    """K of a Matérn cluster process: offspring uniform in a disc of radius ``scale`` around
    parents of intensity ``kappa``: ``K(r) = pi r² + H(r / (2 scale)) / kappa``."""
    r = np.asarray(r, dtype=float)
    return math.pi * r * r + _matern_h(r / (2.0 * scale)) / kappa


_MODELS = {"thomas": thomas_k, "matern": matern_k}


def _model(model: str) -> str:
    key = str(model).lower()
    key = {"matclust": "matern", "matérn": "matern"}.get(key, key)
    if key not in _MODELS:
        raise ValueError(f"unknown cluster model {model!r}; use 'thomas' or 'matern'")
    return key


@dataclass(frozen=True)
class ClusterFit:
    """A fitted cluster process: parent intensity ``kappa`` (per unit area), ``scale``
    (Thomas: offspring sd; Matérn: disc radius), mean offspring per parent ``mu``, and the
    minimum-contrast discrepancy at the fit."""

    model: str
    kappa: float
    scale: float
    mu: float
    discrepancy: float


def contrast(k_obs, r, model: str, kappa: float, scale: float, q: float = 0.25,
             p: float = 2.0) -> float:
    """The minimum-contrast discrepancy ``sum_r |K_obs(r)^q - K_model(r)^q|^p`` on the grid."""
    theo = _MODELS[_model(model)](r, kappa, scale)
    return float(np.sum(np.abs(np.asarray(k_obs) ** q - theo**q) ** p))


def _k_on_grid(key: str, r: np.ndarray):
    """The model's K on a fixed grid as a function of (kappa, scale), with the terms that do
    not depend on them computed once (the same arithmetic as :func:`thomas_k`, so the same
    values; the minimum-contrast search evaluates it tens of thousands of times)."""
    if key != "thomas":
        return lambda kappa, scale: _MODELS[key](r, kappa, scale)
    pir2, neg_r2 = math.pi * r * r, -r * r

    def k(kappa, scale):
        return pir2 + (1.0 - np.exp(neg_r2 / (4.0 * scale * scale))) / kappa

    return k


def fit_cluster(points, window, model: str = "thomas", r=None, rmin: float | None = None,
                rmax: float | None = None, q: float = 0.25, p: float = 2.0) -> ClusterFit:
    """Minimum-contrast fit of a Thomas or Matérn cluster process (Diggle & Gratton 1984), as
    spatstat's ``kppm(X ~ 1, clusters, method = "mincon", statistic = "K")``.

    The isotropic K estimate on ``r`` (default: spatstat's 513-value grid) is compared with the
    model's K on ``rmin <= r <= rmax`` (default: the second grid value to the last) through
    ``sum |K_obs^q - K_model^q|^p`` (spatstat's ``q = 1/4, p = 2``), minimised over
    ``log kappa, log scale`` by Nelder-Mead from several starting scales, within ``kappa <=
    100 lambda`` and ``rmax / 1000 <= scale <= 2 rmax``; a fit that ends on those bounds has
    degenerated (to Poisson, or to one cluster filling the window) and raises ValueError.  ``mu = lambda /
    kappa`` with ``lambda = n / |W|``.
    """
    key = _model(model)
    win = pp._window(window)
    pts = pp._as_points(points, win)
    n = len(pts)
    r = pp._default_r(win, n) if r is None else pp._as_r(r)
    k_obs = pp.k_function(pts, win, r, "isotropic")
    lo = r[1] if rmin is None else rmin
    hi = r[-1] if rmax is None else rmax
    sub = (r >= lo) & (r <= hi)
    rr, kk = r[sub], k_obs[sub]
    lam = n / win.area
    k_model, kq = _k_on_grid(key, rr), kk**q  # the terms of contrast() that do not change

    def objective(theta):
        kappa, scale = np.exp(theta)
        # keep to models that are cluster processes of this pattern: at most 100 parents per
        # point (beyond, it is Poisson) and a scale between 1/1000 and 2 times rmax (beyond,
        # one cluster fills the window)
        if kappa > 100 * lam or not 1e-3 * hi <= scale <= 2 * hi:
            return np.inf
        value = float(np.sum(np.abs(kq - k_model(kappa, scale) ** q) ** p))  # contrast()
        return value if np.isfinite(value) else np.inf

    best = None
    for frac in (0.05, 0.1, 0.2, 0.4):
        start = np.log([lam / 5.0, frac * hi])
        res = minimize(objective, start, method="Nelder-Mead",
                       options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 4000})
        if best is None or res.fun < best.fun:
            best = res
    kappa, scale = np.exp(best.x)
    if not np.isfinite(best.fun) or kappa > 100 * lam or not 1e-3 * hi <= scale <= 2 * hi:
        raise ValueError("the minimum-contrast fit degenerated (no cluster process fits the "
                         "pattern better than a Poisson one)")
    return ClusterFit(key, float(kappa), float(scale), float(lam / kappa), float(best.fun))


def _offspring(key: str, parents: np.ndarray, counts: np.ndarray, scale: float,
               rng: np.random.Generator) -> np.ndarray:
    centres = np.repeat(parents, counts, axis=0)
    m = len(centres)
    if key == "thomas":
        return centres + rng.normal(0.0, scale, size=(m, 2))
    rad = scale * np.sqrt(rng.uniform(size=m))
    ang = rng.uniform(0.0, 2.0 * math.pi, size=m)
    return centres + np.column_stack([rad * np.cos(ang), rad * np.sin(ang)])


def simulate_cluster(fit: ClusterFit, window, rng=None, n: int | None = None,
                     max_tries: int = 100_000) -> np.ndarray:
    """One pattern of the fitted cluster process in ``window``.

    Parents are Poisson(``kappa``) in the window's bounding box dilated by ``4 scale``
    (Thomas) or ``scale`` (Matérn), as spatstat's ``rThomas``/``rMatClust`` expand the window;
    each has Poisson(``mu``) offspring; offspring outside the window are dropped.  With ``n``
    the pattern is conditioned on having exactly n points (rejection; raises after
    ``max_tries``), the null a Monte Carlo test with fixed n needs.
    """
    key = _model(fit.model)
    win = pp._window(window)
    rng = np.random.default_rng(rng)
    pad = (4.0 if key == "thomas" else 1.0) * fit.scale
    xmin, ymin, xmax, ymax = win.bounds
    lo, hi = np.array([xmin - pad, ymin - pad]), np.array([xmax + pad, ymax + pad])
    area = float(np.prod(hi - lo))
    if fit.kappa * area > 1e7:
        raise ValueError(f"{fit.kappa * area:.3g} expected parents: not a cluster process to "
                         "simulate")
    if n is None:
        return _cluster_tries(key, fit, win, lo, hi, area, 1, rng)[0]
    # Conditioning on n by rejection: independent tries are drawn in growing batches (one
    # vectorised draw per batch) and the first try with exactly n points is kept, which is
    # the same law as drawing them one at a time.
    # at most about a million parents drawn at once, whatever kappa is
    cap = max(1, min(4096, int(1_000_000 // (fit.kappa * area + 1.0))))
    tried, batch = 0, min(16, cap)
    while tried < max_tries:
        size = min(batch, max_tries - tried)
        for pts in _cluster_tries(key, fit, win, lo, hi, area, size, rng, n):
            return pts
        tried += size
        batch = min(4 * batch, cap)
    raise RuntimeError(f"no pattern with exactly {n} points in {max_tries} tries")


def _cluster_tries(key, fit, win, lo, hi, area, tries, rng, n=None) -> list:
    """``tries`` independent patterns of the cluster process in the window, drawn at once;
    with ``n``, only the first of them with exactly n points (or none)."""
    k = rng.poisson(fit.kappa * area, size=tries)
    counts = rng.poisson(fit.mu, size=int(k.sum()))
    # a parent without offspring leaves no trace: only the others need a position
    fertile = counts > 0
    owner = np.repeat(np.arange(tries), k)[fertile]
    counts = counts[fertile]
    parents = rng.uniform(lo, hi, size=(len(counts), 2))
    pts = _offspring(key, parents, counts, fit.scale, rng)
    owner = np.repeat(owner, counts)
    inside = shapely.contains_xy(win.geom, pts[:, 0], pts[:, 1]) if len(pts) else \
        np.zeros(0, bool)
    pts, owner = pts[inside], owner[inside]
    per_try = np.bincount(owner, minlength=tries)
    if n is None:
        return [pts[owner == t].reshape(-1, 2) for t in range(tries)]
    hit = np.flatnonzero(per_try == n)
    return [pts[owner == hit[0]].reshape(-1, 2)] if hit.size else []


# --------------------------------------------------------------------------------------------
# Monte Carlo p-values, their standard errors, Holm
# --------------------------------------------------------------------------------------------


def mc_p_value(observed: float, simulated, alternative: str = "greater") -> float:
    """``(1 + #{T_sim >= T_obs}) / (N + 1)`` (``"greater"``) or with ``<=`` (``"less"``)."""
    sims = np.asarray(simulated, dtype=float).reshape(-1)
    if sims.size == 0:
        raise ValueError("need at least one simulated value")
    if alternative == "greater":
        count = np.sum(sims >= observed)
    elif alternative == "less":
        count = np.sum(sims <= observed)
    else:
        raise ValueError(f"alternative must be 'greater' or 'less', got {alternative!r}")
    return float((1 + count) / (sims.size + 1))


def mc_standard_error(p: float, nsim: int) -> float:
    """Monte Carlo standard error of a p-value estimated from ``nsim`` simulations,
    ``sqrt(p (1 - p) / nsim)``."""
    if nsim < 1:
        raise ValueError("nsim must be at least 1")
    return math.sqrt(max(p * (1.0 - p), 0.0) / nsim)


def holm(p_values) -> np.ndarray:
    """Holm's (1979) step-down adjusted p-values: sorted ascending, ``p_(k) (m - k + 1)``,
    made monotone and capped at 1, returned in the input order."""
    p = np.asarray(p_values, dtype=float).reshape(-1)
    m = p.size
    order = np.argsort(p, kind="stable")
    adj = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


def holm_multipliers(p_values) -> np.ndarray:
    """The factor ``m - k + 1`` by which Holm's method multiplies each p-value (k its rank,
    ties in input order); the standard error of an adjusted Monte Carlo p-value is the raw
    one times this factor."""
    p = np.asarray(p_values, dtype=float).reshape(-1)
    rank = np.empty(p.size, dtype=int)
    rank[np.argsort(p, kind="stable")] = np.arange(p.size)
    return p.size - rank


DECISIONS = ("reject", "retain", "unsettled")


def mc_decision(p_value: float, se: float, alpha: float = 0.05, width: float = 2.0) -> str:
    """Three-way verdict of a Monte Carlo test at level ``alpha``: ``"reject"`` when the
    p-value is below alpha by at least ``width`` standard errors, ``"retain"`` when it is at
    or above alpha by at least as much, ``"unsettled"`` otherwise.

    Another run with another seed estimates the same p-value with the same standard error, so
    two runs give opposite settled verdicts only if they differ by ``2 width`` standard errors
    (with the default, less than one chance in ten thousand); what a seed can change is
    whether a p-value near alpha is called settled or not."""
    if se < 0 or not 0 <= p_value <= 1:
        raise ValueError("need 0 <= p <= 1 and a non-negative standard error")
    if p_value < alpha and alpha - p_value >= width * se:
        return "reject"
    if p_value >= alpha and p_value - alpha >= width * se:
        return "retain"
    return "unsettled"


@dataclass(frozen=True, eq=False)
class McTest:
    """A Monte Carlo test: observed statistic, simulated ones, alternative, p and its SE."""

    observed: float
    simulated: np.ndarray
    alternative: str

    @property
    def nsim(self) -> int:
        return int(self.simulated.size)

    @property
    def p_value(self) -> float:
        return mc_p_value(self.observed, self.simulated, self.alternative)

    @property
    def se(self) -> float:
        return mc_standard_error(self.p_value, self.nsim)

    @property
    def null_median(self) -> float:
        return float(np.median(self.simulated))

    def null_quantile(self, q: float) -> float:
        return float(np.quantile(self.simulated, q))


def sequential_mc_test(statistic: Callable, observed_pattern, simulate: Callable,
                       alternative: str, rng, nsim: int = 999, thresholds=(0.05,),
                       max_nsim: int = 9999) -> McTest:
    """A Monte Carlo test that keeps simulating while its p-value is within two standard
    errors of any of ``thresholds``, in rounds of ``nsim`` patterns, up to ``max_nsim``.

    ``simulate(rng)`` returns one null pattern, ``statistic(pattern)`` its statistic.  Adding
    simulations only narrows the estimate of the same exact p-value; the stopping rule decides
    how precisely it is known, not which way it falls.
    """
    rng = np.random.default_rng(rng)
    obs = float(statistic(observed_pattern))
    sims: list[float] = []
    while True:
        sims.extend(float(statistic(simulate(rng))) for _ in range(nsim))
        test = McTest(obs, np.asarray(sims), alternative)
        close = any(abs(test.p_value - t) < 2 * test.se for t in thresholds)
        if not close or len(sims) + nsim > max_nsim:
            return test


def holm_family(tests: dict, rngs: dict, nsim: int = 999, max_nsim: int = 9999,
                alpha: float = 0.05, processes: int = 1) -> dict:
    """Run a family of Monte Carlo tests and adjust them by Holm, simulating more where a
    verdict is not settled.

    ``tests`` maps a key to ``(statistic, observed pattern, simulate, alternative)`` as in
    :func:`sequential_mc_test`; ``rngs`` maps the same keys to generators.  Every test starts
    with ``nsim`` simulations; then, while the Holm-adjusted p-value of a test is within two of
    its standard errors (the raw SE times its Holm multiplier) of ``alpha``, that test gets
    ``nsim`` more, up to ``max_nsim``.  Returns ``{key: McTest}``; adjust with :func:`holm`.

    With ``processes`` > 1 the statistics of the simulated patterns are computed in that many
    forked worker processes on Linux (elsewhere fork is unsafe or missing: in this process).  The patterns are
    still drawn here, in order, from ``rngs``, so the results are the same for any
    ``processes``; statistics must not draw random numbers.
    """
    obs = {k: float(stat(pattern)) for k, (stat, pattern, _, _) in tests.items()}
    sims = {k: [] for k in tests}
    with _statistic_mapper({k: t[0] for k, t in tests.items()}, processes) as statistics:

        def extend(k):
            simulate = tests[k][2]
            sims[k].extend(statistics(k, [simulate(rngs[k]) for _ in range(nsim)]))

        for k in tests:
            extend(k)
        while True:
            res = {k: McTest(obs[k], np.asarray(sims[k]), tests[k][3]) for k in tests}
            keys = list(res)
            p = np.array([res[k].p_value for k in keys])
            adj, mult = holm(p), holm_multipliers(p)
            todo = [k for k, a, mu in zip(keys, adj, mult)
                    if mc_decision(a, mu * res[k].se, alpha) == "unsettled"
                    and res[k].nsim + nsim <= max_nsim]
            if not todo:
                return res
            for k in todo:
                extend(k)


_WORKER_STATISTICS: dict = {}  # the statistics of the family being run, for forked workers


def _statistic_in_worker(task) -> float:
    key, pattern = task
    return float(_WORKER_STATISTICS[key](pattern))


@contextmanager
def _statistic_mapper(statistics: dict, processes: int):
    """A function ``(key, patterns) -> [statistic of each pattern]``, in order; computed in
    ``processes`` forked workers when more than one is asked for, on Linux.
    The workers inherit ``statistics`` (closures need not be picklable); only the patterns
    and the results cross between processes."""
    if int(processes) < 1:
        raise ValueError(f"processes must be at least 1, got {processes}")
    if processes == 1 or not sys.platform.startswith("linux"):
        yield lambda k, patterns: [float(statistics[k](x)) for x in patterns]
        return
    global _WORKER_STATISTICS
    _WORKER_STATISTICS = statistics  # before the fork, so that every worker has them
    try:
        with multiprocessing.get_context("fork").Pool(int(processes)) as pool:
            def mapped(k, patterns):
                chunk = max(1, len(patterns) // (4 * int(processes)))
                return pool.map(_statistic_in_worker, [(k, x) for x in patterns], chunk)

            yield mapped
    finally:
        _WORKER_STATISTICS = {}


# --------------------------------------------------------------------------------------------
# Windows estimated from the pattern, and statistics that carry their window with them
# --------------------------------------------------------------------------------------------


def estimated_window(points, clip=None):
    """The Ripley & Rasson (1977) estimate of the convex region the points come from
    (:func:`aicluster.pointpattern.ripley_rasson_window`), intersected with ``clip``.

    When every point is a hull vertex the estimate is undefined; the hull is then enlarged by
    the factor of ``m = n - 1``, ``sqrt(n)``.  A test that uses this window must re-estimate it
    in every simulated pattern (pass a statistic that calls this function to
    :func:`sequential_mc_test`), so that the null distribution includes the choice of the window.
    ``points`` should be distinct.
    """
    pts = np.asarray(points, dtype=float)
    try:
        win = pp.ripley_rasson_window(pts)
    except ValueError:
        # every point a hull vertex (m = n): the estimate is undefined; use the factor of
        # m = n - 1, the largest defined one, rather than fail in a simulated pattern
        from shapely import affinity
        from shapely.geometry import MultiPoint
        hull = MultiPoint([tuple(p) for p in pts]).convex_hull
        f = math.sqrt(len(pts))
        win = affinity.scale(hull, f, f, origin=hull.centroid)
    if clip is not None:
        win = shapely.make_valid(win.intersection(clip))
        if win.geom_type == "GeometryCollection":
            polys = [g for g in win.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
            win = shapely.union_all(polys)
    if win.is_empty or win.area <= 0:
        raise ValueError("the estimated window is empty")
    return win


def grid_in(window, cell: float) -> np.ndarray:
    """Centres of a square grid of ``cell`` units that fall inside ``window`` (quadrature)."""
    xmin, ymin, xmax, ymax = window.bounds
    xs = np.arange(xmin + cell / 2, xmax, cell)
    ys = np.arange(ymin + cell / 2, ymax, cell)
    gx, gy = np.meshgrid(xs, ys)
    gx, gy = gx.ravel(), gy.ravel()
    inside = shapely.contains_xy(window, gx, gy)
    if not inside.any():
        raise ValueError(f"no grid cell of {cell} fits in the window")
    return np.column_stack([gx[inside], gy[inside]])


def nearest_target_distance(points, targets) -> np.ndarray:
    """Distance from each point to its nearest target (KD-tree)."""
    from scipy.spatial import cKDTree

    d, _ = cKDTree(np.asarray(targets, dtype=float)).query(np.asarray(points, dtype=float))
    return d


def distance_ratio(points, targets, window, cell: float = 50.0) -> float:
    """Mean distance from the points to their nearest target, divided by the same mean over
    the whole window (a ``cell`` grid): below 1 when the points sit closer to the targets than
    the window's average place.  Dividing by the window's own average makes the statistic
    comparable between a pattern and simulated patterns whose windows differ."""
    own = nearest_target_distance(points, targets).mean()
    return float(own / nearest_target_distance(grid_in(window, cell), targets).mean())
