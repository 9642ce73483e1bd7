"""General statistics of small point patterns, used by the chapter "Do AI firms cluster?".

Everything here works on ``(n, 2)`` arrays of coordinates in metres (EPSG:4548) and shapely
polygons in the same CRS, and knows nothing of the book's places or wording: coincident points
and distinct locations, study windows (Ripley-Rasson core, buffers), a Monte Carlo proximity
test, displacement within precision discs, Matern cluster patterns and the power of the
Clark-Evans test, DBSCAN and HDBSCAN over grids of settings, Gaussian kernel density with a
cross-validated bandwidth, and centrography.  The point-pattern summaries themselves
(Clark-Evans, K/L, envelopes, CSR) are in :mod:`aicluster.pointpattern`, the inference (cluster
processes, sequential Monte Carlo tests, Holm) in :mod:`aicluster.ppinference`.  The chapter's
tables, glued values and sentences are written in the chapter itself.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry import MultiPolygon, Polygon

from . import pointpattern as pp
from . import ppinference as ppi

#: Points closer than this (metres) are treated as one location.
COINCIDENT_TOL_M = 1.0
#: Default fixed kernel bandwidths (metres).
FIXED_BANDWIDTHS_M = (500.0, 1000.0, 2000.0)
#: Candidate bandwidths for likelihood cross-validation (metres, log-spaced 100 m - 5 km).
CV_BANDWIDTHS_M = np.geomspace(100.0, 5000.0, 60)
#: Default walking-scale DBSCAN radii (metres), checked beside the k-distance knee.
WALK_EPS_M = (300.0, 500.0, 750.0, 1000.0, 1500.0)


# --------------------------------------------------------------------------------------------
# Coincident points
# --------------------------------------------------------------------------------------------


def _xy(points) -> np.ndarray:
    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or not np.all(np.isfinite(pts)):
        raise ValueError(f"points must be a finite (n, 2) array, got shape {pts.shape}")
    return pts


def location_labels(points, tol: float = COINCIDENT_TOL_M) -> np.ndarray:
    """Label each point with its location: points within ``tol`` metres (chained) share a label.

    Labels are numbered in order of first appearance, so they do not depend on the KD-tree.
    """
    pts = _xy(points)
    n = len(pts)
    if n == 0:
        return np.zeros(0, dtype=int)
    pairs = cKDTree(pts).query_pairs(tol, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, raw = connected_components(graph, directed=False)
    first = {}
    return np.array([first.setdefault(lab, len(first)) for lab in raw], dtype=int)


def distinct_locations(points, tol: float = COINCIDENT_TOL_M) -> tuple[np.ndarray, np.ndarray]:
    """The distinct locations (first point of each group) and how many points share each."""
    pts = _xy(points)
    labels = location_labels(pts, tol)
    first = np.array([np.flatnonzero(labels == k)[0] for k in range(labels.max(initial=-1) + 1)],
                     dtype=int)
    return pts[first], np.bincount(labels)


def coincident_groups(points, tol: float = COINCIDENT_TOL_M) -> list[np.ndarray]:
    """Index arrays of the groups of two or more points that share one location."""
    labels = location_labels(points, tol)
    groups = [np.flatnonzero(labels == k) for k in range(labels.max(initial=-1) + 1)]
    return [g for g in groups if len(g) > 1]


# --------------------------------------------------------------------------------------------
# Study windows
# --------------------------------------------------------------------------------------------


def polygonal(geom) -> Polygon | MultiPolygon:
    """The polygonal part of a geometry (intersections can return lines or collections)."""
    geom = shapely.make_valid(geom)
    if isinstance(geom, (Polygon, MultiPolygon)):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, (Polygon, MultiPolygon))]
    polys = [p for part in parts for p in getattr(part, "geoms", [part])]
    if not polys:
        raise ValueError("the geometry has no polygonal part")
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def check_window(window, points=None) -> Polygon | MultiPolygon:
    """Validate a study window: a valid, non-empty polygon that contains all ``points``."""
    if not isinstance(window, (Polygon, MultiPolygon)) or window.is_empty:
        raise ValueError("a window must be a non-empty polygon")
    if not window.is_valid:
        raise ValueError(f"invalid window: {shapely.is_valid_reason(window)}")
    if window.area <= 0:
        raise ValueError("a window must have positive area")
    if points is not None:
        pts = _xy(points)
        inside = shapely.intersects_xy(window, pts[:, 0], pts[:, 1])
        if not inside.all():
            raise ValueError(f"{int((~inside).sum())} point(s) lie outside the window")
    return window


def ripley_rasson_core(sites, district) -> Polygon | MultiPolygon:
    """The urban-core window: the Ripley-Rasson estimate of the region the sites come from,
    clipped to the district.

    The convex hull of the *distinct* site locations (coincident points are one location: the
    estimate assumes a continuous distribution, in which ties have probability zero) is dilated
    about its centroid by ``(1 - m/n) ** -1/2`` (m hull vertices, n locations) -- Ripley & Rasson
    (1977), spatstat's ``ripras`` -- and intersected with ``district``.  It uses nothing but the
    sites, so the proximity test inside it is not circular; because it is fitted to the sites, a
    clustering test inside it is conservative.
    """
    locations, _ = distinct_locations(sites)
    core = polygonal(pp.ripley_rasson_window(locations).intersection(district))
    return check_window(core, sites)


def buffer_window(places, radius: float, district) -> Polygon | MultiPolygon:
    """Union of discs of ``radius`` metres around ``places``, clipped to the district."""
    if radius <= 0:
        raise ValueError("radius must be positive")
    pts = _xy(places)
    discs = shapely.buffer(shapely.points(pts), radius, quad_segs=32)
    window = polygonal(shapely.union_all(discs).intersection(district))
    return check_window(window)


# --------------------------------------------------------------------------------------------
# Monte Carlo p-values and effect sizes
# --------------------------------------------------------------------------------------------


def effect_size(observed: float, simulated) -> float:
    """Standardised effect size ``(obs - mean(sim)) / sd(sim)``; NaN if the sims do not vary."""
    sims = np.asarray(simulated, dtype=float).reshape(-1)
    if sims.size < 2:
        return float("nan")
    sd = sims.std(ddof=1)
    return float((observed - sims.mean()) / sd) if sd > 0 else float("nan")


# --------------------------------------------------------------------------------------------
# Proximity to institutions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ProximityTest:
    """Observed mean/median distance to the nearest institution vs random points in a window."""

    statistic: str
    observed: float
    simulated: np.ndarray
    p_value: float
    null_median: float
    ratio: float
    effect_size: float
    n: int
    nsim: int


_STATS = {"mean": np.mean, "median": np.median}


def nearest_distances(points, targets) -> np.ndarray:
    """Distance from each point to its nearest target; works on (..., 2) arrays (e.g. a stack of
    simulated patterns), by a KD-tree query."""
    pts = np.asarray(points, dtype=float)
    targets = _xy(targets)
    if len(targets) == 0:
        raise ValueError("need at least one target point")
    dist, _ = cKDTree(targets).query(pts.reshape(-1, 2), k=1)
    return dist.reshape(pts.shape[:-1])


def null_distances(targets, window, n: int, nsim: int, rng=None) -> np.ndarray:
    """(nsim, n) distances to the nearest target of nsim sets of n uniform points in ``window``."""
    if n < 1 or nsim < 1:
        raise ValueError("n and nsim must be at least 1")
    rng = np.random.default_rng(rng)
    sims = pp.csr(window, n * nsim, rng).reshape(nsim, n, 2)
    return nearest_distances(sims, targets)


def proximity_test(site_distances, null: np.ndarray, statistic: str = "mean") -> ProximityTest:
    """Are the sites closer to an institution than random points? One-sided Monte Carlo test.

    ``null`` is the (nsim, n) output of :func:`null_distances` for the same n as the sites.
    Returns the p-value ``(1 + #{T_sim <= T_obs}) / (nsim + 1)``, the ratio of the observed
    statistic to the median of the simulated ones, and the standardised effect size.
    """
    if statistic not in _STATS:
        raise ValueError(f"statistic must be 'mean' or 'median', got {statistic!r}")
    d = np.asarray(site_distances, dtype=float).reshape(-1)
    null = np.asarray(null, dtype=float)
    if null.ndim != 2 or null.shape[1] != d.size:
        raise ValueError(f"null must have shape (nsim, {d.size}), got {null.shape}")
    func = _STATS[statistic]
    obs = float(func(d))
    sims = func(null, axis=1)
    med = float(np.median(sims))
    return ProximityTest(statistic, obs, sims, ppi.mc_p_value(obs, sims, "less"), med,
                         obs / med, effect_size(obs, sims), d.size, len(sims))


# --------------------------------------------------------------------------------------------
# Sensitivity to imprecise coordinates
# --------------------------------------------------------------------------------------------


def displace_within_precision(points, radii, window, rng=None, max_rounds: int = 10_000):
    """Move each point to a uniform random position in its precision disc, inside ``window``.

    A point with radius 0 stays put.  Positions falling outside the window are redrawn (so each
    point is uniform on disc ∩ window); raises if a disc hardly overlaps the window.
    """
    pts = _xy(points)
    rad = np.broadcast_to(np.asarray(radii, dtype=float), (len(pts),)).copy()
    if np.any(rad < 0) or not np.all(np.isfinite(rad)):
        raise ValueError("radii must be finite and non-negative")
    rng = np.random.default_rng(rng)
    out = pts.copy()
    todo = np.flatnonzero(rad > 0)
    for _ in range(max_rounds):
        if todo.size == 0:
            return out
        dist = rad[todo] * np.sqrt(rng.uniform(size=todo.size))
        angle = rng.uniform(0.0, 2 * math.pi, size=todo.size)
        cand = pts[todo] + np.column_stack([dist * np.cos(angle), dist * np.sin(angle)])
        ok = shapely.contains_xy(window, cand[:, 0], cand[:, 1])
        out[todo[ok]] = cand[ok]
        todo = todo[~ok]
    raise RuntimeError(f"{todo.size} point(s) could not be placed inside the window")


# --------------------------------------------------------------------------------------------
# Synthetic patterns (for tests and for the power check)
# --------------------------------------------------------------------------------------------


def matern_cluster(window, n: int, parents: int, radius: float, rng=None) -> np.ndarray:
    """Exactly ``n`` points of a Matérn cluster pattern in ``window``: ``parents`` uniform
    centres, each point uniform in the disc of ``radius`` around a random centre (redrawn if it
    falls outside the window)."""
    rng = np.random.default_rng(rng)
    centres = pp.csr(window, parents, rng)
    which = rng.integers(0, parents, size=n)
    return displace_within_precision(centres[which], radius, window, rng)


def clark_evans_power(window, n: int, parents: int, radius: float, nrep: int = 200,
                      nsim: int = 999, alpha: float = 0.05, rng=None) -> float:
    """Share of Matérn cluster patterns (n points) that the one-sided Clark-Evans Monte Carlo
    test in ``window`` calls clustered at level ``alpha``."""
    rng = np.random.default_rng(rng)
    null = pp.clark_evans_test(pp.csr(window, n, rng), window, nsim=nsim, rng=rng).simulated
    hits = 0
    for _ in range(nrep):
        r_obs = pp.clark_evans(matern_cluster(window, n, parents, radius, rng), window).R
        hits += ppi.mc_p_value(r_obs, null, "less") < alpha
    return hits / nrep


# --------------------------------------------------------------------------------------------
# Density-based clusters
# --------------------------------------------------------------------------------------------


def k_distances(points, k: int) -> np.ndarray:
    """Sorted distances from each point to its k-th nearest *other* point (k-distance plot)."""
    pts = _xy(points)
    if not 1 <= k < len(pts):
        raise ValueError(f"k must be between 1 and n - 1 = {len(pts) - 1}, got {k}")
    dist, _ = cKDTree(pts).query(pts, k=k + 1)
    return np.sort(dist[:, k])


def knee(values) -> float:
    """Knee of a sorted curve: the value farthest from the chord joining its end points (the
    idea of Satopää et al.'s 2011 "Kneedle", on the curve scaled to the unit square)."""
    y = np.sort(np.asarray(values, dtype=float))
    if y.size < 3 or y[-1] == y[0]:
        return float(y[-1])
    x = np.linspace(0.0, 1.0, y.size)
    ys = (y - y[0]) / (y[-1] - y[0])
    return float(y[np.argmax(x - ys)])  # distance below the diagonal chord y = x


def _cluster_summary(labels: np.ndarray) -> dict:
    sizes = np.bincount(labels[labels >= 0]) if np.any(labels >= 0) else np.zeros(0, int)
    return {"clusters": int(sizes.size), "noise": int(np.sum(labels < 0)),
            "largest": int(sizes.max(initial=0)), "labels": tuple(int(v) for v in labels)}


def dbscan_grid(points, eps_values, min_samples_values) -> pd.DataFrame:
    """DBSCAN (scikit-learn) for every (eps, min_samples): number of clusters, noise points,
    size of the largest cluster and the labels (-1 = noise)."""
    from sklearn.cluster import DBSCAN

    pts = _xy(points)
    rows = []
    for ms in min_samples_values:
        for eps in eps_values:
            labels = DBSCAN(eps=float(eps), min_samples=int(ms)).fit(pts).labels_
            rows.append({"eps_m": float(eps), "min_samples": int(ms), **_cluster_summary(labels)})
    return pd.DataFrame(rows)


def dbscan_sensitivity(points, min_samples_values=(2, 3, 4), walk_eps=WALK_EPS_M) -> pd.DataFrame:
    """DBSCAN at the k-distance knee (k = min_samples - 1, the neighbours DBSCAN needs besides
    the point itself) and at walking-scale radii, for each min_samples; column ``eps_from``
    says which.  The knee is taken on the positive k-distances: zeros come from coincident
    points and would give eps = 0."""
    pts = _xy(points)
    frames = []
    for ms in min_samples_values:
        kd = k_distances(pts, int(ms) - 1)
        if not np.any(kd > 0):
            raise ValueError(f"all {int(ms) - 1}-distances are zero: the points coincide")
        eps_knee = knee(kd[kd > 0])
        grid = dbscan_grid(pts, [eps_knee, *walk_eps], [ms])
        grid.insert(0, "eps_from", ["knee"] + ["walk"] * len(walk_eps))
        frames.append(grid)
    return pd.concat(frames, ignore_index=True)


def knee_setting(db: pd.DataFrame, min_samples: int) -> pd.Series:
    """The row of :func:`dbscan_sensitivity` with eps at the knee for ``min_samples``."""
    rows = db[(db["min_samples"] == min_samples) & (db["eps_from"] == "knee")]
    if rows.empty:
        raise ValueError(f"no knee setting for min_samples = {min_samples}")
    return rows.iloc[0]


def hdbscan_grid(points, min_cluster_sizes, allow_single_cluster=(False, True)) -> pd.DataFrame:
    """HDBSCAN (scikit-learn) for every min_cluster_size and allow_single_cluster setting."""
    from sklearn.cluster import HDBSCAN

    pts = _xy(points)
    rows = []
    for single in allow_single_cluster:
        for size in min_cluster_sizes:
            labels = HDBSCAN(min_cluster_size=int(size), allow_single_cluster=bool(single),
                             copy=True).fit(pts).labels_
            rows.append({"min_cluster_size": int(size), "allow_single_cluster": bool(single),
                         **_cluster_summary(labels)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Kernel density
# --------------------------------------------------------------------------------------------


def kde_intensity(points, bandwidth: float, at) -> np.ndarray:
    """Gaussian kernel estimate of intensity (points per km²) at the (m, 2) locations ``at``:
    ``sum_i phi_h(x - x_i)`` with an isotropic Gaussian of sd ``bandwidth`` metres; no edge
    correction."""
    if bandwidth <= 0:
        raise ValueError("bandwidth must be positive")
    pts, at = _xy(points), _xy(at)
    sq = ((at[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2)
    dens = np.exp(-0.5 * sq / bandwidth**2).sum(axis=1) / (2 * math.pi * bandwidth**2)
    return dens * 1e6


def kde_raster(points, bandwidth: float, bounds, cell: float = 50.0):
    """Intensity (per km²) on a regular grid of ``cell`` metres over ``bounds`` = (xmin, ymin,
    xmax, ymax); returns cell-centre x and y vectors and the (ny, nx) surface."""
    xmin, ymin, xmax, ymax = bounds
    xs = np.arange(xmin + cell / 2, xmax, cell)
    ys = np.arange(ymin + cell / 2, ymax, cell)
    gx, gy = np.meshgrid(xs, ys)
    z = kde_intensity(points, bandwidth, np.column_stack([gx.ravel(), gy.ravel()]))
    return xs, ys, z.reshape(gy.shape)


def cv_bandwidth(points, bandwidths=CV_BANDWIDTHS_M) -> tuple[float, np.ndarray]:
    """Likelihood cross-validated Gaussian bandwidth (metres) and the score of each candidate.

    Score(h) = sum_i log f_{-g(i)}(x_i), where f_{-g} is the kernel density of the points *not*
    at point i's location: coincident points are left out together, otherwise their zero
    distances would drive the chosen bandwidth to the smallest candidate.
    """
    pts = _xy(points)
    labels = location_labels(pts)
    if labels.max() < 1:
        raise ValueError("need at least two distinct locations")
    h = np.asarray(bandwidths, dtype=float)
    sq = ((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2)
    other = labels[:, None] != labels[None, :]
    n_other = other.sum(axis=1)
    scores = np.empty(h.size)
    with np.errstate(divide="ignore"):
        for k, bw in enumerate(h):
            kern = np.exp(-0.5 * sq / bw**2) / (2 * math.pi * bw**2)
            f = (kern * other).sum(axis=1) / n_other
            scores[k] = np.log(f).sum()
    return float(h[np.argmax(scores)]), scores


@dataclass(frozen=True, eq=False)
class KdeSurface:
    """A kernel density raster (:func:`kde_raster`) and whether its bandwidth was
    cross-validated."""

    bandwidth: float
    xs: np.ndarray
    ys: np.ndarray
    z: np.ndarray
    cross_validated: bool
    bounds: tuple[float, float, float, float]

    def peak(self, points) -> tuple[float, int]:
        """The highest intensity, and the index of the point nearest the cell where it is."""
        iy, ix = np.unravel_index(np.argmax(self.z), self.z.shape)
        d = np.hypot(*(_xy(points) - np.array([[self.xs[ix], self.ys[iy]]])).T)
        return self.z.max(), int(np.argmin(d))


def kde_surfaces(points, h_cv: float, bounds, fixed=FIXED_BANDWIDTHS_M, cell: float = 50.0) -> list:
    """:class:`KdeSurface` at each ``fixed`` bandwidth and at the cross-validated ``h_cv``."""
    out = []
    for h, cv in [*((h, False) for h in fixed), (h_cv, True)]:
        xs, ys, z = kde_raster(points, h, bounds, cell=cell)
        out.append(KdeSurface(h, xs, ys, z, cv, tuple(bounds)))
    return out


# --------------------------------------------------------------------------------------------
# Centrography
# --------------------------------------------------------------------------------------------


def centrography(points) -> dict:
    """Mean centre, standard distance, convex-hull area and its Ripley-Rasson estimate (km²).

    Hull areas use the distinct locations; they are NaN when fewer than three distinct,
    non-collinear locations exist, and the Ripley-Rasson area also when every location is a
    hull vertex (the estimate is then undefined).
    """
    pts = _xy(points)
    locs, _ = distinct_locations(pts)
    centre = pp.mean_centre(pts)
    out = {"n": len(pts), "n_locations": len(locs), "mean_x": float(centre[0]),
           "mean_y": float(centre[1]), "standard_distance_m": pp.standard_distance(pts),
           "hull_km2": float("nan"), "ripley_rasson_km2": float("nan")}
    try:
        out["hull_km2"] = pp.convex_hull_area(locs) / 1e6
        out["ripley_rasson_km2"] = pp.convex_hull_area(locs, ripley_rasson=True) / 1e6
    except ValueError:
        pass  # too few, collinear, or all hull vertices: left as NaN
    out["density_per_km2"] = len(pts) / out["ripley_rasson_km2"]
    return out


def subsample_centrography(points, m: int, nsub: int = 999, rng=None) -> pd.DataFrame:
    """:func:`centrography` of ``nsub`` random subsamples of ``m`` points (without replacement)."""
    pts = _xy(points)
    if not 1 <= m <= len(pts):
        raise ValueError(f"m must be between 1 and {len(pts)}, got {m}")
    rng = np.random.default_rng(rng)
    return pd.DataFrame([centrography(pts[rng.choice(len(pts), m, replace=False)])
                         for _ in range(nsub)])
