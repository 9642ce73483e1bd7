"""aicluster.haidian: site/institution selection and nearest distances in metres."""
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from aicluster import haidian
from aicluster.geo import METRIC


def test_nearest_matches_brute_force():
    rng = np.random.default_rng(1)
    pts, tgt = rng.uniform(0, 1000, (40, 2)), rng.uniform(0, 1000, (7, 2))
    dist, idx = haidian.nearest(pts, tgt)
    brute = np.linalg.norm(pts[:, None, :] - tgt[None, :, :], axis=2)
    np.testing.assert_allclose(dist, brute.min(axis=1))
    np.testing.assert_array_equal(idx, brute.argmin(axis=1))


def test_nearest_needs_targets():
    with pytest.raises(ValueError, match="at least one target"):
        haidian.nearest(np.zeros((2, 2)), np.zeros((0, 2)))


def test_xy_refuses_geographic_coordinates():
    frame = gpd.GeoDataFrame(geometry=[Point(116.3, 39.9)], crs="EPSG:4326")
    with pytest.raises(ValueError, match="projected"):
        haidian.xy(frame)


def test_haidian_places_are_metric_and_in_haidian():
    places = haidian.haidian_places()
    assert places.crs.to_string() == METRIC
    assert set(places["district"]) == {"haidian"}
    assert len(haidian.of_kinds(places, haidian.AI_SITE_KINDS)) >= 10
    assert len(haidian.of_kinds(places, haidian.INSTITUTION_KINDS)) >= 5


def test_nearest_institution_is_a_real_metric_distance():
    places = haidian.haidian_places()
    sites = haidian.of_kinds(places, haidian.AI_SITE_KINDS)
    inst = haidian.of_kinds(places, haidian.INSTITUTION_KINDS)
    table = haidian.nearest_institution(sites, inst)
    assert len(table) == len(sites)
    # geodesic check of one pair, independent of the projection
    from pyproj import Geod
    row = table.iloc[0]
    a = sites.to_crs(4326).iloc[0].geometry
    b = inst.to_crs(4326).set_index("place_id").loc[row["nearest_id"]].geometry
    _, _, geodesic = Geod(ellps="WGS84").inv(a.x, a.y, b.x, b.y)
    assert row["distance_m"] == pytest.approx(geodesic, rel=2e-3)


def test_firms_by_place_counts_every_located_organisation():
    orgs = pd.DataFrame({"place_id": ["a", "a", "b", ""], "name_en": ["X", "Y", "Z", "W"],
                         "name_zh": ["甲", "乙", "丙", "丁"]})
    table = haidian.firms_by_place(orgs).set_index("place_id")
    assert table.loc["a", "n_organisations"] == 2
    assert table.loc["a", "organisations_zh"] == "甲; 乙"
    assert "" not in table.index


# -- uncertainty, shared points, organisations --------------------------------------------------
def _frame(rows, crs=METRIC):
    """rows: (place_id, x, y, precision_m[, kind])"""
    return gpd.GeoDataFrame({"place_id": [r[0] for r in rows], "precision_m": [r[3] for r in rows]},
                            geometry=[Point(r[1], r[2]) for r in rows], crs=crs)


def test_distance_bounds_add_both_radii_and_count_candidates():
    site = _frame([("s", 0, 0, 100)])
    far = _frame([("a", 1000, 0, 100), ("b", 5000, 0, 100)])
    near = _frame([("a", 1000, 0, 100), ("b", 1300, 0, 100)])
    got = haidian.nearest_distance_bounds(site, far).iloc[0]
    assert (got["low_m"], got["high_m"], got["n_candidates"]) == (800, 1200, 1)
    # b (1100-1500 m) could be nearer than a (800-1200 m): two candidates
    assert haidian.nearest_distance_bounds(site, near).iloc[0]["n_candidates"] == 2
    # the lower bound never goes below zero
    assert haidian.nearest_distance_bounds(_frame([("s", 0, 0, 900)]), far).iloc[0]["low_m"] == 0


def test_simulated_distances_lie_within_the_strict_bounds():
    places = haidian.haidian_places()
    sites = haidian.of_kinds(places, haidian.AI_SITE_KINDS)
    inst = haidian.of_kinds(places, haidian.INSTITUTION_KINDS)
    bounds = haidian.nearest_distance_bounds(sites, inst)
    sim = haidian.simulate_nearest_distance(sites, inst, n=500)
    assert (sim["sim_low_m"] >= bounds["low_m"] - 1e-9).all()
    assert (sim["sim_high_m"] <= bounds["high_m"] + 1e-9).all()
    assert (sim["sim_low_m"] <= sim["sim_median_m"]).all()
    assert (sim["sim_median_m"] <= sim["sim_high_m"]).all()


def test_simulation_is_seeded_and_exact_points_give_the_distance():
    site, inst = _frame([("s", 0, 0, 1)]), _frame([("a", 300, 400, 1)])
    a = haidian.simulate_nearest_distance(site, inst, n=200, seed=1)
    pd.testing.assert_frame_equal(a, haidian.simulate_nearest_distance(site, inst, n=200, seed=1))
    assert a.iloc[0]["sim_median_m"] == pytest.approx(500, abs=2)


def test_derived_from_matches_whole_place_ids_only():
    places = pd.DataFrame({"place_id": ["hd_tsinghua", "hd_tsinghua_science_park", "x"],
                           "coord_source": ["Wikipedia", "ESTIMATE: see hd_tsinghua_science_park",
                                            "ESTIMATE: 100 m from the hd_tsinghua point"]})
    got = haidian.derived_from(places)
    assert got == {"hd_tsinghua": set(), "hd_tsinghua_science_park": set(), "x": {"hd_tsinghua"}}
    assert haidian.placed_relative("hd_tsinghua", "x", got)
    assert not haidian.placed_relative("hd_tsinghua", "hd_tsinghua_science_park", got)


def test_placed_relative_follows_chains_and_common_anchors():
    derived = {"a": {"park"}, "park": {"station"}, "b": {"station"}, "c": set(), "station": set()}
    assert haidian.anchors("a", derived) == {"park", "station"}
    assert haidian.placed_relative("a", "station", derived)      # through the park
    assert haidian.placed_relative("a", "b", derived)            # common anchor: the station
    assert not haidian.placed_relative("a", "c", derived)
    assert haidian.anchors("x", {"x": {"y"}, "y": {"x"}}) == {"y"}  # cycles end


def test_shared_points_are_stacked_into_one_marker_listing_every_place_and_firm():
    places = _frame([("a", 0, 0, 100), ("b", 0, 0, 500), ("c", 50, 0, 100)]).assign(
        name_en=["A", "B", "C"], name_zh=["甲", "乙", "丙"], kind=["ai_hub", "ai_building", "ai_building"],
        is_estimate=[True, True, False])
    orgs = pd.DataFrame({"place_id": ["b", "b", "b", None, "a"], "name_en": ["X", "X", "DeepSeek", "Z", "A"],
                         "name_zh": ["艾", "艾", "DeepSeek", "泽", "甲"]})
    assert haidian.n_sharing_point(places).tolist() == [2, 2, 1]
    stacked = haidian.stack_points(places, orgs, priority=["ai_building", "ai_hub"])
    assert stacked["n_places"].tolist() == [2, 1]
    shared = stacked.iloc[0]
    assert shared["place_ids"] == ["b", "a"] and shared["kind"] == "ai_building"
    assert shared["label"] == "2 places share this estimated point"
    assert shared["precision_m"] == 500
    # A's own organisation (A at place A, like Tsinghua at its campus) is not listed under it
    assert shared["lines"] == ["▪ B 乙", "\u2003– X 艾", "\u2003– DeepSeek", "▪ A 甲"]
    assert shared["coordinate"] == "estimates, ±100–500 m"
    assert stacked.iloc[1]["coordinate"] == "published point, ±100 m"
    assert stacked.iloc[1]["label"] == "C 丙"


def test_every_located_organisation_in_haidian_appears_on_the_map_stack():
    places = haidian.haidian_places()
    orgs = haidian.evidence.load_organisations()
    text = "\n".join(line for lines in haidian.stack_points(places)["lines"] for line in lines)
    located = orgs[orgs["place_id"].isin(haidian.of_kinds(places, ("ai_building", "ai_hub"))["place_id"])]
    assert len(located) >= 10
    missing = [n for n in located["name_zh"].map(haidian._drop_parentheses) if n not in text]
    assert not missing, missing


def test_marker_keys_number_ai_places_and_letter_the_rest_from_north_to_south():
    markers = gpd.GeoDataFrame({"kind": ["ai_building", "university", "ai_hub", "institute"]},
                               geometry=[Point(0, 0), Point(0, 10), Point(5, 20), Point(9, 10)],
                               crs=METRIC)
    assert haidian.marker_keys(markers, ("ai_building", "ai_hub")) == ["2", "A", "1", "B"]
    assert haidian._letters(0) == "A" and haidian._letters(26) == "AA"


def test_key_order_sorts_numbers_numerically_then_letters_then_the_rest():
    keys = ["10", "B", "pilot area", "2", "A", "1"]
    assert [keys[i] for i in haidian.key_order(keys)] == ["1", "2", "10", "A", "B", "pilot area"]


def test_short_name_drops_parentheticals_in_both_scripts():
    assert haidian.short_name("JD Technology Building (former Cuigong Hotel)",
                              "京东科技大厦（原翠宫饭店）") == "JD Technology Building 京东科技大厦"
    assert haidian.short_name("Tsinghua University", "清华大学") == "Tsinghua University 清华大学"


def test_organisation_labels_drop_glosses_in_parentheses():
    orgs = pd.DataFrame({"place_id": ["p", "p"], "name_en": ["Moonshot AI (Kimi)", "ByteDance (Douyin Group)"],
                         "name_zh": ["月之暗面", "字节跳动(抖音集团)"]})
    assert haidian.organisations_at(orgs) == {"p": ["Moonshot AI 月之暗面", "ByteDance 字节跳动"]}
