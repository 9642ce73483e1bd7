"""The built Mentougou and West-Beijing chapters, opened in headless Chromium with no network."""
import pytest

from aicluster import evidence, westbeijing as wb
from test_built_html import browser, map_frames, open_page, serve, wait_ready  # noqa: F401  (fixture)

PAGES = {"mentougou": "chapters/mentougou.html", "jingxi": "chapters/jingxi.html"}
LABELS = {"mentougou": ["mtg-timeline", "mtg-compute", "mtg-firms", "mtg-environment", "mtg-money",
                        "mtg-map", "mtg-distance"],
          "jingxi": ["jx-plan", "jx-heritage", "jx-three-paths"]}
FIGURES = {"mentougou": ["mentougou_timeline", "mentougou_compute", "mentougou_firms",
                         "mentougou_environment"],
           "jingxi": ["jingxi_plan", "jingxi_beizhong_timeline", "jingxi_three_paths"]}


@pytest.fixture(scope="module")
def pages(browser, html_dir):  # noqa: F811
    """Each page's text, figures, map path counts, label ids, JS errors and outside requests."""
    out = {}
    with serve(html_dir) as base:
        for name, path in PAGES.items():
            context, page, requests, errors = open_page(browser, f"{base}/{path}")
            maps = [frame.locator(".leaflet-overlay-pane svg path").count()
                    for frame in map_frames(page)]
            # Lazy images load when seen: scroll each into view, then wait until all have arrived.
            page.eval_on_selector_all("main img", "els => els.forEach(e => e.scrollIntoView())")
            page.wait_for_function(
                "() => Array.from(document.querySelectorAll('main img')).every(i => i.complete)")
            wait_ready(page)
            images = page.eval_on_selector_all(
                "main img", "els => els.map(e => ({src: e.getAttribute('src'), "
                "alt: e.getAttribute('alt') || '', w: e.naturalWidth}))")
            out[name] = dict(
                text=page.inner_text("main"), maps=maps, images=images,
                ids=page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"),
                open_solutions=page.locator(".solution.dropdown details[open]").count(),
                solutions=page.locator(".solution.dropdown").count(),
                errors=errors,
                outside=[u for u in requests if not u.startswith(base)
                         and not u.startswith(("data:", "about:"))])
            context.close()
    return out


@pytest.mark.parametrize("name", PAGES)
def test_page_works_offline(pages, name):
    p = pages[name]
    assert p["errors"] == [], f"JavaScript errors: {p['errors']}"
    assert p["outside"] == [], f"requests left the machine: {p['outside']}"
    assert "{glue" not in p["text"] and "门头沟" in p["text"] and "石景山" in p["text"]


@pytest.mark.parametrize("name", PAGES)
def test_maps_initialise_with_their_layers(pages, name):
    n_places = {"mentougou": "mentougou", "jingxi": "shijingshan"}[name]
    places = evidence.load_places()
    expected = 2 * int((places["district"] == n_places).sum())  # a circle and a dot per place
    # Mentougou also has the S1 close-up (issue 11); the first map is the district map
    assert len(pages[name]["maps"]) == {"mentougou": 2, "jingxi": 1}[name]
    assert pages[name]["maps"][0] >= expected + 1, pages[name]["maps"]


@pytest.mark.parametrize("name", PAGES)
def test_figures_are_present_with_alt_text(pages, name):
    images = pages[name]["images"]
    for stem in FIGURES[name]:
        found = [i for i in images if stem in (i["src"] or "")]
        assert found, f"{stem}.png is not on the page"
        assert all(i["w"] > 0 for i in found), f"{stem}.png did not load"
        assert all(len(i["alt"]) > 40 for i in found), f"{stem}.png has no real alt text"


@pytest.mark.parametrize("name", PAGES)
def test_section_labels_and_hidden_solutions(pages, name):
    assert set(LABELS[name]) <= set(pages[name]["ids"])
    assert pages[name]["solutions"] >= 2 and pages[name]["open_solutions"] == 0


def test_glued_numbers_appear_in_the_prose(pages):
    ev = evidence.load_all()
    value = ev.claims.set_index("claim_id")["value"]
    places = ev.places
    park = wb.places_by_id(places, ["mt_zgc_science_park"])
    core = places[places["kind"].isin(wb.AI_CORE_KINDS) & (places["district"] == "haidian")]
    km = wb.distance_summary(park, core).loc[0, "centroid_km"]
    mtg = pages["mentougou"]["text"]
    assert f"{km:.0f} km from their centroid" in mtg
    assert f"{value['C063']:.0f} firms in AI ({100 * value['C063'] / value['C062']:.0f} % of the" in mtg
    pct = 100 * (value["C020"] / value["C034"] - 1)
    assert f"{pct:.0f} % more tasks than in 2022" in pages["jingxi"]["text"]
