"""The back matter and the reader's buttons in the built HTML book, opened offline in Chromium:
launch buttons (Binder, Colab) and the notebook download on every chapter, no request leaving
the machine, the glossary, the bibliography and the measured run times."""
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
    # The launch links derive from the one repository setting (repository in _config.yml).
    repo = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]
    owner_name = repo["url"].removeprefix("https://github.com/").rstrip("/")
    binder = f"https://mybinder.org/v2/gh/{owner_name}/{repo['branch']}?urlpath=lab/tree/{chapter}.ipynb"
    colab = f"https://colab.research.google.com/github/{owner_name}/blob/{repo['branch']}/{chapter}.ipynb"
    assert binder in links, f"no Binder link {binder}"
    assert colab in links, f"no Colab link {colab}"
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


def _chapter_title(html_dir, chapter):
    import re
    from html import unescape
    h1 = re.search(r"<h1[^>]*>(.*?)<", (html_dir / f"{chapter}.html").read_text(encoding="utf-8"),
                   re.S)
    return unescape(h1.group(1)).strip()


def test_run_time_table_lists_every_chapter_by_title(browser, html_dir):
    """The measured run times (aicluster/exectable.py): one row per chapter, named by its title,
    without myst-nb's clock time of the build."""
    with serve(html_dir) as base:
        context, page, _, _ = open_page(browser, f"{base}/chapters/reproduce.html")
        rows = page.eval_on_selector_all(
            "table tr", "els => els.map(e => [...e.cells].map(c => c.innerText.trim()))")
        context.close()
    assert ["Chapter", "Method", "Run Time (s)", "Status"] in rows
    for chapter in _toc_notebooks():
        title = _chapter_title(html_dir, chapter)
        row = next((r for r in rows if r and r[0] == title), None)
        assert row is not None, f"no run time for {chapter} ({title!r})"
        assert float(row[2]) > 0
    assert not any("chapters/" in cell for r in rows for cell in r)


def _content_pages(html_dir):
    """Every page built from a source file (those carry the theme's download menu)."""
    skip = {"genindex.html", "search.html", "index.html"}  # index.html: a redirect to intro
    return sorted(p for p in html_dir.rglob("*.html")
                  if p.name not in skip and "_static" not in p.parts and "_sources" not in p.parts
                  and "vendor" not in p.parts)


def test_every_page_menu_links_the_whole_book_pdf(html_dir):
    """Static check over every page: the ⬇ menu has a link that resolves to the site's book.pdf."""
    import re
    from urllib.parse import urljoin

    missing = []
    for page in _content_pages(html_dir):
        rel = page.relative_to(html_dir).as_posix()
        text = page.read_text(encoding="utf-8")
        menu = re.search(r'dropdown-download-buttons".*?</ul>', text, re.S)
        links = re.findall(r'href="([^"]*book\.pdf)"', menu.group(0)) if menu else []
        if not any(urljoin(f"http://h/{rel}", u) == "http://h/book.pdf" for u in links):
            missing.append(rel)
    assert missing == [], f"no book.pdf in the download menu of {missing}"


def test_front_page_and_menu_link_to_the_pdf_and_the_browser_gets_it(browser, html_dir):
    pdf = html_dir / "book.pdf"
    assert pdf.is_file(), f"{pdf} is missing: `make book` copies _build/latex/book.pdf there"
    with serve(html_dir) as base:
        context, page, _, errors = open_page(browser, f"{base}/intro.html")
        in_text = page.eval_on_selector_all("article.bd-article a[href$='book.pdf']", "els => els.map(e => e.href)")
        in_menu = page.eval_on_selector_all(".dropdown-download-buttons a[href$='book.pdf']",
                                            "els => els.map(e => e.href)")
        # Follow the menu's link as the browser resolved it.
        response = page.request.get(in_menu[0], timeout=TIMEOUT_MS) if in_menu else None
        status, kind, body = ((response.status, response.headers.get("content-type"), response.body())
                              if response else (None, None, b""))
        context.close()
    assert in_text == [f"{base}/book.pdf"], f"front-page links to the PDF: {in_text}"
    assert in_menu == [f"{base}/book.pdf"], f"download-menu links to the PDF: {in_menu}"
    assert status == 200 and kind == "application/pdf" and body[:5] == b"%PDF-"
    assert body == pdf.read_bytes()
    assert errors == []
