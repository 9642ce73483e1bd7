"""Every interactive map of the built book, as a reader meets it (issue 11): context layers,
visible labels with the places' keys, attribution, a page that scrolls past the map until the
map is clicked, a reset-view button, a legend below the map that folds on a phone, tooltips that
fit. Headless Chromium, no network; waits for conditions, never for network idle."""
from urllib.parse import urlparse

import pytest

from test_built_html import browser, serve  # noqa: F401  (fixture and helper)

# page -> {map id: (labels that must be visible: station names and place keys)}
MAPS = {
    "chapters/study_area.html": {"study-districts": ("Haidian", "Mentougou", "Shijingshan")},
    "chapters/sources_and_data.html": {
        "sources-places": ("M01", "M09", "W01", "H14"),
        "sources-places-haidian": ("H01", "H12", "H23", "H24")},
    "chapters/haidian_buildings.html": {
        "haidian-overview": ("H14", "H15", "西北旺", "上地"),
        "haidian-core": ("H01", "H02", "H12", "H23", "五道口", "中关村", "大钟寺", "海淀黄庄")},
    "chapters/mentougou.html": {
        "mentougou-places": ("M01", "M09", "M11", "M12", "M13", "大台", "落坡岭"),
        "mentougou-s1": ("M01", "M04", "桥户营", "上岸", "栗园庄", "小园", "石厂")},
    "chapters/jingxi.html": {"jingxi-heritage": ("W01", "W02", "新首钢", "金安桥", "北辛安")},
}
# The Yongding river is drawn where it crosses the frame (not in Zhongguancun).
ON_THE_RIVER = {"study-districts", "sources-places", "mentougou-places", "mentougou-s1",
                "jingxi-heritage", "haidian-overview"}


MAP_OBJECT = "Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])[0]"


def _open(browser, url, width):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors, outside = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "about:", "blob:")) or host == "127.0.0.1":
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page.goto(url, wait_until="load")
    return context, page, errors, outside


def _map_frame(page, map_id):
    element = page.wait_for_selector(f"iframe#bookmap-{map_id}")
    element.scroll_into_view_if_needed()
    frame = element.content_frame()
    frame.wait_for_function("typeof L !== 'undefined' && document.querySelector('.leaflet-pane')"
                            " && document.querySelectorAll('.bookmap-label').length > 0")
    # The labels have been placed for the frame's present size, after its fonts and load.
    frame.wait_for_function(f"""() => {{
        const size = ({MAP_OBJECT}).getSize();
        return document.readyState === 'complete' && document.fonts.status === 'loaded'
            && document.documentElement.dataset.labelsPlaced === size.x + 'x' + size.y; }}""")
    return element, frame




@pytest.fixture(scope="module")
def desktop(browser, html_dir):  # noqa: F811
    """Per map: its visible labels, layer names, attribution and behaviour, at 1280 px."""
    out = {}
    with serve(html_dir) as base:
        for path, maps in MAPS.items():
            context, page, errors, outside = _open(browser, f"{base}/{path}", 1280)
            for map_id in maps:
                element, frame = _map_frame(page, map_id)
                info = frame.evaluate(f"""() => {{
                    const map = {MAP_OBJECT};
                    const visible = el => {{ const r = el.getBoundingClientRect();
                        return r.width > 0 && r.height > 0
                            && getComputedStyle(el).visibility !== 'hidden'; }};
                    const legend = document.querySelector('.bookmap-legend');
                    const box = document.querySelector('.folium-map').getBoundingClientRect();
                    return {{
                        labels: [...document.querySelectorAll('.bookmap-label')]
                                  .filter(visible).map(e => e.textContent),
                        layers: document.querySelector('.leaflet-control-layers').textContent,
                        attribution: document.querySelector('.leaflet-control-attribution')
                                       .textContent,
                        wheel_before: map.scrollWheelZoom.enabled(),
                        reset: !!document.querySelector('.bookmap-reset'),
                        legend_top: legend ? legend.getBoundingClientRect().top : null,
                        map_bottom: box.bottom,
                        zoom: map.getZoom(),
                    }};
                }}""")
                # the reader clicks the map: now the wheel zooms
                frame.click(".folium-map", position={"x": 30, "y": 120})
                info["wheel_after_click"] = frame.evaluate(
                    f"() => {MAP_OBJECT}.scrollWheelZoom.enabled()")
                # zoom in, then reset: back to the first view
                frame.evaluate(f"() => {{ const m = {MAP_OBJECT}; m.setZoom(m.getZoom() + 3,"
                               " {animate: false}); }")
                frame.click(".bookmap-reset")
                frame.wait_for_function(f"() => {MAP_OBJECT}.getZoom() === {info['zoom']}")
                info["zoom_after_reset"] = frame.evaluate(f"() => {MAP_OBJECT}.getZoom()")
                out[map_id] = info
            out[path] = {"errors": errors, "outside": outside}
            context.close()
    return out


@pytest.mark.parametrize("path", MAPS)
def test_pages_with_maps_work_offline(desktop, path):
    assert desktop[path]["errors"] == [], desktop[path]["errors"]
    assert desktop[path]["outside"] == [], desktop[path]["outside"]


MAP_IDS = [(path, map_id) for path, maps in MAPS.items() for map_id in maps]


@pytest.mark.parametrize("path,map_id", MAP_IDS)
def test_map_shows_context_layers_and_their_attribution(desktop, path, map_id):
    info = desktop[map_id]
    assert "Rail lines" in info["layers"], f"{map_id}: no rail layer"
    if map_id in ON_THE_RIVER:
        assert "Yongding" in info["layers"], f"{map_id}: no river layer"
    assert "© OpenStreetMap contributors" in info["attribution"]
    assert "Natural Earth" in info["attribution"]


@pytest.mark.parametrize("path,map_id", MAP_IDS)
def test_map_labels_are_visible_without_hovering(desktop, path, map_id):
    text = " | ".join(desktop[map_id]["labels"])
    missing = [want for want in MAPS[path][map_id] if want not in text]
    assert not missing, f"{map_id}: no visible label for {missing}"


@pytest.mark.parametrize("path,map_id", MAP_IDS)
def test_page_scrolls_past_the_map_until_it_is_clicked(desktop, path, map_id):
    assert desktop[map_id]["wheel_before"] is False
    assert desktop[map_id]["wheel_after_click"] is True


@pytest.mark.parametrize("path,map_id", MAP_IDS)
def test_reset_view_returns_to_the_first_view(desktop, path, map_id):
    assert desktop[map_id]["reset"]
    assert desktop[map_id]["zoom_after_reset"] == desktop[map_id]["zoom"]


@pytest.mark.parametrize("path,map_id", MAP_IDS)
def test_legend_sits_below_the_map(desktop, path, map_id):
    info = desktop[map_id]
    if info["legend_top"] is not None:
        assert info["legend_top"] >= info["map_bottom"] - 1


def test_legend_folds_and_tooltip_fits_on_a_phone(browser, html_dir):  # noqa: F811
    with serve(html_dir) as base:
        context, page, errors, _ = _open(browser, f"{base}/chapters/haidian_buildings.html", 400)
        element, frame = _map_frame(page, "haidian-core")
        assert frame.evaluate("() => document.querySelector('.bookmap-legend').open") is False
        frame.locator("path.leaflet-interactive").last.hover(force=True)
        frame.wait_for_selector(".leaflet-tooltip", state="visible")
        fits = frame.evaluate("""() => { const t = document.querySelector('.leaflet-tooltip')
                                   .getBoundingClientRect();
                                 return t.width <= window.innerWidth; }""")
        assert fits
        assert errors == []
        context.close()


@pytest.mark.parametrize("width", [1280, 400])
def test_place_labels_stay_inside_the_map_frame(browser, html_dir, width):  # noqa: F811
    """A place label that cannot avoid every other label still stays inside the frame (on a
    phone the two far Haidian labels, H14 and H15, once ran past the right edge)."""
    outside = []
    with serve(html_dir) as base:
        for path, maps in MAPS.items():
            context, page, _, _ = _open(browser, f"{base}/{path}", width)
            for map_id in maps:
                _, frame = _map_frame(page, map_id)
                outside += [f"{map_id}: {text}" for text in frame.evaluate("""() => {
                    const box = document.querySelector('.folium-map').getBoundingClientRect();
                    return [...document.querySelectorAll('.bookmap-label:not(.bookmap-station)')]
                        .filter(e => { const r = e.getBoundingClientRect();
                            return r.left < box.left - 1 || r.right > box.right + 1
                                || r.top < box.top - 1 || r.bottom > box.bottom + 1; })
                        .map(e => e.textContent); }""")]
            context.close()
    assert not outside, outside
