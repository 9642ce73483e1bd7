"""West-Beijing places, shared-point labels, distances in EPSG:4548 and the DEM grid."""
import geopandas as gpd
import pandas as pd
import pytest

from aicluster import evidence, westbeijing as wb


@pytest.fixture(scope="module")
def places():
    return evidence.load_places()


def toy(points, radii=None):
    df = pd.DataFrame({"place_id": [f"p{i}" for i in range(len(points))],
                       "name_en": [f"P{i}" for i in range(len(points))],
                       "lon": [p[0] for p in points], "lat": [p[1] for p in points],
                       "precision_m": radii or [100] * len(points)})
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.lon, df.lat), crs="EPSG:4326")


def test_places_in_styles_every_place(places):
    mt = wb.places_in(places, "mentougou")
    assert len(mt) == (places["district"] == "mentougou").sum() > 5
    assert mt["colour"].notna().all() and mt["label"].str.contains("门头沟|寺|山|村|煤矿|园|中心|医院|大厦|基地").any()


def test_every_place_kind_has_a_map_style():
    assert set(wb.KIND_STYLE) == set(evidence.PLACE_KINDS)


def test_places_in_refuses_unstyled_kinds(places):
    odd = places.copy()
    odd["kind"] = odd["kind"].astype(str)
    odd.loc[odd["district"] == "mentougou", "kind"] = "spaceport"
    with pytest.raises(ValueError, match="spaceport"):
        wb.places_in(odd, "mentougou")


def test_point_labels_one_per_distinct_point():
    p = toy([(116.1, 39.9), (116.1, 39.9), (116.1, 39.9), (116.2, 39.9)])
    labels = wb.point_labels(p)
    assert list(labels) == ["P0 + 2 more", "", "", "P3"]
    assert list(wb.point_labels(p, short={"p0": "Park"}))[0] == "Park + 2 more"
    # Only named places are labelled; a shared point takes the first non-empty name.
    assert list(wb.point_labels(p, short={"p1": "Centre"}, default="")) == ["Centre + 2 more", "", "", ""]


def test_shared_points(places):
    shared = wb.shared_points(places[places["district"] == "mentougou"])
    assert shared.loc[0, "n_places"] >= 2 and "mt_zgc_science_park" in shared.loc[0, "place_ids"]


def test_distances_match_geodesic_and_carry_radii():
    from pyproj import Geod
    p = toy([(116.10, 39.90), (116.32, 39.98)], radii=[2500, 300])
    d = wb.distances(p.iloc[[0]], p.iloc[[1]])
    geodesic = Geod(ellps="GRS80").inv(116.10, 39.90, 116.32, 39.98)[2] / 1000
    # Gauss-Krüger scale error near the central meridian 117E is well under 0.1 %.
    assert d.loc[0, "distance_km"] == pytest.approx(geodesic, rel=1e-3)
    assert d.loc[0, "error_km"] == pytest.approx(2.8)


def test_distance_summary():
    origins = toy([(116.10, 39.90)])
    targets = toy([(116.30, 39.98), (116.34, 39.99), (116.32, 40.00)])
    s = wb.distance_summary(origins, targets)
    assert s.loc[0, "nearest_km"] <= s.loc[0, "median_km"] <= s.loc[0, "farthest_km"]
    assert s.loc[0, "nearest_km"] <= s.loc[0, "centroid_km"] <= s.loc[0, "farthest_km"]


def test_places_by_id(places):
    got = wb.places_by_id(places, ["mt_datai_mine", "mt_xiluopo"])
    assert list(got["place_id"]) == ["mt_datai_mine", "mt_xiluopo"]
    with pytest.raises(KeyError, match="nowhere"):
        wb.places_by_id(places, ["nowhere"])


def test_dem_grid_is_coarse():
    centres = wb.dem_grid_centres((115.4, 39.7, 116.3, 40.2))
    assert len(centres) == 10  # 5 longitudes x 2 latitudes
    ew, ns = wb.dem_cell_size_km(40.0)
    assert 16 < ew < 18 and 22 < ns < 23
