"""The built HTML book, opened in headless Chromium as a reader would, with no network."""
import contextlib
import functools
import http.server
import threading
from urllib.parse import urlparse

import pytest
from playwright import sync_api as playwright
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextlib.contextmanager
def serve(directory):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_page(browser, url):
    """Open `url`, recording every request and refusing any that leaves 127.0.0.1."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests, errors = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        requests.append(r.request.url)
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "about:", "blob:")) or host == "127.0.0.1":
            r.continue_()
        else:
            r.abort()

    context.route("**/*", route)
    page.goto(url, wait_until="networkidle")
    return context, page, requests, errors


def test_study_area_map_renders_offline(browser, html_dir):
    with serve(html_dir) as base:
        context, page, requests, errors = open_page(browser, f"{base}/chapters/study_area.html")
        frame_el = page.wait_for_selector("iframe.bookmap")
        frame_el.scroll_into_view_if_needed()
        frame = frame_el.content_frame()
        frame.wait_for_function("typeof L !== 'undefined' && document.querySelector('.leaflet-pane')")
        paths = frame.locator(".leaflet-overlay-pane svg path").count()
        page.wait_for_load_state("networkidle")
        outside = [u for u in requests if not u.startswith(base) and not u.startswith(("data:", "about:"))]
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    assert paths >= 16, f"expected the 16 district polygons, found {paths} SVG paths"
    assert outside == [], f"requests left the machine: {outside}"


def test_chinese_text_is_in_the_page(browser, html_dir):
    with serve(html_dir) as base:
        context, page, _, _ = open_page(browser, f"{base}/chapters/study_area.html")
        text = page.inner_text("main")
        context.close()
    assert "海淀" in text and "门头沟" in text and "石景山" in text


def test_glued_numbers_are_rendered(browser, html_dir):
    from aicluster import geo
    total = geo.district_areas_km2(geo.load_districts()).sum()
    with serve(html_dir) as base:
        context, page, _, _ = open_page(browser, f"{base}/chapters/study_area.html")
        text = page.inner_text("main")
        context.close()
    assert "{glue" not in text
    assert f"{total:,.0f} km²" in text, "the computed total area is not in the prose"


def test_sources_page_maps_and_ledger_work_offline(browser, html_dir):
    with serve(html_dir) as base:
        context, page, requests, errors = open_page(browser, f"{base}/chapters/sources_and_data.html")
        frames = page.query_selector_all("iframe.bookmap")
        markers = []
        for frame_el in frames:
            frame_el.scroll_into_view_if_needed()
            frame = frame_el.content_frame()
            frame.wait_for_function("typeof L !== 'undefined' && document.querySelector('.leaflet-pane')")
            markers.append(frame.locator(".leaflet-overlay-pane svg path").count())
        page.wait_for_load_state("networkidle")
        outside = [u for u in requests if not u.startswith(base) and not u.startswith(("data:", "about:"))]
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    assert len(frames) >= 2 and all(n >= 10 for n in markers), f"map paths per map: {markers}"
    assert outside == [], f"requests left the machine: {outside}"
