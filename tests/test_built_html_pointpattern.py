"""The built chapter "Do AI firms cluster?", opened offline in headless Chromium as a reader would."""
import ast
import json

import pytest

from aicluster import paths
from test_built_html import browser, open_page, serve, wait_ready  # noqa: F401  (browser is a fixture)

PAGE = "chapters/point_patterns.html"
NOTEBOOK = paths.ROOT / "chapters" / "point_patterns.ipynb"
LABELS = ["pp-null-models", "pp-tests", "pp-l-function", "pp-proximity", "pp-sensitivity",
          "pp-clusters", "pp-kde", "pp-mentougou", "pp-limitations"]


def glued_values() -> dict:
    """The values the notebook glued, read from its stored outputs (what the page must show)."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    values = {}
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            scrap = out.get("metadata", {}).get("scrapbook")
            if scrap:
                data = {k.removeprefix(scrap["mime_prefix"]): v for k, v in out["data"].items()}
                values[scrap["name"]] = (data["text/markdown"] if "text/markdown" in data
                                         else ast.literal_eval(data["text/plain"]))
    return values


@pytest.fixture(scope="module")
def chapter(browser, html_dir):  # noqa: F811
    with serve(html_dir) as base:
        context, page, requests, errors = open_page(browser, f"{base}/{PAGE}")
        wait_ready(page)
        data = {
            "text": page.inner_text("main"),
            "images": page.eval_on_selector_all(
                "main figure img",
                "els => els.map(e => ({src: e.getAttribute('src'), alt: e.getAttribute('alt'),"
                " loaded: e.complete && e.naturalWidth > 0}))"),
            "anchors": {label: page.locator(f"[id='{label}']").count() for label in LABELS},
            "solutions": page.locator("main .solution.dropdown").count(),
            "exercises": page.locator("main .exercise").count(),
            "outside": [u for u in requests if not u.startswith(base)
                        and not u.startswith(("data:", "about:"))],
            "errors": errors,
        }
        context.close()
    return data


def test_page_loads_offline_without_errors(chapter):
    assert chapter["errors"] == [], f"JavaScript errors: {chapter['errors']}"
    assert chapter["outside"] == [], f"requests left the machine: {chapter['outside']}"


def test_every_figure_loads_and_has_alt_text(chapter):
    images = chapter["images"]
    assert len(images) >= 6, f"expected the chapter's six figures, found {len(images)}"
    for img in images:
        assert img["loaded"], f"{img['src']} did not load"
        assert img["alt"] and len(img["alt"]) > 40, f"{img['src']} lacks a real alt text"
        assert "pp_" in img["src"]


def test_section_labels_exist(chapter):
    missing = [label for label, n in chapter["anchors"].items() if n == 0]
    assert missing == [], f"MyST labels missing from the page: {missing}"


def test_glued_p_values_and_verdicts_are_in_the_prose(chapter):
    import re

    text, values = chapter["text"], glued_values()
    assert "{glue" not in text
    for key in ("ce_core_p", "prox_core_p", "prox_cluster_p"):
        assert f"p = {values[key]:.3f}" in text, key
    assert f"p = {values['l_core_p']:.4f} ± {values['l_core_se']:.4f}" in text
    for key in ("ce_core_holm", "l_core_holm", "prox_core_holm", "prox_cluster_holm"):
        assert f"Holm-adjusted {values[key]:.3f}" in text, key
    for key in ("ce_core_words", "l_core_words", "prox_core_words", "prox_cluster_words",
                "sens_prox_cluster_words", "seeds_sentence", "db_sentence"):
        assert values[key] in text, key
    for key in ("ties_sentence", "db_tie_sentence"):  # sentences pasted as Markdown
        rendered = re.sub(r"\\(.)", r"\1", values[key])  # escaped names render plain
        assert rendered in text, key
    # generated sentences read as English at any value
    assert "(s)" not in text
    assert not re.search(r"ranges from (\d+) to \1\b", text)


def test_chinese_text_and_exercises(chapter):
    assert "海淀" in chapter["text"] and "门头沟" in chapter["text"] and "步行就能面试" in chapter["text"]
    assert chapter["exercises"] >= 3 and chapter["solutions"] >= 3
