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
# A ceiling, not a pause: every wait ends as soon as the condition it checks holds. It is generous
# because a busy laptop (both cores taken by other work) can take many seconds to lay out a page.
TIMEOUT_MS = 240_000
# The document and everything it asked for while loading are there: scripts ran, stylesheets
# and non-lazy images arrived (or failed), web fonts settled. Used instead of "network idle",
# which measures quiet time on the wire rather than the state of the page.
PAGE_READY = """() => document.readyState === 'complete'
  && Array.from(document.images).every(i => i.complete || i.loading === 'lazy')
  && (!document.fonts || document.fonts.status === 'loaded')"""
# A Leaflet map in its iframe is initialised: its document finished loading (folium's script,
# which adds every layer, has run) and Leaflet created its panes.
MAP_READY = """() => document.readyState === 'complete' && typeof L !== 'undefined'
  && document.querySelector('.leaflet-pane') !== null"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no line on stderr per request
        pass


@contextlib.contextmanager
def serve(directory):
    handler = functools.partial(_QuietHandler, directory=str(directory))
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
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=TIMEOUT_MS)
        yield b
        b.close()


def open_page(browser, url):
    """Open `url`, recording every request and refusing any that leaves 127.0.0.1."""
    context = new_context(browser)
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
    page.goto(url, wait_until="load")
    wait_ready(page)
    return context, page, requests, errors


def new_context(browser, **options):
    """A browser context whose waits all use the generous ceiling instead of Playwright's 30 s."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


def wait_ready(page_or_frame):
    """Wait until the page (or frame) has loaded everything it asked for while loading."""
    page_or_frame.wait_for_function(PAGE_READY)


def map_frames(page):
    """Every interactive map of the page, scrolled into view and waited for until initialised."""
    frames = []
    for frame_el in page.query_selector_all("iframe.bookmap"):
        frame_el.scroll_into_view_if_needed()
        frame = frame_el.content_frame()
        frame.wait_for_function(MAP_READY)
        frames.append(frame)
    return frames


def test_study_area_map_renders_offline(browser, html_dir):
    with serve(html_dir) as base:
        context, page, requests, errors = open_page(browser, f"{base}/chapters/study_area.html")
        page.wait_for_selector("iframe.bookmap")
        frame = map_frames(page)[0]
        paths = frame.locator(".leaflet-overlay-pane svg path").count()
        wait_ready(page)
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
        frames = map_frames(page)
        markers = [frame.locator(".leaflet-overlay-pane svg path").count() for frame in frames]
        wait_ready(page)
        outside = [u for u in requests if not u.startswith(base) and not u.startswith(("data:", "about:"))]
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    assert len(frames) >= 2 and all(n >= 10 for n in markers), f"map paths per map: {markers}"
    assert outside == [], f"requests left the machine: {outside}"
