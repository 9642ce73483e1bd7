"""The committed district boundaries are complete, valid, WGS-84 and the right size."""
import json

import pytest
from shapely.geometry import Point

from aicluster import geo, paths


@pytest.fixture(scope="module")
def districts():
    return geo.load_districts()


def test_sixteen_districts_with_names(districts):
    assert len(districts) == 16
    assert districts["code"].str.fullmatch(r"1101\d\d").all()
    assert {"haidian", "shijingshan", "mentougou"} <= set(districts["district_id"])
    assert districts.loc[districts.district_id == "haidian", "name_zh"].item() == "海淀区"


def test_geometries_valid_and_inside_beijing(districts):
    assert districts.geometry.is_valid.all()
    minx, miny, maxx, maxy = districts.total_bounds
    assert 115.3 < minx and maxx < 117.6 and 39.4 < miny and maxy < 41.1


def test_districts_do_not_overlap(districts):
    metric = districts.to_crs(geo.METRIC)
    union_area = metric.union_all().area
    assert union_area == pytest.approx(metric.area.sum(), rel=1e-4)


def test_file_is_utf8_geojson_without_crs_surprises():
    data = json.loads(paths.BOUNDARIES.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert {f["properties"]["name_en"] for f in data["features"]} >= {"Haidian", "Mentougou"}


def test_known_wgs84_landmarks_fall_in_their_districts(districts):
    # WGS-84 (GPS/OpenStreetMap) positions: Tiananmen Gate and the main gate of Peking University.
    by_id = districts.set_index("district_id").geometry
    assert by_id["dongcheng"].contains(Point(116.3913, 39.9087))
    assert by_id["haidian"].contains(Point(116.3050, 39.9925))


def test_areas_close_to_official(districts):
    table = geo.area_comparison(districts, geo.load_official_areas())
    compared = table.dropna(subset=["area_official_km2"])
    assert len(compared) >= 14, "official areas should be known for (nearly) all districts"
    assert compared["diff_pct"].abs().max() < 3.0
    assert (table["webmercator_excess_pct"] > 60).all()


def test_bad_boundary_file_is_named(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "110108"},
         "geometry": {"type": "Point", "coordinates": [116.3, 40.0]}}]}), encoding="utf-8")
    with pytest.raises(geo.BoundaryError, match="bad.geojson: missing column"):
        geo.load_districts(bad)
