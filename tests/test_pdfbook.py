"""aicluster.pdfbook: the claims ledger moves to a landscape appendix in the LaTeX build only."""
from types import SimpleNamespace

from docutils import nodes
from docutils.utils import new_document

from aicluster import pdfbook


def _book(with_bibliography=True):
    doc = new_document("book")
    chapter = nodes.section(ids=["sources"])
    chapter += nodes.paragraph(text="The ledger follows.")
    ledger = nodes.table(ids=[pdfbook.LEDGER_TABLE_ID])
    chapter += ledger
    chapter += nodes.paragraph(text="After the ledger.")
    doc += chapter
    doc += nodes.table(ids=["other"])
    if with_bibliography:
        bib = type("thebibliography", (nodes.Element,), {})()
        doc += bib
    return doc, chapter, ledger


def _app(builder):
    return SimpleNamespace(builder=SimpleNamespace(name=builder),
                           config=SimpleNamespace(root_doc="intro"))


def test_ledger_moves_before_the_bibliography_in_landscape():
    doc, chapter, ledger = _book()
    pdfbook._ledger_to_appendix(_app("latex"), doc, "intro")
    assert ledger not in chapter.children and ledger.parent is doc
    kinds = [type(n).__name__ for n in doc.children]
    assert kinds[-4:] == ["raw", "table", "raw", "thebibliography"]
    opening, closing = doc.children[-4].astext(), doc.children[-2].astext()
    assert "\\appendix" in opening and "\\begin{landscape}" in opening
    assert f"\\chapter{{{pdfbook.LEDGER_APPENDIX_TITLE}}}" in opening
    assert closing.strip() == "\\end{landscape}"
    assert [p.astext() for p in chapter.findall(nodes.paragraph)] == [
        "The ledger follows.", "After the ledger."]


def test_without_bibliography_the_appendix_ends_the_book():
    doc, _, ledger = _book(with_bibliography=False)
    pdfbook._ledger_to_appendix(_app("latex"), doc, "intro")
    assert doc.children[-2] is ledger


def test_html_and_other_documents_are_left_alone():
    for app, docname in ((_app("html"), "intro"), (_app("latex"), "chapters/sources_and_data")):
        doc, chapter, ledger = _book()
        pdfbook._ledger_to_appendix(app, doc, docname)
        assert ledger.parent is chapter
