"""Names from data that contain HTML, a <script> or JavaScript syntax are shown as text, never
run: in map tooltips and the layer control (BookMap, opened in Chromium), in the ledger's HTML
and PDF tables (aicluster.ledger) and in Markdown tables (aicluster.display.md_table, rendered by
MyST as the book renders it).

Each payload tries a different way out: raw HTML, an HTML attribute, and (for the tooltip, which
folium writes into a JavaScript template literal) a backtick and ${...}. If any of them ran, it
would set window.__pwned.
"""
from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import docutils.core
import geopandas as gpd
import pandas as pd
import pytest
from myst_parser.parsers.docutils_ import Parser as MystParser
from shapely.geometry import Point, box

from aicluster import display, ledger, maps, paths

PAYLOADS = [
    '<script>window.__pwned="script"</script>',
    '<img src=x onerror="window.__pwned=\'img\'">',
    "`;window.__pwned='backtick';`",
    "${window.__pwned='template'}",
    "a\\`+(window.__pwned='backslash')+`",
    "AT&amp;T &lt;b&gt; 海淀 | Co",
    "US$5 and $6 [x](http://example.org)",
]


class _Text(HTMLParser):
    """The text a browser would show, and the tags and attributes it would create."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.tags, self.attrs = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]

    def handle_data(self, data):
        self.text.append(data)


def parse(html_text: str) -> _Text:
    parser = _Text()
    parser.feed(html_text)
    return parser


# -- pure functions ----------------------------------------------------------------------------
@pytest.mark.parametrize("payload", PAYLOADS)
def test_escape_text_leaves_nothing_html_or_javascript_can_act_on(payload):
    out = maps.escape_text(payload)
    assert not set("<>\"'`$\\") & set(out.replace("&lt;", "").replace("&gt;", "")
                                          .replace("&quot;", "").replace("&#x27;", "")
                                          .replace("&#96;", "").replace("&#36;", "")
                                          .replace("&#92;", "")), out
    assert "".join(parse(out).text) == payload  # and a browser shows the name unchanged


# -- md_table through MyST ---------------------------------------------------------------------
def myst_to_html(markdown: str) -> str:
    return docutils.core.publish_parts(markdown, parser=MystParser(), writer_name="html5",
                                       settings_overrides={"myst_enable_extensions": [],
                                                           "output_encoding": "unicode",
                                                           "report_level": 4})["body"]


def test_myst_would_run_raw_html_in_a_table_cell():
    # The reason md_table escapes: MyST passes raw HTML through to the HTML book.
    page = myst_to_html("| a |\n| --- |\n| <script>x()</script> |\n")
    assert "script" in parse(page).tags


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_table_shows_names_as_text(payload):
    df = pd.DataFrame({"Firm": [payload], "Place <i>": [payload], "n": [3]})
    page = myst_to_html(display.md_table(df).data)
    parsed = parse(page)
    assert set(parsed.tags) <= {"table", "colgroup", "col", "thead", "tbody", "tr", "th", "td",
                                "p"}, parsed.tags
    assert not [a for a in parsed.attrs if a.startswith("on")]
    cells = [t.strip() for t in parsed.text if t.strip()]
    assert cells == ["Firm", "Place <i>", "n", payload, payload, "3"]


def test_md_table_numbers_are_unchanged():
    md = display.md_table(pd.DataFrame({"x": [1455.0, -0.5]}), {"x": "{:,.2f}"}).data
    assert md.splitlines()[2:] == ["| 1,455.00 |", "| -0.50 |"]


# -- the ledger --------------------------------------------------------------------------------
@pytest.fixture
def hostile_ledger():
    df = pd.DataFrame({"name": PAYLOADS, "value": range(len(PAYLOADS))})
    return ledger.Ledger(df, table_id="hostile", caption=PAYLOADS[0])


def test_ledger_html_shows_names_as_text(hostile_ledger):
    page = hostile_ledger.html()
    parsed = parse(page)
    assert parsed.tags.count("script") == 1  # the ledger's own sorting script, nothing else
    assert "img" not in parsed.tags and "onerror" not in parsed.attrs
    for payload in PAYLOADS:
        assert payload in parsed.text, payload


def test_ledger_pdf_table_shows_names_as_text(hostile_ledger):
    page = myst_to_html(hostile_ledger.markdown())
    parsed = parse(page)
    assert not {"script", "img", "b"} & set(parsed.tags)
    text = [t.strip() for t in parsed.text]
    for payload in PAYLOADS:
        assert payload.strip() in text, payload


# -- the map, in a browser ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def hostile_map_page(tmp_path_factory):
    """A page holding a BookMap whose every name is hostile, served as a chapter page is."""
    site = tmp_path_factory.mktemp("site")
    shutil.copytree(paths.ROOT / "_extra" / "vendor", site / "vendor")
    names = PAYLOADS
    pts = gpd.GeoDataFrame({"name": names, "kind": names},
                           geometry=[Point(116.2 + 0.02 * i, 39.95) for i in range(len(names))],
                           crs="EPSG:4326")
    polys = gpd.GeoDataFrame({"name": [PAYLOADS[3]]}, geometry=[box(116.1, 39.9, 116.4, 40.0)],
                             crs="EPSG:4326")
    m = maps.BookMap(PAYLOADS[1], map_id="hostile", basemap=False)
    m.polygons(polys, name=PAYLOADS[2], label_col="name")
    m.points(pts, name=PAYLOADS[0], label_col="name", fields={"kind": PAYLOADS[4]})
    (site / "chapters").mkdir()
    (site / "chapters" / "map.html").write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{m.html()}</body></html>",
        encoding="utf-8")
    return site


TOOLTIPS_JS = """() => Object.keys(window)
  .filter(k => /^(circle_marker|geo_json)_/.test(k) && window[k].getTooltip)
  .map(k => { let layer = window[k];
              if (layer.getLayers) layer = layer.getLayers()[0];
              const tip = window[k].getTooltip();
              tip.setLatLng(layer.getLatLng ? layer.getLatLng() : layer.getBounds().getCenter());
              tip.addTo(window[Object.keys(window).find(n => /^map_/.test(n))]);
              return tip.getElement().textContent.trim(); })"""


def test_map_tooltips_and_layer_names_show_as_text(hostile_map_page):
    from test_built_html import ARGS, CHROMIUM, TIMEOUT_MS, map_frames, new_context, serve
    from playwright import sync_api as playwright

    with serve(hostile_map_page) as base, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=TIMEOUT_MS)
        page = new_context(browser).new_page()  # same offline browser set-up, same waits
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/chapters/map.html", wait_until="load")
        frame = map_frames(page)[0]
        tips = frame.evaluate(TOOLTIPS_JS)
        control = frame.evaluate(
            "() => document.querySelector('.leaflet-control-layers').textContent")
        injected = frame.evaluate("() => [window.__pwned, document.querySelectorAll("
                                  "'.leaflet-tooltip script, .leaflet-tooltip img, "
                                  ".leaflet-control-layers img').length]")
        title = page.get_attribute("iframe.bookmap", "title")
        browser.close()
    assert errors == [], errors
    assert injected == [None, 0], f"a name ran as code or made elements: {injected}"
    expected = [PAYLOADS[3]] + [f"{p}{PAYLOADS[4]}: {p}" for p in PAYLOADS]  # <br> adds no text
    assert sorted(tips) == sorted(expected)
    assert PAYLOADS[0] in control and PAYLOADS[2] in control
    assert title == PAYLOADS[1]


# -- one escaping function per target (aicluster.escape) -----------------------------------------
from aicluster import escape  # noqa: E402

# Payloads for every target (issue 16): Jinja, raw HTML with scripts and event handlers, a
# Markdown link, a MyST role, LaTeX, mathtext.
TARGET_PAYLOADS = [
    "{{ cycler.__init__.__globals__.os.system('touch /tmp/pwned') }}",
    "{% for x in range(3) %}loop{% endfor %} {# c #}",
    "Tsinghua University {{ 7*7 }}",
    "Peking University {{ 6 + 7 }}",
    "<script>window.__pwned='script'</script>",
    "<img src=x onerror=\"window.__pwned='img'\">",
    "<svg onload=\"window.__pwned='svg'\"></svg>",
    "[click](javascript:alert(1)) ![i](x.png) <http://example.org>",
    "{abbr}`AI (artificial intelligence)` {ref}`intro` :::{note}",
    r"\input{/etc/passwd} \write18{touch x} 100% #1 a_b ^ ~ & $",
    "a $x^2$ b $$y$$",
    "*em* **strong** `code` | pipe \\ back",
]


def _rendered_text(markdown_text: str) -> str:
    html_text = docutils.core.publish_parts(
        markdown_text, parser=MystParser(), writer_name="html5",
        settings_overrides={"myst_enable_extensions": ["colon_fence", "dollarmath", "deflist",
                                                       "substitution"],
                            "output_encoding": "unicode", "report_level": 4})["body"]
    parsed = parse(html_text)
    return parsed, "".join(parsed.text).strip()


@pytest.mark.parametrize("payload", TARGET_PAYLOADS)
def test_markdown_is_literal_even_with_substitutions_on(payload):
    # Even with MyST's substitution extension (the book turns it off), escaped text is literal.
    for text in (f"Name: {escape.markdown(payload)} end", escape.markdown(payload),
                 f"Name: {escape.markdown_inline(payload)} end"):
        parsed, shown = _rendered_text(text)
        assert set(parsed.tags) <= {"p"}, (text, parsed.tags)
        assert payload.strip() in shown, (payload, shown)


@pytest.mark.parametrize("payload", TARGET_PAYLOADS)
def test_markdown_cell_is_literal_apart_from_emphasis(payload):
    table = display.md_table(pd.DataFrame({"name": [payload]})).data
    parsed, shown = _rendered_text(table)
    assert not {"script", "img", "svg", "a", "abbr", "code", "span", "div"} & set(parsed.tags)
    assert not [a for a in parsed.attrs if a.startswith("on")]
    if "*" not in payload and "_" not in payload:
        assert payload.strip() in shown, (payload, shown)


def test_myst_substitution_is_off_in_the_book():
    import yaml
    config = yaml.safe_load((paths.ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert "substitution" not in config["parse"]["myst_enable_extensions"]


@pytest.mark.parametrize("payload", TARGET_PAYLOADS)
def test_html_is_literal_and_survives_a_second_jinja_pass(payload):
    import jinja2
    out = escape.html(payload)
    assert jinja2.Template(out).render() == out  # branca compiles rendered scripts again
    assert "".join(parse(out).text) == payload and not parse(out).tags


@pytest.mark.parametrize("payload", TARGET_PAYLOADS)
def test_latex_is_literal(payload):
    out = escape.latex(payload)
    assert not re.search(r"\\(input|write18|include)\b", out)
    unescaped = re.sub(r"\\(textbackslash|textasciicircum|textasciitilde)\{\}|\\[{}$&#_%]", "", out)
    assert not set("\\{}$&#^_%~") & set(unescaped), out


@pytest.mark.parametrize("payload", TARGET_PAYLOADS)
def test_mathtext_is_literal(payload):
    from matplotlib.text import Text
    text = Text(0, 0, escape.mathtext(payload))
    shown, is_math = text._preprocess_math(text.get_text())
    assert not is_math and shown == payload.replace("\n", " ")


def test_map_figure_text_from_data_is_not_maths():
    import matplotlib.pyplot as plt
    from matplotlib.text import Text
    name = "Tsinghua $x^2$ Park"
    pts = gpd.GeoDataFrame({"name": [name]}, geometry=[Point(116.3, 40.0)], crs="EPSG:4326")
    m = maps.BookMap(name, map_id="t", basemap=False)
    m.points(pts, name="p", annotate_col="name", legend={name: "#0072B2"})
    fig = m.figure()
    texts = [t for t in fig.findobj(Text) if "x^2" in t.get_text()]
    plt.close(fig)
    assert len(texts) == 3, [t.get_text() for t in texts]  # title, label, legend entry
    for t in texts:
        assert t._preprocess_math(t.get_text()) == (name, False), t.get_text()


@pytest.mark.parametrize("payload", TARGET_PAYLOADS)
def test_map_template_text_is_not_evaluated(payload, tmp_path, monkeypatch):
    """folium/branca render tooltips, layer names and the legend through Jinja twice: no
    payload may be evaluated by either pass (nothing computed, nothing created)."""
    monkeypatch.chdir(tmp_path)
    pts = gpd.GeoDataFrame({"name": [payload]}, geometry=[Point(116.3, 40.0)], crs="EPSG:4326")
    m = maps.BookMap(payload, map_id="t", basemap=False)
    m.points(pts, name=payload, label_col="name", fields={"name": payload},
             legend={payload: "#0072B2"}, annotate_col="name")
    page = m.folium_map().get_root().render()
    # Evaluated templates would print "University 49" / "University 13" (element ids are hex
    # hashes and may contain "49" anywhere, so the check names the text around the number).
    assert "University 49" not in page and "University 13" not in page
    assert "loop" not in page or escape.html(payload) in page
    assert escape.html(payload) in page
    assert not (tmp_path / "pwned").exists() and not list(tmp_path.iterdir())
    m.png()  # the static map draws the label as text


@pytest.mark.parametrize("payload", TARGET_PAYLOADS)
def test_ties_sentence_shows_place_names_as_text(payload):
    from aicluster import evidence, haidian
    from aicluster.geo import METRIC
    from conftest import chapter_functions
    ties_sentence = chapter_functions("point_patterns.ipynb", [
        "shared_point_name", "ties_sentence"])["ties_sentence"]
    places = evidence.load_places().to_crs(METRIC)
    sites = haidian.of_kinds(places, haidian.AI_SITE_KINDS)
    sentence = ties_sentence(sites, places)
    name = next(n for n in places["name_en"] if n in sentence)  # the place on the shared point
    hostile = places.assign(name_en=places["name_en"].replace(name, payload))
    parsed, shown = _rendered_text(ties_sentence(sites, hostile))
    assert set(parsed.tags) <= {"p"}, parsed.tags
    assert payload.strip() in shown


def test_timeline_and_claim_labels_from_data_are_not_maths():
    import matplotlib.pyplot as plt
    from matplotlib.text import Text
    from aicluster import indicators, timeline
    name = "Tsinghua $x^2$ Park"
    fig, ax = plt.subplots()
    item = pd.Series({"hollow": False, "colour": "#0072B2", "t_start": 2020.0, "t_end": 2020.0,
                      "marker": "o", "title": name})
    ax.set_xlim(2019, 2021)
    timeline._draw_item(ax, item, 0)
    claims = pd.DataFrame({"t_mid": [2021.0], "t_start": [2021.0], "t_end": [2021.0],
                           "value": [5.0], "value_high": [float("nan")], "status": ["achieved"],
                           "claim_id": ["C001"], "label": [name], "qualifier": ["exact"]})
    indicators.plot_points(ax, claims)
    texts = [t for t in fig.findobj(Text) if "x^2" in t.get_text()]
    plt.close(fig)
    assert len(texts) == 2
    for t in texts:
        assert t._preprocess_math(t.get_text()) == (name, False)
