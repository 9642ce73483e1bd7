"""The cluster analysis of the chapter "Do AI firms cluster?": windows, tests, clusters, densities.

Everything here works on ``(n, 2)`` arrays of coordinates in metres (EPSG:4548) and shapely
polygons in the same CRS; the point-pattern statistics themselves (Clark-Evans, K/L, envelope
tests, CSR, centrography) are in :mod:`aicluster.pointpattern`.  Which places count as AI sites
and institutions is decided in :mod:`aicluster.haidian`.  The last sections run the chapter's
analyses window by window and turn the results into its tables and glued values (these take
the sites' GeoDataFrames where names or coordinate sources are needed); its figures are drawn
by :mod:`aicluster.ppfigures`.

The tests of the chapter are composed in the chapter itself from the statistics library
(:mod:`aicluster.pointpattern`, :mod:`aicluster.ppinference`); what remains here is the data
handling (coincident points, windows, displacement within precision discs), density-based
clustering, kernel density and centrography, and the tables and glued values of those sections.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import ConvexHull, cKDTree
from shapely.geometry import MultiPolygon, Polygon

from . import context, escape, evidence, haidian
from . import pointpattern as pp
from . import ppinference as ppi
from .geo import METRIC, WGS84

#: Points closer than this (metres) are treated as one location.
COINCIDENT_TOL_M = 1.0
#: Distances of the L function: walking scales, 0-1500 m in 25 m steps.
R_WALK = np.arange(0.0, 1500.0 + 1e-9, 25.0)
#: Fixed kernel bandwidths of the chapter (metres).
FIXED_BANDWIDTHS_M = (500.0, 1000.0, 2000.0)
#: Candidate bandwidths for likelihood cross-validation (metres, log-spaced 100 m - 5 km).
CV_BANDWIDTHS_M = np.geomspace(100.0, 5000.0, 60)
#: Walking-scale DBSCAN radii (metres), checked beside the k-distance knee.
WALK_EPS_M = (300.0, 500.0, 750.0, 1000.0, 1500.0)
#: Mentougou's AI policy sites: the Zhongguancun Mentougou Science Park, the Jingxi AI Science
#: Park, the AI computing centre and the Jingxi Zhigu exhibition centre (where the sources put
#: an AI firm).  Mentougou has no ``ai_building`` in the data, so the sites are named here.
MENTOUGOU_AI_SITE_IDS = ("mt_zgc_science_park", "mt_jingxi_ai_park", "mt_ai_compute_centre",
                         "mt_jingxi_zhigu_showroom")


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
    simulated patterns). The query itself is `haidian.nearest` (KD-tree)."""
    pts = np.asarray(points, dtype=float)
    dist, _ = haidian.nearest(pts.reshape(-1, 2), _xy(targets))
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


# --------------------------------------------------------------------------------------------
# The chapter's analyses, window by window: results, tables and the values glued into the prose
# --------------------------------------------------------------------------------------------
# Each ``*_by_window`` function runs one analysis in every study window of
# :func:`study_windows`; ``*_table`` turns its results into the table the chapter shows (with
# ``*_FORMATS`` for :func:`aicluster.display.md_table`) and ``*_glue`` into the values its prose
# pastes, as an ordered ``{glue key: value}`` mapping.  Sentences meant for ``{glue:md}`` are
# plain strings here; the chapter glues them as Markdown.  Random streams are
# ``numpy.random.default_rng([*seed, ...])`` with the window's position appended, so one chapter
# seed gives each analysis and window its own reproducible stream.


BUILDINGS_FORMATS = {"Distance (m)": "{:,.0f}"}
DBSCAN_FORMATS = {"eps (m)": "{:,.0f}"}






# --- the points ------------------------------------------------------------------------------


def estimated_coordinates(sites) -> np.ndarray:
    """True for each site whose coordinate is an estimate (``coord_source`` ESTIMATE…)."""
    return sites["coord_source"].str.startswith("ESTIMATE").to_numpy(bool)


def shared_point_name(point, places, sites) -> str:
    """' of <English> <Chinese>' for a place that is not a site and stands on ``point`` (whose
    coordinate tied buildings copy, e.g. a science park), else ''."""
    d = np.hypot(*(haidian.xy(places) - np.asarray(point, dtype=float)).T)
    others = places[(d < COINCIDENT_TOL_M) & ~places["place_id"].isin(sites["place_id"])]
    return f" of {others['name_en'].iloc[0]} {others['name_zh'].iloc[0]}" if len(others) else ""


def ties_sentence(sites, places) -> str:
    """How many sites share a coordinate, and where the largest group of them stands (Markdown:
    the place names from data in it are escaped)."""
    pts = haidian.xy(sites)
    groups = coincident_groups(pts)
    if not groups:
        return "No two buildings share a coordinate in the current data"
    big = max(groups, key=len)
    where = escape.markdown_inline(shared_point_name(pts[big[0]], places, sites))
    if len(groups) == 1:
        return f"{len(big)} buildings share one estimated point{where}"
    return (f"{sum(len(g) for g in groups)} buildings share {len(groups)} locations; "
            f"the largest group, {len(big)} buildings, sits on one estimated point{where}")


def points_glue(sites, institutions, places) -> dict:
    """Counts, precision radii and ties of the sites (``ties_sentence`` is Markdown)."""
    pts = haidian.xy(sites)
    estimated = estimated_coordinates(sites)
    precision = sites["precision_m"].to_numpy(float)
    groups = coincident_groups(pts)
    return {"n_sites": len(sites), "n_inst": len(institutions),
            "n_univ": int((institutions["kind"] == "university").sum()),
            "n_locations": len(distinct_locations(pts)[0]),
            "n_published": int((~estimated).sum()), "n_estimated": int(estimated.sum()),
            "prec_min": precision.min(), "prec_max": precision.max(),
            "prec_median": float(np.median(precision)),
            "n_tied": sum(len(g) for g in groups), "n_groups": len(groups),
            "largest_group": max((len(g) for g in groups), default=1),
            "ties_sentence": ties_sentence(sites, places)}


def buildings_table(sites, institutions, keys: dict | None = None) -> pd.DataFrame:
    """One row per site: its place key, its location number (tied sites share one), name, how its
    coordinate was obtained, the nearest institution and the distance to it."""
    kinds = np.where(estimated_coordinates(sites), "estimate", "published")
    near = haidian.nearest_institution(sites, institutions)
    keys = context.place_keys() if keys is None else keys  # one key per place, as on every map
    return pd.DataFrame({
        "Key": sites["place_id"].map(keys).to_numpy(),
        "Location": location_labels(haidian.xy(sites)) + 1,
        "Building": (sites["name_en"] + " " + sites["name_zh"]).to_numpy(),
        "Coordinate": [f"{k} ±{p:,.0f} m" for k, p in zip(kinds, sites["precision_m"])],
        "Nearest institution": (near["nearest_id"].map(keys) + " "
                                + near["nearest_en"]).to_numpy(),
        "Distance (m)": near["distance_m"].to_numpy()})


# --- windows ---------------------------------------------------------------------------------


def study_windows(points, district, knowledge, buffer_m: float) -> dict:
    """The three windows of the chapter, ``{key: (display name, polygon)}``: the whole district
    (the strawman), the Ripley-Rasson urban core, and ``buffer_m`` around the knowledge places."""
    return {"haidian": ("All of Haidian", check_window(district)),
            "core": ("Urban core (Ripley–Rasson)", ripley_rasson_core(points, district)),
            "buffer": (f"Within {buffer_m / 1000:g} km of knowledge/AI places",
                       buffer_window(knowledge, buffer_m, district))}


def windows_glue(windows, points, buffer_m: float) -> dict:
    """Areas of the windows (km²) and the hull, vertices and factor of the Ripley-Rasson core."""
    locations, _ = distinct_locations(points)
    district, core, buffer = (windows[k][1] for k in ("haidian", "core", "buffer"))
    m = len(ConvexHull(locations).vertices)
    return {"haidian_km2": district.area / 1e6,
            "hull_km2": pp.convex_hull_area(locations) / 1e6, "hull_m": m,
            "rr_factor": 1 / np.sqrt(1 - m / len(locations)),
            "core_km2": core.area / 1e6, "core_share_pct": 100 * core.area / district.area,
            "buffer_m": buffer_m, "buffer_km2": buffer.area / 1e6}


# --- Clark-Evans -----------------------------------------------------------------------------


# --- the L function --------------------------------------------------------------------------


# --- proximity -------------------------------------------------------------------------------


# --- sensitivity to the coordinates ----------------------------------------------------------


# --- density-based clusters ------------------------------------------------------------------


def knee_setting(db: pd.DataFrame, min_samples: int) -> pd.Series:
    """The row of :func:`dbscan_sensitivity` with eps at the knee for ``min_samples``."""
    rows = db[(db["min_samples"] == min_samples) & (db["eps_from"] == "knee")]
    if rows.empty:
        raise ValueError(f"no knee setting for min_samples = {min_samples}")
    return rows.iloc[0]


def dbscan_table(db: pd.DataFrame) -> pd.DataFrame:
    return db.drop(columns="labels").rename(columns={
        "eps_from": "eps from", "eps_m": "eps (m)", "clusters": "Clusters",
        "noise": "Noise points", "largest": "Largest cluster"})


def dbscan_glue(db: pd.DataFrame, knee: pd.Series, points) -> dict:
    """The walking radii, the result at ``knee``, the ranges over the grid and the sentence
    (Markdown) on the cluster that tied coordinates force."""
    k_tied = max((len(g) for g in coincident_groups(points)), default=0)
    return {"eps_min": min(WALK_EPS_M), "eps_max": max(WALK_EPS_M),
            "knee3_eps": knee["eps_m"], "knee3_clusters": knee["clusters"],
            "knee3_noise": knee["noise"], "db_n_settings": len(db),
            "db_tie_sentence": (
                "One cluster is guaranteed by the data rather than found in them: the "
                f"{k_tied} buildings on one shared point are within any radius of each other, so "
                f"they form a cluster whenever min_samples is at most {k_tied}." if k_tied > 1
                else "No cluster is forced by shared coordinates."),
            "db_clusters_min": db["clusters"].min(), "db_clusters_max": db["clusters"].max(),
            "db_largest_min": db["largest"].min(), "db_largest_max": db["largest"].max()}


def hdbscan_table(hdb: pd.DataFrame) -> pd.DataFrame:
    return hdb.drop(columns="labels").rename(columns={
        "clusters": "Clusters", "noise": "Noise points", "largest": "Largest cluster"})


def hdbscan_glue(hdb: pd.DataFrame) -> dict:
    return {"hdb_clusters_min": hdb["clusters"].min(), "hdb_clusters_max": hdb["clusters"].max(),
            "hdb_all_noise": int((hdb["clusters"] == 0).sum()), "hdb_n_settings": len(hdb)}


# --- kernel density --------------------------------------------------------------------------


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


def bandwidth_glue(h_cv: float, fixed=FIXED_BANDWIDTHS_M, candidates=CV_BANDWIDTHS_M) -> dict:
    """The fixed bandwidths ``h1``-``h3``, the cross-validated one and its candidate range."""
    return {"h1": fixed[0], "h2": fixed[1], "h3": fixed[2], "h_cv": h_cv,
            "n_cv": len(candidates), "cv_lo": candidates[0], "cv_hi": candidates[-1],
            "cv_at_edge": ("at the edge of" if h_cv in (candidates[0], candidates[-1])
                           else "inside")}


def site_words(sites, i: int) -> str:
    """Site ``i`` by name, or the point it shares with other sites."""
    labels = location_labels(haidian.xy(sites))
    shared = int(np.sum(labels == labels[i]))
    name = f"{sites['name_en'].iloc[i]} {sites['name_zh'].iloc[i]}"
    return f"the point shared by {shared} buildings, among them {name}" if shared > 1 else name


def kde_glue(surfaces, sites) -> dict:
    """Peak intensity and the place nearest it at each bandwidth (``kde_{h1,h2,h3,hcv}_…``),
    and the sentence (Markdown) on whether the sharpest peak sits on a shared coordinate."""
    pts = haidian.xy(sites)
    peaks = [s.peak(pts) for s in surfaces]
    out = {}
    for (peak, i), tag in zip(peaks, ("h1", "h2", "h3", "hcv"), strict=True):
        out |= {f"kde_{tag}_peak": peak, f"kde_{tag}_place": site_words(sites, i)}
    labels = location_labels(pts)
    on_tie = np.sum(labels == labels[peaks[0][1]]) > 1
    out["kde_tie_sentence"] = (
        "The highest peak at the smallest bandwidth sits on a shared estimated point, so it "
        "reflects how the coordinates were made as much as where the buildings are." if on_tie
        else "The highest peak does not sit on a shared coordinate.")
    return out


# --- Haidian and Mentougou compared ----------------------------------------------------------


def mentougou_sites(places=None) -> np.ndarray:
    """Metric coordinates of Mentougou's AI policy sites (:data:`MENTOUGOU_AI_SITE_IDS`)."""
    places = (evidence.load_places() if places is None else places).to_crs(METRIC)
    sites = places.set_index("place_id").loc[list(MENTOUGOU_AI_SITE_IDS)]
    return np.column_stack([sites.geometry.x, sites.geometry.y])


def _lonlat(c: dict) -> str:
    p = gpd.GeoSeries(gpd.points_from_xy([c["mean_x"]], [c["mean_y"]]), crs=METRIC).to_crs(WGS84)
    return f"{p.x[0]:.4f}, {p.y[0]:.4f}"


def _or_undefined(x: float, fmt: str) -> str:
    return "undefined" if not np.isfinite(x) else fmt.format(x)


def _median_range(sub: pd.DataFrame, col: str, fmt: str) -> str:
    """'median [5 %–95 %]' of a column of subsample results (NaN where undefined)."""
    v = sub[col].dropna()
    if v.empty:
        return "undefined in every subsample"
    median, lo, hi = (fmt.format(x) for x in (v.median(), v.quantile(0.05), v.quantile(0.95)))
    return f"{median} [{lo}–{hi}]"


def per_100_km2(c: dict, district_km2: float) -> float:
    """Sites per 100 km² of the district."""
    return 100 * c["n"] / district_km2


def centrography_table(haidian_c: dict, mentougou_c: dict, sub: pd.DataFrame,
                       district_km2: dict) -> pd.DataFrame:
    """:func:`centrography` of Haidian's sites, of its subsamples (median [5-95 %]) and of
    Mentougou's, one row per measure; ``district_km2`` maps 'haidian'/'mentougou' to areas."""
    hd, mt, m = haidian_c, mentougou_c, int(sub["n"].iloc[0])
    measures = (("standard_distance_m", "Standard distance (m)", "{:,.0f}"),
                ("hull_km2", "Convex hull (km²)", "{:.2f}"),
                ("ripley_rasson_km2", "Ripley–Rasson area (km²)", "{:.2f}"),
                ("density_per_km2", "Sites per km² of that area", "{:.2f}"))
    rows = {"Sites": (hd["n"], f"{m} (subsamples)", mt["n"]),
            "Distinct locations": (hd["n_locations"], _median_range(sub, "n_locations", "{:.0f}"),
                                   mt["n_locations"]),
            "Mean centre (lon, lat)": (_lonlat(hd), "–", _lonlat(mt))}
    for col, label, fmt in measures:
        rows[label] = (_or_undefined(hd[col], fmt), _median_range(sub, col, fmt),
                       _or_undefined(mt[col], fmt))
    rows["Sites per 100 km² of district"] = (
        f"{per_100_km2(hd, district_km2['haidian']):.2f}", "–",
        f"{per_100_km2(mt, district_km2['mentougou']):.2f}")
    columns = ["Haidian, all", f"Haidian, subsamples of {m}: median [5–95 %]", "Mentougou"]
    return pd.DataFrame(rows, index=columns).T.rename_axis("Measure").reset_index()


def centrography_glue(haidian_c: dict, mentougou_c: dict, sub: pd.DataFrame,
                      district_km2: dict) -> dict:
    mt = mentougou_c
    return {"n_mt": mt["n"], "n_mt_loc": mt["n_locations"], "nsub": len(sub),
            "mt_sd": mt["standard_distance_m"], "hd_sub_sd": sub["standard_distance_m"].median(),
            "hd_sub_hull_defined_pct": 100 * sub["hull_km2"].notna().mean(),
            "hd_sub_rr_defined_pct": 100 * sub["ripley_rasson_km2"].notna().mean(),
            "hd_per100": per_100_km2(haidian_c, district_km2["haidian"]),
            "mt_per100": per_100_km2(mt, district_km2["mentougou"]),
            "mt_spread_words": ("all share one placeholder point" if mt["n_locations"] == 1
                                else f"occupy {mt['n_locations']} distinct locations")}


# --- power and the exercises -----------------------------------------------------------------


def buffer_proximity_glue(places, radius: float, district, targets, site_distances, nsim: int,
                          rng=None) -> dict:
    """The mean-distance proximity test in a window of ``radius`` around ``places``
    (``ex_buf<radius>_{p,ratio,km2}``), as the buffer exercise asks."""
    window = buffer_window(places, radius, district)
    d = np.asarray(site_distances, dtype=float).reshape(-1)
    t = proximity_test(d, null_distances(targets, window, d.size, nsim, rng), "mean")
    tag = f"ex_buf{radius:.0f}"
    return {f"{tag}_p": t.p_value, f"{tag}_ratio": t.ratio, f"{tag}_km2": window.area / 1e6}
