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
