"""Sphinx extension for the PDF book: exercises numbered by chapter, no stub References chapter.

With parts in the table of contents, sphinx-jupyterbook-latex sets ``numfig_secnum_depth`` to 2
for the LaTeX build (so that LaTeX numbers figures by chapter), and sphinx-exercise then numbered
exercises by section ("Exercise 6.4.1"). :func:`_exercises_by_chapter` renumbers them by chapter
once Sphinx has numbered everything ("Exercise 6.1", as in the HTML book), in every builder.

In HTML, ``chapters/references.md`` is a page with a short introduction and the bibliography. In
LaTeX, Sphinx moves every bibliography entry to the end of the book (printed under
``\\bibname``, which the preamble sets to "References"), so the chapter would be left as one
paragraph and a blank page. For the LaTeX builder this extension keeps only the bibliography
nodes of that document, without its section: no chapter is emitted, the entries and every
citation still resolve, and the PDF's References are the bibliography itself.

The claims ledger (a table of one row per claim, 126 rows) would fill eight portrait pages in
the middle of the sources chapter. For the LaTeX builder :func:`_ledger_to_appendix` moves the
table whose id is :data:`LEDGER_TABLE_ID` (``chapters/sources_and_data.ipynb`` names it) to an
appendix chapter before the bibliography, set in landscape (``pdflscape``: the pages turn in a
PDF viewer), where its columns are wide enough for the quotes; the preamble already sets table
columns ragged-right. The HTML book keeps the ledger in its chapter.
"""
from __future__ import annotations

from docutils import nodes

REFERENCES_DOC = "chapters/references"
#: The id (``:name:``) of the PDF ledger table, and the title of the appendix that prints it.
LEDGER_TABLE_ID = "claims-ledger"
LEDGER_APPENDIX_TITLE = "The claims ledger"


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


def _is_thebibliography(node) -> bool:
    return type(node).__name__ == "thebibliography"


def _ledger_to_appendix(app, doctree, docname):
    """In the assembled LaTeX document, move the ledger table to a landscape appendix."""
    if app.builder.name != "latex" or docname != app.config.root_doc:
        return
    tables = [t for t in doctree.findall(nodes.table) if LEDGER_TABLE_ID in t["ids"]]
    if not tables:
        return
    table = tables[0]
    table.parent.remove(table)
    # Sphinx numbers tables \arabic{chapter}.n; in the appendix they are A.1, ...
    opening = nodes.raw("", "\\appendix\n\\renewcommand{\\thetable}{\\thechapter.\\arabic{table}}\n"
                        "\\begin{landscape}\n\\chapter{%s}\n" % LEDGER_APPENDIX_TITLE,
                        format="latex")
    closing = nodes.raw("", "\\end{landscape}\n", format="latex")
    bibliography = next(iter(doctree.findall(_is_thebibliography)), None)
    if bibliography is None:
        doctree.extend([opening, table, closing])
    else:
        at = bibliography.parent.index(bibliography)
        bibliography.parent[at:at] = [opening, table, closing]


def renumber_by_chapter(numbers: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    """{id: (chapter, section, k)} -> {id: (chapter, i)}, i counting from 1 in the old order.
    Numbers without a chapter prefix (a single number) are left as they are."""
    ordered = sorted(numbers.items(), key=lambda item: item[1])
    out, count = {}, {}
    for key, number in ordered:
        if len(number) < 2:
            out[key] = number
            continue
        count[number[0]] = count.get(number[0], 0) + 1
        out[key] = (number[0], count[number[0]])
    return out


def _exercises_by_chapter(app, env):
    for numbers in env.toc_fignumbers.values():
        if "exercise" in numbers:
            numbers["exercise"] = renumber_by_chapter(numbers["exercise"])
    return []


def setup(app):
    # After Sphinx's TocTreeCollector has assigned the numbers (same event, default priority).
    app.connect("env-get-updated", _exercises_by_chapter, priority=900)
    # After the collectors (titles, toctrees, bibliography) have read the document.
    app.connect("doctree-read", _drop_references_chapter, priority=900)
    app.connect("doctree-resolved", _ledger_to_appendix)
    app.add_latex_package("pdflscape")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
