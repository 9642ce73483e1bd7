"""aicluster.clusterstats: windows, Monte Carlo tests, clusters and densities, on known answers."""
import math

import numpy as np
import pytest
from shapely.geometry import Point, Polygon, box

from aicluster import clusterstats as cs
from aicluster import geo, haidian
from aicluster import pointpattern as pp

SQUARE = box(0, 0, 10_000, 10_000)


def clustered(seed=1, n=40):
    """Four tight clumps (radius 150 m) in a 10 km square."""
    return cs.matern_cluster(SQUARE, n, parents=4, radius=150.0, rng=seed)


# --- coincident points -------------------------------------------------------------------------

def test_coincident_points_are_grouped_in_order_of_appearance():
    pts = np.array([[5, 5], [0, 0], [5, 5.5], [100, 0], [0, 0.2], [5, 5]])
    labels = cs.location_labels(pts)
    assert labels.tolist() == [0, 1, 0, 2, 1, 0]
    locs, counts = cs.distinct_locations(pts)
    np.testing.assert_array_equal(locs, [[5, 5], [0, 0], [100, 0]])
    assert counts.tolist() == [3, 2, 1]
    assert [g.tolist() for g in cs.coincident_groups(pts)] == [[0, 2, 5], [1, 4]]


def test_points_a_few_metres_apart_are_distinct():
    assert cs.coincident_groups(np.array([[0, 0], [3, 0], [6, 0]])) == []


# --- windows -----------------------------------------------------------------------------------

def test_ripley_rasson_core_contains_sites_and_expands_the_hull_of_distinct_locations():
    rng = np.random.default_rng(3)
    sites = rng.uniform(4000, 6000, (9, 2))
    sites = np.vstack([sites, sites[:1], sites[:1]])  # two ties must not change the window
    core = cs.ripley_rasson_core(sites, SQUARE)
    hull_area = pp.convex_hull_area(np.unique(sites, axis=0))
    m = len(Polygon(np.unique(sites, axis=0)).convex_hull.exterior.coords) - 1
    assert core.area == pytest.approx(hull_area / (1 - m / 9))
    assert all(core.contains(Point(p)) for p in sites)


def test_ripley_rasson_core_is_clipped_to_the_district():
    sites = np.array([[100, 100], [900, 100], [500, 900], [500, 400], [450, 300]])
    district = box(0, 0, 1000, 1000)
    core = cs.ripley_rasson_core(sites, district)
    assert core.within(district.buffer(1e-6))
    assert core.area < pp.ripley_rasson_window(sites).area


def test_buffer_window_area_and_clipping():
    window = cs.buffer_window(np.array([[5000, 5000]]), 1000, SQUARE)
    assert window.area == pytest.approx(math.pi * 1e6, rel=2e-3)
    edge = cs.buffer_window(np.array([[0, 5000]]), 1000, SQUARE)  # half the disc is outside
    assert edge.area == pytest.approx(math.pi * 1e6 / 2, rel=2e-3)
    with pytest.raises(ValueError, match="radius"):
        cs.buffer_window(np.array([[0, 0]]), 0, SQUARE)


def test_check_window_rejects_points_outside_and_invalid_polygons():
    with pytest.raises(ValueError, match="outside"):
        cs.check_window(SQUARE, np.array([[5, 5], [20_000, 5]]))
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    with pytest.raises(ValueError, match="invalid"):
        cs.check_window(bowtie)


def test_the_book_windows_are_valid_and_nested():
    districts = geo.load_districts().to_crs(geo.METRIC).set_index("district_id")
    hd = districts.geometry["haidian"]
    sites = haidian.xy(haidian.of_kinds(haidian.haidian_places(), haidian.AI_SITE_KINDS))
    core = cs.ripley_rasson_core(sites, hd)
    assert core.is_valid and core.area < 0.2 * hd.area
    assert core.within(hd.buffer(1e-3))


# --- p-values ----------------------------------------------------------------------------------


def test_effect_size():
    assert cs.effect_size(3.0, [0.0, 1.0, 2.0]) == pytest.approx(2.0)
    assert math.isnan(cs.effect_size(1.0, [2.0, 2.0]))


# --- proximity ---------------------------------------------------------------------------------

def test_sites_next_to_institutions_are_significantly_close():
    targets = np.array([[2000, 2000], [8000, 8000]])
    sites = targets[[0, 0, 1, 1, 0]] + np.array([[50, 0], [0, 80], [-60, 0], [0, -40], [30, 30]])
    null = cs.null_distances(targets, SQUARE, len(sites), 999, rng=1)
    test = cs.proximity_test(cs.nearest_distances(sites, targets), null, "mean")
    assert test.p_value == pytest.approx(0.001)
    assert test.ratio < 0.1 and test.effect_size < -3
    assert test.null_median == pytest.approx(np.median(null.mean(axis=1)))


def test_random_sites_are_not_significantly_close():
    targets = np.array([[2000, 2000], [8000, 8000], [5000, 1000]])
    rng = np.random.default_rng(7)
    pvals = []
    for _ in range(40):
        sites = pp.csr(SQUARE, 12, rng)
        null = cs.null_distances(targets, SQUARE, 12, 199, rng)
        pvals.append(cs.proximity_test(cs.nearest_distances(sites, targets), null).p_value)
    # under the null, p is uniform: about 5 % below 0.05 (binomial(40, .05) <= 7 with p > .999)
    assert np.mean(np.array(pvals) < 0.05) <= 7 / 40
    assert 0.3 < np.mean(pvals) < 0.7


def test_proximity_test_checks_shapes_and_statistic():
    with pytest.raises(ValueError, match="shape"):
        cs.proximity_test(np.ones(3), np.ones((10, 4)))
    with pytest.raises(ValueError, match="mean"):
        cs.proximity_test(np.ones(3), np.ones((10, 3)), "max")


# --- displacement ------------------------------------------------------------------------------

def test_displacement_stays_within_disc_and_window_and_is_seeded():
    pts = np.array([[100, 100], [5000, 5000], [9990, 5000]])
    radii = np.array([500, 0, 300])
    moved = cs.displace_within_precision(pts, radii, SQUARE, rng=4)
    assert np.all(np.hypot(*(moved - pts).T) <= radii + 1e-9)
    np.testing.assert_array_equal(moved[1], pts[1])
    assert SQUARE.contains(Point(moved[0])) and SQUARE.contains(Point(moved[2]))
    np.testing.assert_array_equal(moved, cs.displace_within_precision(pts, radii, SQUARE, rng=4))


def test_displacement_is_uniform_in_the_disc():
    pts = np.full((4000, 2), 5000.0)
    moved = cs.displace_within_precision(pts, 1000.0, SQUARE, rng=5)
    r = np.hypot(*(moved - 5000.0).T)
    # uniform in a disc: P(r <= R/2) = 1/4
    assert np.mean(r <= 500) == pytest.approx(0.25, abs=0.03)


# --- power -------------------------------------------------------------------------------------

def test_clark_evans_power_grows_with_n():
    low = cs.clark_evans_power(SQUARE, 6, parents=3, radius=600, nrep=60, nsim=199, rng=1)
    high = cs.clark_evans_power(SQUARE, 40, parents=3, radius=600, nrep=60, nsim=199, rng=1)
    assert high > 0.9 and low < high


# --- DBSCAN / HDBSCAN --------------------------------------------------------------------------

def test_k_distances_and_knee():
    pts = np.array([[0, 0], [10, 0], [0, 10], [5000, 0]])
    np.testing.assert_allclose(cs.k_distances(pts, 1), [10, 10, 10, 4990])
    curve = np.r_[np.linspace(1, 2, 20), [50, 100]]
    assert cs.knee(curve) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        cs.k_distances(pts, 4)


def test_dbscan_finds_the_clumps_and_not_csr():
    grid = cs.dbscan_grid(clustered(1), [400], [4])
    assert grid.loc[0, "clusters"] == 4 and grid.loc[0, "noise"] == 0
    csr = cs.dbscan_grid(pp.csr(SQUARE, 40, 1), [400], [4])
    assert csr.loc[0, "clusters"] <= 1


def test_dbscan_sensitivity_uses_the_knee_of_its_own_k():
    pts = clustered(1)
    table = cs.dbscan_sensitivity(pts, (3, 4), (500.0,))
    assert table["eps_from"].tolist() == ["knee", "walk", "knee", "walk"]
    assert table.loc[0, "eps_m"] == pytest.approx(cs.knee(cs.k_distances(pts, 2)))
    assert table.loc[2, "eps_m"] == pytest.approx(cs.knee(cs.k_distances(pts, 3)))


def test_dbscan_knee_ignores_the_zero_distances_of_ties():
    pts = np.vstack([np.zeros((5, 2)), [[300, 0], [0, 400], [2000, 2000]]])
    table = cs.dbscan_sensitivity(pts, (2,), ())
    kd = cs.k_distances(pts, 1)
    assert table.loc[0, "eps_m"] == pytest.approx(cs.knee(kd[kd > 0])) and table.loc[0, "eps_m"] > 0


def test_hdbscan_finds_the_clumps():
    grid = cs.hdbscan_grid(clustered(1), [5], allow_single_cluster=(False,))
    assert grid.loc[0, "clusters"] == 4


# --- kernel density ----------------------------------------------------------------------------

def test_kde_integrates_to_n_points():
    pts = np.array([[5000, 5000], [5500, 5200], [4800, 4700]])
    xs, ys, z = cs.kde_raster(pts, 500, SQUARE.bounds, cell=50)
    total = z.sum() * (50 * 50) / 1e6  # per km² times km² per cell
    assert total == pytest.approx(3, rel=1e-3)
    assert z.shape == (len(ys), len(xs))


def test_cv_bandwidth_is_small_for_clumps_larger_for_csr_and_robust_to_ties():
    h_clumps, _ = cs.cv_bandwidth(clustered(1))
    h_csr, _ = cs.cv_bandwidth(pp.csr(SQUARE, 40, 2))
    assert h_clumps < 300 < h_csr
    pts = pp.csr(SQUARE, 15, 3)
    h_ties, scores = cs.cv_bandwidth(np.vstack([pts, pts[:3], pts[:3]]))
    assert h_ties > cs.CV_BANDWIDTHS_M[0] and np.isfinite(scores).any()


# --- centrography ------------------------------------------------------------------------------

def test_centrography_known_square_and_degenerate_cases():
    square = np.array([[0, 0], [1000, 0], [0, 1000], [1000, 1000], [500, 500]])
    c = cs.centrography(square)
    assert (c["mean_x"], c["mean_y"]) == (500, 500)
    assert c["standard_distance_m"] == pytest.approx(math.sqrt(4 * 500_000 / 5))
    assert c["hull_km2"] == pytest.approx(1.0)
    assert c["ripley_rasson_km2"] == pytest.approx(1.0 / (1 - 4 / 5))
    same = cs.centrography(np.zeros((4, 2)))
    assert same["n_locations"] == 1 and same["standard_distance_m"] == 0
    assert math.isnan(same["hull_km2"]) and math.isnan(same["density_per_km2"])


def test_subsample_centrography_is_seeded():
    pts = pp.csr(SQUARE, 12, 1)
    a = cs.subsample_centrography(pts, 4, 30, rng=2)
    b = cs.subsample_centrography(pts, 4, 30, rng=2)
    assert a.equals(b) and (a["n"] == 4).all()


def test_knee_setting_picks_the_knee_row():
    db = cs.dbscan_sensitivity(clustered(1), (2, 3, 4), cs.WALK_EPS_M)
    knee = cs.knee_setting(db, 3)
    assert knee["min_samples"] == 3 and knee["eps_from"] == "knee"
    with pytest.raises(ValueError, match="min_samples = 9"):
        cs.knee_setting(db, 9)


def test_kde_surfaces_at_fixed_and_cross_validated_bandwidths():
    pts = np.vstack([np.full((3, 2), 5000.0), [[5600, 5200], [4400, 5300]]])
    surfaces = cs.kde_surfaces(pts, 750.0, (3000, 3000, 7000, 7000), cell=100.0)
    assert [s.bandwidth for s in surfaces] == [500.0, 1000.0, 2000.0, 750.0]
    assert [s.cross_validated for s in surfaces] == [False, False, False, True]
    peak, i = surfaces[0].peak(pts)
    assert peak == surfaces[0].z.max() and i == 0  # the three points on one location


def test_nearest_distances_keeps_the_shape_of_a_stack_of_patterns():
    targets = np.array([[0.0, 0.0], [100.0, 0.0]])
    stack = np.array([[[0.0, 30.0], [90.0, 0.0]], [[50.0, 0.0], [300.0, 0.0]]])
    np.testing.assert_allclose(cs.nearest_distances(stack, targets), [[30, 10], [50, 200]])
