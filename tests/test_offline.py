"""Offline: the book builds with the network cut, and its pages ask no other host for anything.

- scripts/offline.sh, through which `make book` builds, really leaves only loopback (and loopback
  works, as the Jupyter kernels need it);
- every built page, opened in Chromium, requests nothing from any host but its own -- maps in
  their iframes included (the OpenStreetMap layer is off by default);
- no built page names a remote script, stylesheet, image or frame (a static check that also
  covers pages and code paths the browser test does not reach).
"""
from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest

from conftest import ROOT
from test_built_html import ARGS, CHROMIUM, TIMEOUT_MS, new_context, serve, wait_ready

OFFLINE = ROOT / "scripts" / "offline.sh"
PY = "python3"


def offline(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(OFFLINE), PY, "-c", code], capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def namespaces():
    if subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode != 0:
        pytest.skip("this machine cannot create user+network namespaces; offline.sh falls back "
                    "to building with the network on (it prints a notice)")


def test_offline_wrapper_leaves_only_loopback(namespaces):
    result = offline("import socket; print([n for _, n in socket.if_nameindex()])")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['lo']"
    assert "network cut" in result.stderr


def test_loopback_works_inside_for_the_kernels(namespaces):
    result = offline("import socket; s = socket.create_server(('127.0.0.1', 0)); "
                     "socket.create_connection(s.getsockname(), timeout=5); print('ok')")
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_other_hosts_are_unreachable_inside(namespaces):
    result = offline("import socket\ntry:\n socket.create_connection(('192.0.2.1', 80), timeout=5)"
                     "\nexcept OSError as e:\n print(e.errno)")
    assert result.stdout.strip() == "101", result.stdout + result.stderr  # ENETUNREACH


def test_make_book_builds_through_the_wrapper():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "OFFLINE_RUN := scripts/offline.sh" in makefile
    recipes = re.findall(r"^\t(.*\$\(JB\) build .*)$", makefile, re.M)
    assert recipes and all(r.startswith("$(OFFLINE_RUN) ") for r in recipes), recipes


# -- the built pages ---------------------------------------------------------------------------
def built_pages(html_dir):
    return sorted(p for p in html_dir.rglob("*.html")
                  if not {"_static", "vendor", "_sources"} & set(p.relative_to(html_dir).parts))


class _Resources(HTMLParser):
    """URLs an element would load by itself (not links a reader may follow), srcdoc included."""

    LOADS = {"script": "src", "img": "src", "iframe": "src", "source": "src", "audio": "src",
             "video": "src", "embed": "src", "object": "data", "link": "href"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and not {"stylesheet", "preload", "icon", "modulepreload"} & set(
                (attrs.get("rel") or "").split()):
            return
        if self.LOADS.get(tag) in attrs:
            self.urls.append(attrs[self.LOADS[tag]] or "")
        if tag == "iframe" and attrs.get("srcdoc"):
            inner = _Resources()
            inner.feed(attrs["srcdoc"])
            self.urls += inner.urls


def test_no_page_names_a_remote_resource(html_dir):
    remote = {}
    for page in built_pages(html_dir):
        parser = _Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        bad = [u for u in parser.urls if re.match(r"(https?:)?//", u)]
        if bad:
            remote[page.relative_to(html_dir).as_posix()] = bad
    assert not remote, f"remote resources: {remote}"


def _recorder(seen: list, own: str):
    """A route handler that records every request and lets through only the page's own host."""
    def route(r):
        seen.append(r.request.url)
        url = urlparse(r.request.url)
        if url.scheme in ("data", "blob", "about") or url.netloc == own:
            r.continue_()
        else:
            r.abort()
    return route


def test_every_page_requests_only_its_own_host(html_dir):
    from playwright import sync_api as playwright

    pages = built_pages(html_dir)
    assert len(pages) >= 3
    outside, errors = {}, {}
    with serve(html_dir) as base, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=TIMEOUT_MS)
        own = urlparse(base).netloc
        for path in pages:
            name = path.relative_to(html_dir).as_posix()
            context = new_context(browser)
            seen = []
            context.route("**/*", _recorder(seen, own))
            page = context.new_page()
            page.on("pageerror", lambda e, name=name: errors.setdefault(name, []).append(str(e)))
            page.goto(f"{base}/{name}", wait_until="load")
            wait_ready(page)
            for frame_el in page.query_selector_all("iframe"):  # lazy iframes load when seen
                frame_el.scroll_into_view_if_needed()
                frame = frame_el.content_frame()
                if frame is not None:  # a map's own document, with everything it asked for
                    wait_ready(frame)
            bad = [u for u in seen if urlparse(u).scheme not in ("data", "blob", "about")
                   and urlparse(u).netloc != own]
            if bad:
                outside[name] = bad
            context.close()
        browser.close()
    assert not outside, f"requests to other hosts: {outside}"
    assert not errors, f"JavaScript errors: {errors}"
