"""The map object: one display, interactive HTML and static PNG, deterministic and offline."""
import base64
import re

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from aicluster import maps


@pytest.fixture
def small_map():
    polys = gpd.GeoDataFrame({"name": ["A 甲", "B 乙"], "fill": ["#0072B2", "#D55E00"]},
                             geometry=[box(116.2, 39.9, 116.3, 40.0), box(116.3, 39.9, 116.4, 40.0)],
                             crs="EPSG:4326")
    pts = gpd.GeoDataFrame({"name": ['<script>alert("x")</script> & Co']},
                           geometry=[Point(116.25, 39.95)], crs="EPSG:4326")
    m = maps.BookMap("Test map 测试", map_id="test")
    m.polygons(polys, name="Areas", colour_col="fill", label_col="name")
    m.points(pts, name="Firms", label_col="name")
    return m


def test_mime_bundle_has_html_png_and_plain(small_map):
    bundle = small_map._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    assert base64.b64decode(bundle["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
    assert bundle["text/html"].startswith("<iframe")
    assert "0x" not in bundle["text/plain"]


def test_bundle_is_deterministic(small_map):
    again = maps.BookMap("Test map 测试", map_id="test")
    again.layers = small_map.layers
    assert small_map._repr_mimebundle_() == again._repr_mimebundle_()


def test_html_loads_bundled_leaflet_and_no_remote_assets(small_map):
    page = small_map.folium_map().get_root().render()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    links = re.findall(r'<link[^>]+href="([^"]+)"', page)
    assert scripts == ["../vendor/leaflet/leaflet.js"]
    assert links == ["../vendor/leaflet/leaflet.css"]


def test_no_tile_server_and_no_cdn(small_map):
    page = small_map.html()
    assert "tile.openstreetmap.org" not in page and "tile_layer_" not in page
    assert "unpkg.com" not in page and "cdn" not in page.lower()


def test_text_from_data_is_escaped(small_map):
    page = small_map.folium_map().get_root().render()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page


def test_map_ids_do_not_use_random_bytes(monkeypatch, small_map):
    monkeypatch.setattr("os.urandom", lambda n: b"\x00" * n)
    first = small_map.html()
    monkeypatch.setattr("os.urandom", lambda n: b"\xff" * n)
    assert small_map.html() == first


def test_remote_asset_is_refused():
    with pytest.raises(RuntimeError, match="remote assets"):
        maps._assert_no_remote_assets('<script src="https://cdn.example.org/x.js"></script>')


def test_layer_without_crs_is_refused():
    with pytest.raises(ValueError, match="CRS"):
        maps.BookMap("x").points(gpd.GeoDataFrame(geometry=[Point(0, 0)]), name="p")


def test_rendered_map_needs_no_jquery(small_map):
    # Only Leaflet is bundled: any jQuery call would throw and stop the map from drawing.
    page = small_map.folium_map().get_root().render()
    assert "$(" not in page and "jQuery" not in page


# -- HTML legend (opt-in) and list-valued tooltip fields ---------------------------------------
def _legend_map(html_legend=True):
    pts = gpd.GeoDataFrame({"name": ["A"], "firms": [["甲 <b>x</b>", "乙 & Co"]]},
                           geometry=[Point(116.25, 39.95)], crs="EPSG:4326")
    area = gpd.GeoDataFrame(geometry=[box(116.2, 39.9, 116.3, 40.0)], crs="EPSG:4326")
    m = maps.BookMap("Legend 图例", map_id="legend", html_legend=html_legend)
    m.polygons(area, name="Area", colour="#D55E00", legend={"District <i>区</i>": "#D55E00"})
    m.points(pts, name="Firms", label_col="name", fields={"firms": "Firms here"},
             legend={"AI building 楼宇": "#0072B2"})
    return m


def test_html_legend_lists_every_entry_escaped_without_jquery():
    page = _legend_map().folium_map().get_root().render()
    assert page.count('class="bookmap-legend"') == 1 and "<details" in page
    inner = re.search(r'<details class="bookmap-legend".*?</details>', page, re.S).group(0)
    # labels are escaped before they reach the page
    assert "AI building 楼宇</div>" in inner and "District &lt;i&gt;区&lt;/i&gt;</div>" in inner
    assert "<i>" not in inner and "<i>" not in page
    assert "$(" not in page and "jQuery" not in page


def test_html_legend_can_be_switched_off():
    page = _legend_map(html_legend=False).folium_map().get_root().render()
    assert 'class="bookmap-legend"' not in page


def test_legend_refuses_a_colour_that_is_not_hex():
    with pytest.raises(ValueError, match="hex colour"):
        maps.legend_html([("x", "red;background:url(http://x)", "point")])


def test_legend_entries_follow_layer_order_and_shape():
    assert _legend_map().legend_entries() == [("District <i>区</i>", "#D55E00", "area"),
                                              ("AI building 楼宇", "#0072B2", "point")]


def test_list_valued_field_gives_one_escaped_line_per_item():
    m = _legend_map()
    tip = m._tooltip_html(m.layers[1], m.layers[1].gdf.iloc[0])
    assert tip == "<b>A</b><br>Firms here:<br>甲 &lt;b&gt;x&lt;/b&gt;<br>乙 &amp; Co"
