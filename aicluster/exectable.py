"""Sphinx extension: the run-time table of "Reproducing this book" as a reader should see it.

myst-nb's ``{nb-exec-table}`` lists each notebook by its document name ("chapters/jingxi") with
the clock time of its last execution ("2026-11-29 23:22"). The clock time says when a build ran,
not anything about the book, and makes every build's page differ; the document name is a path.
This post-transform, which runs after myst-nb has made the table and before references are
resolved, drops the "Modified" column and names each chapter by its title, under the heading
"Chapter".
"""
from __future__ import annotations

import posixpath

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.transforms.post_transforms import SphinxPostTransform

DROPPED = "Modified"
HEADER = ["Document", "Modified", "Method", "Run Time (s)", "Status"]


def _cells(row: nodes.row) -> list[str]:
    return [entry.astext().strip() for entry in row.children]


def _drop_column(tgroup: nodes.tgroup, index: int) -> None:
    tgroup.remove(list(tgroup.findall(nodes.colspec))[index])
    tgroup["cols"] = tgroup["cols"] - 1
    for row in tgroup.findall(nodes.row):
        row.remove(row.children[index])


def _title_links(table: nodes.table, titles: dict) -> None:
    for xref in table.findall(pending_xref):
        docname = xref.get("reftarget", "")
        parent = xref.get("refdoc", "")
        absolute = _resolve(parent, docname)
        if absolute in titles:
            _set_children(xref, nodes.inline(text=titles[absolute].astext()))


def _set_children(node: nodes.Element, child: nodes.Node) -> None:
    """Replace the children of `node` (through docutils, so that parents are set)."""
    del node[:]
    node += child


def _resolve(parent_docname: str, relative: str) -> str:
    return posixpath.normpath(posixpath.join(posixpath.dirname(parent_docname), relative))


class ReaderExecutionTable(SphinxPostTransform):
    default_priority = 8.5  # after myst-nb builds the table (8), before references resolve (9)

    def run(self, **kwargs) -> None:
        for table in list(self.document.findall(nodes.table)):
            heads = list(table.findall(nodes.thead))
            if not heads or _cells(next(heads[0].findall(nodes.row))) != HEADER:
                continue
            tgroup = next(table.findall(nodes.tgroup))
            _drop_column(tgroup, HEADER.index(DROPPED))
            _title_links(table, self.env.titles)
            first = next(next(table.findall(nodes.thead)).findall(nodes.entry))
            _set_children(first, nodes.paragraph(text="Chapter"))


def setup(app):
    app.add_post_transform(ReaderExecutionTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
