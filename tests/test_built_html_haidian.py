"""The built chapter 'Haidian's AI buildings', opened in headless Chromium with no network."""
import re

import pytest

from aicluster import evidence, haidian
from test_built_html import browser, map_frames, open_page, serve, wait_ready  # noqa: F401  (fixture)

PAGE = "chapters/haidian_buildings.html"
# Every tooltip of a Leaflet map, read from the map objects (folium declares them as globals).
TOOLTIPS = """() => { const out = []; for (const k of Object.keys(window)) { const m = window[k];
  if (k.startsWith('map_') && m && m.eachLayer) { m.eachLayer(l => {
    const t = l.getTooltip && l.getTooltip(); if (t) out.push(String(t.getContent())); }); } }
  return out; }"""
OPEN = """(needle) => { for (const k of Object.keys(window)) { const m = window[k];
  if (k.startsWith('map_') && m && m.eachLayer) { let hit = null; m.eachLayer(l => {
    const t = l.getTooltip && l.getTooltip();
    if (!hit && t && String(t.getContent()).includes(needle)) hit = l; });
    if (hit) { hit.openTooltip(); return true; } } }
  return false; }"""


@pytest.fixture(scope="module")
def firm_zh():
    """A Chinese firm name the sources put in a Haidian AI building (from the data, not typed)."""
    orgs = evidence.load_organisations()
    sites = haidian.of_kinds(haidian.haidian_places(), haidian.AI_SITE_KINDS)
    firms = orgs[orgs["place_id"].isin(sites["place_id"]) & (orgs["kind"] == "firm")
                 & orgs["name_zh"].str.contains(r"[\u4e00-\u9fff]")]
    return firms["name_zh"].iloc[0]


@pytest.fixture(scope="module")
def rendered(browser, html_dir, firm_zh):  # noqa: F811
    with serve(html_dir) as base:
        context, page, requests, errors = open_page(browser, f"{base}/{PAGE}")
        maps = []
        for frame in map_frames(page):
            opened = frame.evaluate(OPEN, firm_zh)
            shown = frame.locator(".leaflet-tooltip").all_inner_texts() if opened else []
            maps.append({"markers": frame.locator(".leaflet-overlay-pane svg path").count(),
                         "tooltips": frame.evaluate(TOOLTIPS), "shown": shown,
                         "legend": frame.locator(".bookmap-legend").all_inner_texts()})
        wait_ready(page)
        text = page.inner_text("main")
        outside = [u for u in requests if not u.startswith(base) and not u.startswith(("data:", "about:"))]
        context.close()
    return {"maps": maps, "text": text, "errors": errors, "outside": outside}


def test_maps_initialise_offline_without_errors(rendered):
    assert rendered["errors"] == [], f"JavaScript errors: {rendered['errors']}"
    assert rendered["outside"] == [], f"requests left the machine: {rendered['outside']}"
    assert len(rendered["maps"]) >= 2


def test_every_marker_is_drawn(rendered):
    places = haidian.haidian_places()
    sites = haidian.of_kinds(places, haidian.AI_SITE_KINDS)
    distinct_sites = haidian.point_key(sites).nunique()
    overview = rendered["maps"][0]
    # one path per marker at least, plus precision circles and polygons
    assert overview["markers"] >= 2 * distinct_sites, overview["markers"]
    assert all(m["markers"] >= distinct_sites for m in rendered["maps"])


def test_a_tooltip_shows_a_chinese_firm_name_escaped_once(rendered, firm_zh):
    for m in rendered["maps"]:
        assert any(firm_zh in t for t in m["tooltips"]), f"{firm_zh} in no tooltip"
        assert m["shown"] and firm_zh in m["shown"][0], "the tooltip did not open on the page"
        shown = "\n".join(m["shown"])
        assert "&amp;" not in shown and "&lt;" not in shown, "text escaped twice"


def test_shared_points_are_announced_in_a_tooltip(rendered):
    shared = int(haidian.n_sharing_point(haidian.of_kinds(haidian.haidian_places(),
                                                          haidian.AI_SITE_KINDS)).max())
    if shared == 1:
        pytest.skip("no two AI buildings share a stored point any more")
    assert any(re.search(r"\d+ places share this", t) for t in rendered["maps"][0]["tooltips"])


def test_interactive_maps_have_a_legend(rendered):
    for m in rendered["maps"]:
        assert m["legend"] and "University" in m["legend"][0] and "AI office building" in m["legend"][0]


def test_glued_distance_is_in_the_prose(rendered):
    places = haidian.haidian_places()
    sites = haidian.of_kinds(places, haidian.AI_SITE_KINDS)
    table = haidian.nearest_institution(sites, haidian.of_kinds(places, haidian.INSTITUTION_KINDS))
    median = table["distance_m"].median()
    assert "{glue" not in rendered["text"]
    assert f"median {median:,.0f} m" in rendered["text"], "the computed median distance is not in the prose"
    assert "步行就能面试" in rendered["text"]
