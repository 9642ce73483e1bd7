"""The back matter and the reader's buttons in the built HTML book, opened offline in Chromium:
launch buttons (Binder, Colab) and the notebook download on every chapter, no request leaving
the machine, the glossary, the bibliography and the measured run times."""
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from test_built_html import TIMEOUT_MS, browser, open_page, serve  # noqa: F401 (browser is a fixture)



def _toc_notebooks():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [f for f in files if (ROOT / f"{f}.ipynb").exists()]


@pytest.mark.parametrize("chapter", _toc_notebooks())
def test_chapter_has_launch_and_download_buttons_and_stays_offline(browser, html_dir, chapter):
    with serve(html_dir) as base:
        context, page, requests, errors = open_page(browser, f"{base}/{chapter}.html")
        links = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href') || '')")
        download = page.request.get(f"{base}/_sources/{chapter}.ipynb", timeout=TIMEOUT_MS)
        outside = [u for u in requests if not u.startswith(base) and not u.startswith(("data:", "about:"))]
        status = download.status
        context.close()
    name = Path(chapter).name
    assert any(u.startswith("https://mybinder.org/") and f"{name}.ipynb" in u for u in links), "no Binder link"
    assert any(u.startswith("https://colab.research.google.com/") and f"{name}.ipynb" in u for u in links), "no Colab link"
    assert any(u.endswith(f"_sources/{chapter}.ipynb") for u in links), "no .ipynb download"
    assert status == 200, "the downloadable notebook is missing"
    assert outside == [], f"requests left the machine: {outside}"
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.mark.parametrize("page_name", ["glossary", "references", "reproduce", "instructor_guide"])
def test_back_matter_pages_load_offline(browser, html_dir, page_name):
    with serve(html_dir) as base:
        context, page, requests, errors = open_page(browser, f"{base}/chapters/{page_name}.html")
        outside = [u for u in requests if not u.startswith(base) and not u.startswith(("data:", "about:"))]
        context.close()
    assert outside == [] and errors == []


def test_glossary_terms_link_and_carry_pinyin(browser, html_dir):
    with serve(html_dir) as base:
        context, page, _, _ = open_page(browser, f"{base}/chapters/glossary.html")
        terms = page.eval_on_selector_all("dl.glossary dt", "els => els.map(e => e.id)")
        text = page.inner_text("main")
        context.close()
    assert len(terms) >= 40
    for word in ("京西智谷", "Jīngxī Zhìgǔ", "专精特新", "zhuān jīng tè xīn", "算力", "suànlì", "Méntóugōu"):
        assert word in text, word


def test_bibliography_lists_cited_works_with_links_back(browser, html_dir):
    with serve(html_dir) as base:
        context, page, _, _ = open_page(browser, f"{base}/chapters/references.html")
        entries = page.eval_on_selector_all("div.citation", "els => els.map(e => e.innerText)")
        context.close()
    assert any("Clark and Evans 1954" in e and "Ecology" in e for e in entries)
    assert any("王缉慈" in e for e in entries)
    assert len(entries) >= 20


def test_run_time_table_lists_every_chapter(browser, html_dir):
    with serve(html_dir) as base:
        context, page, _, _ = open_page(browser, f"{base}/chapters/reproduce.html")
        rows = page.eval_on_selector_all("table tr", "els => els.map(e => e.innerText)")
        context.close()
    for chapter in _toc_notebooks():
        row = next((r for r in rows if chapter in r), None)
        assert row is not None, f"no run time for {chapter}"
        seconds = float(row.split("\t")[3])
        assert seconds > 0
