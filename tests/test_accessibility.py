"""Accessibility: axe-core (vendored in tests/vendor/axe-core, test-only) audits every page of the
main book and of the student edition in headless Chromium, at WCAG 2.1 level AA (axe's rule tags
wcag2a, wcag2aa, wcag21a, wcag21aa), maps in their iframes included. Any violation fails, named
by rule, impact and the elements it concerns."""
from __future__ import annotations

import pytest

from conftest import BUILD, ROOT
from test_built_html import browser, open_page, serve  # noqa: F401 (browser is a fixture)

AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
WCAG21AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                          resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5), count: v.nodes.length}));
}"""
BOOKS = {"main": BUILD / "html", "student": BUILD / "student" / "html"}


def pages(root):
    """Every HTML page a reader can open (index.html only redirects to intro.html)."""
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html")
                  if not {"_static", "_sources", "vendor", "_images"} & set(p.parts[len(root.parts):])
                  and p.relative_to(root).as_posix() != "index.html")


CASES = [(book, page) for book, root in BOOKS.items() for page in pages(root)]


def audit(browser, root, page_name):  # noqa: F811
    with serve(root) as base:
        context, page, _, errors = open_page(browser, f"{base}/{page_name}")
        # Into every frame first (axe audits iframes only where it is loaded), then the page.
        for frame in page.frames:
            frame.add_script_tag(path=str(AXE))
        violations = page.evaluate(RUN, WCAG21AA)
        context.close()
    return violations, errors


@pytest.mark.parametrize(("book", "page_name"), CASES or [("main", "intro.html")])
def test_page_has_no_wcag21aa_violations(browser, html_dir, student_dir, book, page_name):  # noqa: F811
    violations, errors = audit(browser, BOOKS[book], page_name)
    report = "\n".join(f"  {v['id']} ({v['impact']}, {v['count']} elements): {v['help']}; "
                       f"e.g. {v['nodes']}" for v in violations)
    assert violations == [], f"{book}/{page_name}: axe-core WCAG 2.1 AA violations:\n{report}"
    assert errors == []


def test_every_page_of_both_books_is_audited(html_dir, student_dir):
    for book, root in BOOKS.items():
        audited = {page for b, page in CASES if b == book}
        assert audited and audited == set(pages(root)), f"{book}: pages not collected"
        assert "chapters/study_area.html" in audited
