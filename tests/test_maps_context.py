"""BookMap with the context layers: labels, keys, discs, attribution, page-friendly behaviour."""
import json
import re

import geopandas as gpd
import pytest
from shapely.geometry import Point

from aicluster import context, maps


@pytest.fixture
def s1_map():
    pts = gpd.GeoDataFrame(
        {"label": ["M01 park", "M03", "M05", "M06", "M07", "M02 AI centre"],
         "r": [2000, 2500, 2500, 3000, 3000, 1000]},
        geometry=[Point(116.119494, 39.910986)] * 5 + [Point(116.116980, 39.894222)],
        crs="EPSG:4326")
    m = maps.BookMap("S1 test", map_id="s1-test", frame=(116.085, 39.878, 116.170, 39.922))
    m.circles(pts, name="Discs", radius_col="r")
    m.points(pts, name="Places", annotate_col="label")
    return m


def test_context_layers_are_clipped_to_the_frame_and_drawn_first(s1_map):
    layers = s1_map.context_layers()
    names = [layer.name for layer in layers]
    assert any("Yongding" in n for n in names) and any("Rail lines" in n for n in names)
    lines = next(layer for layer in layers if layer.name.startswith("Rail lines"))
    assert "S1" in set(lines.gdf["line_id"])
    x0, y0, x1, y1 = lines.gdf.total_bounds
    assert x0 >= 116.07 and x1 <= 116.19 and y0 >= 39.86 and y1 <= 39.935  # frame + 15 %


def test_all_s1_stations_in_the_frame_are_labelled(s1_map):
    stations = {text for _, text, kind in s1_map.label_items() if kind == "station"}
    assert {"桥户营", "上岸", "栗园庄", "小园", "石厂"} <= stations


def test_shared_point_gets_one_label_with_all_keys(s1_map):
    places = [text for _, text, kind in s1_map.label_items() if kind == "place"]
    assert "M01, M03, M05\u2013M07\npark" in places and "M02 AI centre" in places


def test_one_disc_per_shared_point_with_the_largest_radius(s1_map):
    discs = next(layer for layer in s1_map.layers if layer.kind == "circles").gdf
    assert len(discs) == 2 and sorted(discs["r"]) == [1000, 3000]


def test_discs_do_not_widen_the_frame(s1_map):
    fig = s1_map.figure()
    ax = fig.axes[0]
    width_m = ax.get_xlim()[1] - ax.get_xlim()[0]
    assert width_m < 8_000  # the 3 km discs would make it wider than 10 km
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_static_map_has_attribution_scale_bar_and_north_arrow(s1_map):
    fig = s1_map.figure()
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("© OpenStreetMap contributors" in t for t in texts)
    assert "N" in texts and any(t.endswith(" km") or t.endswith(" m") for t in texts)
    import matplotlib.pyplot as plt
    plt.close(fig)


def test_html_map_is_page_friendly(s1_map):
    page = s1_map.folium_map().get_root().render()
    assert '"scrollWheelZoom": false' in page
    assert "scrollWheelZoom.enable()" in page and "bookmap-reset" in page
    assert "OpenStreetMap contributors" in page
    labels = [json.loads(m) for m in re.findall(r'"html": ("(?:[^"\\]|\\.)*")', page)]
    assert '<div class="bookmap-label">M01, M03, M05\u2013M07<br>park</div>' in labels


def test_labels_are_escaped():
    pts = gpd.GeoDataFrame({"label": ['H01 <img src=x onerror="alert(1)">']},
                           geometry=[Point(116.3, 39.98)], crs="EPSG:4326")
    m = maps.BookMap("x", map_id="esc", basemap=False).points(pts, name="P", annotate_col="label")
    page = m.folium_map().get_root().render()
    assert "<img src=x" not in page


def test_without_basemap_no_context_and_no_attribution():
    pts = gpd.GeoDataFrame({"label": ["H01"]}, geometry=[Point(116.3, 39.98)], crs="EPSG:4326")
    m = maps.BookMap("x", map_id="nobase", basemap=False).points(pts, name="P")
    assert m.context_layers() == [] and m.attribution() == ""


def test_city_scale_maps_draw_only_named_stations():
    pts = gpd.GeoDataFrame(geometry=[Point(115.5, 39.8), Point(116.6, 40.2)], crs="EPSG:4326")
    m = maps.BookMap("x", map_id="city", station_labels=("大台",)).points(pts, name="P")
    stations = next(layer for layer in m.context_layers() if layer.kind == "stations").gdf
    assert list(stations["name_zh"]) == ["大台"]


def test_key_ranges():
    assert maps.key_ranges(["M05", "M01", "M06", "M03", "M07", "M08"]) == "M01, M03, M05\u2013M08"
    assert maps.key_ranges(["H04", "H07", "H13"]) == "H04, H07, H13"


def test_attribution_names_both_sources():
    text = context.attribution_text()
    assert "© OpenStreetMap contributors" in text and "Natural Earth" in text
