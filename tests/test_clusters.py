"""aicluster.clusters: windows, Monte Carlo tests, clusters and densities, on known answers."""
import math

import numpy as np
import pytest
from shapely.geometry import Point, Polygon, box

from aicluster import clusters as cl
from aicluster import geo, haidian
from aicluster import pointpattern as pp

SQUARE = box(0, 0, 10_000, 10_000)


def clustered(seed=1, n=40):
    """Four tight clumps (radius 150 m) in a 10 km square."""
    return cl.matern_cluster(SQUARE, n, parents=4, radius=150.0, rng=seed)


# --- coincident points -------------------------------------------------------------------------

def test_coincident_points_are_grouped_in_order_of_appearance():
    pts = np.array([[5, 5], [0, 0], [5, 5.5], [100, 0], [0, 0.2], [5, 5]])
    labels = cl.location_labels(pts)
    assert labels.tolist() == [0, 1, 0, 2, 1, 0]
    locs, counts = cl.distinct_locations(pts)
    np.testing.assert_array_equal(locs, [[5, 5], [0, 0], [100, 0]])
    assert counts.tolist() == [3, 2, 1]
    assert [g.tolist() for g in cl.coincident_groups(pts)] == [[0, 2, 5], [1, 4]]


def test_points_a_few_metres_apart_are_distinct():
    assert cl.coincident_groups(np.array([[0, 0], [3, 0], [6, 0]])) == []


# --- windows -----------------------------------------------------------------------------------

def test_ripley_rasson_core_contains_sites_and_expands_the_hull_of_distinct_locations():
    rng = np.random.default_rng(3)
    sites = rng.uniform(4000, 6000, (9, 2))
    sites = np.vstack([sites, sites[:1], sites[:1]])  # two ties must not change the window
    core = cl.ripley_rasson_core(sites, SQUARE)
    hull_area = pp.convex_hull_area(np.unique(sites, axis=0))
    m = len(Polygon(np.unique(sites, axis=0)).convex_hull.exterior.coords) - 1
    assert core.area == pytest.approx(hull_area / (1 - m / 9))
    assert all(core.contains(Point(p)) for p in sites)


def test_ripley_rasson_core_is_clipped_to_the_district():
    sites = np.array([[100, 100], [900, 100], [500, 900], [500, 400], [450, 300]])
    district = box(0, 0, 1000, 1000)
    core = cl.ripley_rasson_core(sites, district)
    assert core.within(district.buffer(1e-6))
    assert core.area < pp.ripley_rasson_window(sites).area


def test_buffer_window_area_and_clipping():
    window = cl.buffer_window(np.array([[5000, 5000]]), 1000, SQUARE)
    assert window.area == pytest.approx(math.pi * 1e6, rel=2e-3)
    edge = cl.buffer_window(np.array([[0, 5000]]), 1000, SQUARE)  # half the disc is outside
    assert edge.area == pytest.approx(math.pi * 1e6 / 2, rel=2e-3)
    with pytest.raises(ValueError, match="radius"):
        cl.buffer_window(np.array([[0, 0]]), 0, SQUARE)


def test_check_window_rejects_points_outside_and_invalid_polygons():
    with pytest.raises(ValueError, match="outside"):
        cl.check_window(SQUARE, np.array([[5, 5], [20_000, 5]]))
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    with pytest.raises(ValueError, match="invalid"):
        cl.check_window(bowtie)


def test_the_book_windows_are_valid_and_nested():
    districts = geo.load_districts().to_crs(geo.METRIC).set_index("district_id")
    hd = districts.geometry["haidian"]
    sites = haidian.xy(haidian.of_kinds(haidian.haidian_places(), haidian.AI_SITE_KINDS))
    core = cl.ripley_rasson_core(sites, hd)
    assert core.is_valid and core.area < 0.2 * hd.area
    assert core.within(hd.buffer(1e-3))


# --- p-values ----------------------------------------------------------------------------------


def test_effect_size():
    assert cl.effect_size(3.0, [0.0, 1.0, 2.0]) == pytest.approx(2.0)
    assert math.isnan(cl.effect_size(1.0, [2.0, 2.0]))


# --- proximity ---------------------------------------------------------------------------------

def test_sites_next_to_institutions_are_significantly_close():
    targets = np.array([[2000, 2000], [8000, 8000]])
    sites = targets[[0, 0, 1, 1, 0]] + np.array([[50, 0], [0, 80], [-60, 0], [0, -40], [30, 30]])
    null = cl.null_distances(targets, SQUARE, len(sites), 999, rng=1)
    test = cl.proximity_test(cl.nearest_distances(sites, targets), null, "mean")
    assert test.p_value == pytest.approx(0.001)
    assert test.ratio < 0.1 and test.effect_size < -3
    assert test.null_median == pytest.approx(np.median(null.mean(axis=1)))


def test_random_sites_are_not_significantly_close():
    targets = np.array([[2000, 2000], [8000, 8000], [5000, 1000]])
    rng = np.random.default_rng(7)
    pvals = []
    for _ in range(40):
        sites = pp.csr(SQUARE, 12, rng)
        null = cl.null_distances(targets, SQUARE, 12, 199, rng)
        pvals.append(cl.proximity_test(cl.nearest_distances(sites, targets), null).p_value)
    # under the null, p is uniform: about 5 % below 0.05 (binomial(40, .05) <= 7 with p > .999)
    assert np.mean(np.array(pvals) < 0.05) <= 7 / 40
    assert 0.3 < np.mean(pvals) < 0.7


def test_proximity_test_checks_shapes_and_statistic():
    with pytest.raises(ValueError, match="shape"):
        cl.proximity_test(np.ones(3), np.ones((10, 4)))
    with pytest.raises(ValueError, match="mean"):
        cl.proximity_test(np.ones(3), np.ones((10, 3)), "max")


# --- displacement ------------------------------------------------------------------------------

def test_displacement_stays_within_disc_and_window_and_is_seeded():
    pts = np.array([[100, 100], [5000, 5000], [9990, 5000]])
    radii = np.array([500, 0, 300])
    moved = cl.displace_within_precision(pts, radii, SQUARE, rng=4)
    assert np.all(np.hypot(*(moved - pts).T) <= radii + 1e-9)
    np.testing.assert_array_equal(moved[1], pts[1])
    assert SQUARE.contains(Point(moved[0])) and SQUARE.contains(Point(moved[2]))
    np.testing.assert_array_equal(moved, cl.displace_within_precision(pts, radii, SQUARE, rng=4))


def test_displacement_is_uniform_in_the_disc():
    pts = np.full((4000, 2), 5000.0)
    moved = cl.displace_within_precision(pts, 1000.0, SQUARE, rng=5)
    r = np.hypot(*(moved - 5000.0).T)
    # uniform in a disc: P(r <= R/2) = 1/4
    assert np.mean(r <= 500) == pytest.approx(0.25, abs=0.03)


# --- power -------------------------------------------------------------------------------------

def test_clark_evans_power_grows_with_n():
    low = cl.clark_evans_power(SQUARE, 6, parents=3, radius=600, nrep=60, nsim=199, rng=1)
    high = cl.clark_evans_power(SQUARE, 40, parents=3, radius=600, nrep=60, nsim=199, rng=1)
    assert high > 0.9 and low < high


# --- DBSCAN / HDBSCAN --------------------------------------------------------------------------

def test_k_distances_and_knee():
    pts = np.array([[0, 0], [10, 0], [0, 10], [5000, 0]])
    np.testing.assert_allclose(cl.k_distances(pts, 1), [10, 10, 10, 4990])
    curve = np.r_[np.linspace(1, 2, 20), [50, 100]]
    assert cl.knee(curve) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        cl.k_distances(pts, 4)


def test_dbscan_finds_the_clumps_and_not_csr():
    grid = cl.dbscan_grid(clustered(1), [400], [4])
    assert grid.loc[0, "clusters"] == 4 and grid.loc[0, "noise"] == 0
    csr = cl.dbscan_grid(pp.csr(SQUARE, 40, 1), [400], [4])
    assert csr.loc[0, "clusters"] <= 1


def test_dbscan_sensitivity_uses_the_knee_of_its_own_k():
    pts = clustered(1)
    table = cl.dbscan_sensitivity(pts, (3, 4), (500.0,))
    assert table["eps_from"].tolist() == ["knee", "walk", "knee", "walk"]
    assert table.loc[0, "eps_m"] == pytest.approx(cl.knee(cl.k_distances(pts, 2)))
    assert table.loc[2, "eps_m"] == pytest.approx(cl.knee(cl.k_distances(pts, 3)))


def test_dbscan_knee_ignores_the_zero_distances_of_ties():
    pts = np.vstack([np.zeros((5, 2)), [[300, 0], [0, 400], [2000, 2000]]])
    table = cl.dbscan_sensitivity(pts, (2,), ())
    kd = cl.k_distances(pts, 1)
    assert table.loc[0, "eps_m"] == pytest.approx(cl.knee(kd[kd > 0])) and table.loc[0, "eps_m"] > 0


def test_hdbscan_finds_the_clumps():
    grid = cl.hdbscan_grid(clustered(1), [5], allow_single_cluster=(False,))
    assert grid.loc[0, "clusters"] == 4


# --- kernel density ----------------------------------------------------------------------------

def test_kde_integrates_to_n_points():
    pts = np.array([[5000, 5000], [5500, 5200], [4800, 4700]])
    xs, ys, z = cl.kde_raster(pts, 500, SQUARE.bounds, cell=50)
    total = z.sum() * (50 * 50) / 1e6  # per km² times km² per cell
    assert total == pytest.approx(3, rel=1e-3)
    assert z.shape == (len(ys), len(xs))


def test_cv_bandwidth_is_small_for_clumps_larger_for_csr_and_robust_to_ties():
    h_clumps, _ = cl.cv_bandwidth(clustered(1))
    h_csr, _ = cl.cv_bandwidth(pp.csr(SQUARE, 40, 2))
    assert h_clumps < 300 < h_csr
    pts = pp.csr(SQUARE, 15, 3)
    h_ties, scores = cl.cv_bandwidth(np.vstack([pts, pts[:3], pts[:3]]))
    assert h_ties > cl.CV_BANDWIDTHS_M[0] and np.isfinite(scores).any()


# --- centrography ------------------------------------------------------------------------------

def test_centrography_known_square_and_degenerate_cases():
    square = np.array([[0, 0], [1000, 0], [0, 1000], [1000, 1000], [500, 500]])
    c = cl.centrography(square)
    assert (c["mean_x"], c["mean_y"]) == (500, 500)
    assert c["standard_distance_m"] == pytest.approx(math.sqrt(4 * 500_000 / 5))
    assert c["hull_km2"] == pytest.approx(1.0)
    assert c["ripley_rasson_km2"] == pytest.approx(1.0 / (1 - 4 / 5))
    same = cl.centrography(np.zeros((4, 2)))
    assert same["n_locations"] == 1 and same["standard_distance_m"] == 0
    assert math.isnan(same["hull_km2"]) and math.isnan(same["density_per_km2"])


def test_subsample_centrography_is_seeded():
    pts = pp.csr(SQUARE, 12, 1)
    a = cl.subsample_centrography(pts, 4, 30, rng=2)
    b = cl.subsample_centrography(pts, 4, 30, rng=2)
    assert a.equals(b) and (a["n"] == 4).all()


def test_chapter_quotes_are_verbatim(seeds_dir):
    """Chinese quotations (in “…”) in the chapter occur verbatim in seed 004."""
    import json
    import re
    from aicluster import paths
    nb = json.loads((paths.ROOT / "chapters" / "point_patterns.ipynb").read_text(encoding="utf-8"))
    text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    seed = next(seeds_dir.glob("004_*")).read_text(encoding="utf-8")
    quotes = [q for q in re.findall(r"“([^”]+)”", text) if re.search(r"[\u4e00-\u9fff]", q)]
    assert quotes, "the chapter quotes its source"
    for quote in quotes:
        assert quote in seed, quote


# --- the chapter's analyses window by window: tables and glued values --------------------------
# A synthetic district in EPSG:4548 near Beijing: three towers share one estimated point (that of
# a science park), five stand alone, and three institutions lie among them.

ORIGIN = np.array([440_000.0, 4_420_000.0])
DISTRICT = box(*ORIGIN, *(ORIGIN + 10_000))
PLACE_ROWS = [  # place_id, name_en, name_zh, kind, coord_source, precision_m, x, y
    ("s1", "Tower A", "甲大厦", "ai_building", "ESTIMATE: park address", 800, 5000, 5000),
    ("s2", "Tower B", "乙大厦", "ai_building", "ESTIMATE: park address", 800, 5000, 5000),
    ("s3", "Tower C", "丙大厦", "ai_building", "ESTIMATE: park address", 800, 5000, 5000),
    ("s4", "Tower D", "丁大厦", "ai_building", "AMAP_APP", 100, 5600, 5200),
    ("s5", "Tower E", "戊大厦", "ai_building", "AMAP_APP", 150, 4400, 5300),
    ("s6", "Tower F", "己大厦", "ai_building", "ESTIMATE: street", 300, 5200, 4300),
    ("s7", "Tower G", "庚大厦", "ai_building", "AMAP_APP", 100, 6100, 6000),
    ("s8", "Tower H", "辛大厦", "ai_building", "ESTIMATE: street", 400, 4300, 4200),
    ("p1", "Science Park", "科技园", "ai_hub", "ESTIMATE: map", 800, 5000, 5000),
    ("u1", "North University", "北方大学", "university", "PUBLISHED", 300, 5100, 5400),
    ("u2", "South University", "南方大学", "university", "PUBLISHED", 300, 4800, 4600),
    ("i1", "Institute of Things", "物理所", "institute", "PUBLISHED", 300, 5900, 5500),
]


def synthetic_places():
    import geopandas as gpd
    import pandas as pd

    df = pd.DataFrame(PLACE_ROWS, columns=["place_id", "name_en", "name_zh", "kind",
                                           "coord_source", "precision_m", "x", "y"])
    geometry = gpd.points_from_xy(df["x"] + ORIGIN[0], df["y"] + ORIGIN[1])
    return gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=geometry, crs=geo.METRIC)


def synthetic_chapter():
    """Places, sites, institutions, site coordinates and the three study windows."""
    places = synthetic_places()
    sites = haidian.of_kinds(places, haidian.AI_SITE_KINDS)
    institutions = haidian.of_kinds(places, haidian.INSTITUTION_KINDS)
    xy = haidian.xy(sites)
    windows = cl.study_windows(xy, DISTRICT, haidian.xy(places), 1000.0)
    return places, sites, institutions, xy, windows


def test_points_glue_counts_ties_and_names_the_shared_point():
    places, sites, institutions, _, _ = synthetic_chapter()
    g = cl.points_glue(sites, institutions, places)
    assert (g["n_sites"], g["n_inst"], g["n_univ"], g["n_locations"]) == (8, 3, 2, 6)
    assert (g["n_published"], g["n_estimated"]) == (3, 5)
    assert (g["prec_min"], g["prec_max"], g["prec_median"]) == (100, 800, 350.0)
    assert (g["n_tied"], g["n_groups"], g["largest_group"]) == (3, 1, 3)
    assert g["ties_sentence"] == "3 buildings share one estimated point of Science Park 科技园"
    alone = sites.iloc[3:]
    assert cl.ties_sentence(alone, places).startswith("No two buildings share")
    assert cl.points_glue(alone, institutions, places)["largest_group"] == 1


def test_buildings_table_numbers_locations_and_finds_the_nearest_institution():
    _, sites, institutions, _, _ = synthetic_chapter()
    ids = list(sites["place_id"]) + list(institutions["place_id"])
    keys = {pid: f"H{i:02d}" for i, pid in enumerate(ids, start=1)}
    t = cl.buildings_table(sites, institutions, keys=keys)
    assert list(t.columns) == ["Key", "Location", "Building", "Coordinate",
                               "Nearest institution", "Distance (m)"]
    assert t["Key"].tolist() == [keys[p] for p in sites["place_id"]]
    assert t["Location"].tolist() == [1, 1, 1, 2, 3, 4, 5, 6]
    assert t["Building"].iloc[0] == "Tower A 甲大厦"
    assert t["Coordinate"].tolist()[:4] == ["estimate ±800 m"] * 3 + ["published ±100 m"]
    assert t["Nearest institution"].iloc[0].endswith(" North University")
    assert t["Nearest institution"].iloc[0].split()[0] in set(keys.values())
    assert t["Distance (m)"].iloc[0] == pytest.approx(math.hypot(100, 400))


def test_study_windows_and_their_areas():
    _, _, _, xy, windows = synthetic_chapter()
    assert list(windows) == ["haidian", "core", "buffer"]
    assert windows["buffer"][0] == "Within 1 km of knowledge/AI places"
    g = cl.windows_glue(windows, xy, 1000.0)
    assert g["haidian_km2"] == pytest.approx(100.0)
    # the core is the hull enlarged by rr_factor in each direction (it is not clipped here)
    assert g["core_km2"] == pytest.approx(g["hull_km2"] * g["rr_factor"] ** 2)
    assert g["core_share_pct"] == pytest.approx(g["core_km2"])  # of a 100 km² district
    assert 2 < g["hull_m"] < 6 and g["buffer_m"] == 1000.0




def test_dbscan_and_hdbscan_glue():
    _, _, _, xy, _ = synthetic_chapter()
    db = cl.dbscan_sensitivity(xy, (2, 3, 4), cl.WALK_EPS_M)
    knee = cl.knee_setting(db, 3)
    assert knee["min_samples"] == 3 and knee["eps_from"] == "knee"
    with pytest.raises(ValueError, match="min_samples = 9"):
        cl.knee_setting(db, 9)
    g = cl.dbscan_glue(db, knee, xy)
    assert "the 3 buildings on one shared point" in g["db_tie_sentence"]
    assert g["db_n_settings"] == len(db) and g["db_clusters_max"] >= 1
    assert cl.dbscan_glue(db, knee, xy[3:])["db_tie_sentence"].startswith("No cluster is forced")
    assert "labels" not in cl.dbscan_table(db).columns
    hdb = cl.hdbscan_grid(xy, (2, 3))
    h = cl.hdbscan_glue(hdb)
    assert h["hdb_n_settings"] == 4 and h["hdb_all_noise"] == int((hdb["clusters"] == 0).sum())


def test_kde_surfaces_peaks_and_glue():
    _, sites, _, xy, _ = synthetic_chapter()
    bounds = (*(ORIGIN + 3000), *(ORIGIN + 7000))
    surfaces = cl.kde_surfaces(xy, 750.0, bounds, cell=100.0)
    assert [s.bandwidth for s in surfaces] == [500.0, 1000.0, 2000.0, 750.0]
    assert [s.cross_validated for s in surfaces] == [False, False, False, True]
    peak, i = surfaces[0].peak(xy)
    assert peak == surfaces[0].z.max() and i == 0  # the three towers on one point
    g = cl.kde_glue(surfaces, sites)
    assert g["kde_h1_place"] == "the point shared by 3 buildings, among them Tower A 甲大厦"
    assert g["kde_tie_sentence"].startswith("The highest peak at the smallest bandwidth sits on")
    assert cl.site_words(sites, 4) == "Tower E 戊大厦"
    lone = cl.kde_glue(cl.kde_surfaces(xy[3:], 750.0, bounds, cell=100.0), sites.iloc[3:])
    assert lone["kde_tie_sentence"] == "The highest peak does not sit on a shared coordinate."


def test_bandwidth_glue_says_whether_the_choice_is_at_the_edge():
    g = cl.bandwidth_glue(100.0)
    assert (g["h1"], g["h2"], g["h3"], g["n_cv"]) == (500.0, 1000.0, 2000.0, 60)
    assert g["cv_at_edge"] == "at the edge of"
    assert cl.bandwidth_glue(float(cl.CV_BANDWIDTHS_M[20]))["cv_at_edge"] == "inside"


def test_centrography_table_and_glue_with_a_placeholder_point():
    _, _, _, xy, _ = synthetic_chapter()
    mt = np.repeat(xy[:1] + 20_000, 4, axis=0)  # four sites on one placeholder point
    hd_c, mt_c = cl.centrography(xy), cl.centrography(mt)
    sub = cl.subsample_centrography(xy, 4, 50, rng=1)
    km2 = {"haidian": 100.0, "mentougou": 50.0}
    t = cl.centrography_table(hd_c, mt_c, sub, km2).set_index("Measure")
    assert list(t.columns) == ["Haidian, all", "Haidian, subsamples of 4: median [5–95 %]",
                               "Mentougou"]
    assert t.loc["Convex hull (km²)", "Mentougou"] == "undefined"
    assert t.loc["Sites per 100 km² of district"].tolist() == ["8.00", "–", "8.00"]
    lon, lat = map(float, t.loc["Mean centre (lon, lat)", "Haidian, all"].split(", "))
    assert 116 < lon < 117 and 39.5 < lat < 40.5  # the synthetic district lies near Beijing
    g = cl.centrography_glue(hd_c, mt_c, sub, km2)
    assert g["mt_spread_words"] == "all share one placeholder point" and g["mt_sd"] == 0
    assert g["nsub"] == 50 and g["n_mt"] == 4 and g["hd_per100"] == 8.0


def test_mentougou_sites_lie_in_mentougou():
    districts = geo.load_districts().to_crs(geo.METRIC).set_index("district_id")
    pts = cl.mentougou_sites()
    assert pts.shape == (len(cl.MENTOUGOU_AI_SITE_IDS), 2)
    assert all(districts.geometry["mentougou"].contains(Point(p)) for p in pts)


def test_buffer_exercise_glue():
    _, _, institutions, xy, _ = synthetic_chapter()
    inst = haidian.xy(institutions)
    b = cl.buffer_proximity_glue(inst[:1], 500.0, DISTRICT, inst, cl.nearest_distances(xy, inst),
                                 99, rng=1)
    assert list(b) == ["ex_buf500_p", "ex_buf500_ratio", "ex_buf500_km2"]
    assert b["ex_buf500_km2"] == pytest.approx(math.pi * 0.25, rel=1e-3)  # one disc of 500 m
    assert b["ex_buf500_p"] > 0.05  # random points in a disc around an institution are close
