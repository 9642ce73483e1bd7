"""Sphinx extension for the PDF book: exercises numbered by chapter, no stub References chapter.

With parts in the table of contents, sphinx-jupyterbook-latex sets ``numfig_secnum_depth`` to 2
for the LaTeX build, so sphinx-exercise numbered exercises by section ("Exercise 6.4.1"). The
book numbers them by chapter in both editions ("Exercise 6.1", as in the HTML book):
:func:`_number_by_chapter` sets the depth back to 1 once that extension has set it.

In HTML, ``chapters/references.md`` is a page with a short introduction and the bibliography. In
LaTeX, Sphinx moves every bibliography entry to the end of the book (printed under
``\\bibname``, which the preamble sets to "References"), so the chapter would be left as one
paragraph and a blank page. For the LaTeX builder this extension keeps only the bibliography
nodes of that document, without its section: no chapter is emitted, the entries and every
citation still resolve, and the PDF's References are the bibliography itself.
"""
from __future__ import annotations

from docutils import nodes

REFERENCES_DOC = "chapters/references"


def _is_bibliography(node) -> bool:
    return type(node).__name__ == "bibliography"


def _drop_references_chapter(app, doctree):
    if app.builder.name != "latex" or app.env.docname != REFERENCES_DOC:
        return
    kept = [n for n in doctree.findall(_is_bibliography)]
    for section in list(doctree.findall(nodes.section)):
        if section.parent is doctree:
            doctree.remove(section)
    for node in kept:
        if node.parent is not None:
            node.parent.remove(node)
        doctree.append(node)


def _number_by_chapter(app):
    if app.builder.name == "latex":
        app.config["numfig_secnum_depth"] = 1


def setup(app):
    app.connect("builder-inited", _number_by_chapter, priority=900)  # after jupyterbook-latex
    # After the collectors (titles, toctrees, bibliography) have read the document.
    app.connect("doctree-read", _drop_references_chapter, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
