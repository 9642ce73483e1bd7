"""Sphinx extension: front matter that cannot go stale.

``{chapter-list}``
    The book's parts and chapters, read from ``_toc.yml`` when the page is built, each chapter a
    link whose text is the chapter's own title. The front page never lists "the chapters so far".

``{edition} html|pdf|student``
    Keeps its content only in that edition of the book: ``html`` is the main HTML book, ``pdf``
    the LaTeX build, ``student`` the HTML book built with sphinx-exercise's ``hide_solutions``
    (``make book-student``). Several editions may be named, separated by spaces. Each edition
    then mentions only what it has (buttons, downloads, solutions).

``{edition-date}`` (a role)
    The edition's date, from ``SOURCE_DATE_EPOCH`` (the Makefile sets it to the time of the last
    commit), e.g. "29 November 2026"; without it, the build date.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import yaml
from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

EDITIONS = ("html", "pdf", "student")


def edition(app) -> str:
    """The edition being built: 'pdf' (LaTeX), 'student' (HTML without solutions) or 'html'."""
    if app.builder.format == "latex":
        return "pdf"
    return "student" if getattr(app.config, "hide_solutions", False) else "html"


def edition_date(epoch: str | None = None) -> str:
    """'29 November 2026' from a SOURCE_DATE_EPOCH (seconds, UTC); today's date without one."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH") if epoch is None else epoch
    day = (dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date() if epoch
           else dt.date.today())
    return f"{day.day} {day:%B %Y}"


def toc_chapters(root: Path) -> list[tuple[str, list[str]]]:
    """(part caption, [chapter docnames]) for every part of ``_toc.yml``, in order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    parts = toc.get("parts") or [{"caption": "", "chapters": toc.get("chapters", [])}]
    return [(p.get("caption", ""), [c["file"] for c in p.get("chapters", [])]) for p in parts]


class ChapterList(SphinxDirective):
    """The parts and chapters of the book, from _toc.yml, as links titled by the chapters."""

    has_content = False
    option_spec = {"exclude-part": directives.unchanged}

    def run(self):
        excluded = {s.strip() for s in self.options.get("exclude-part", "").split(",") if s.strip()}
        root = Path(self.env.srcdir)
        self.env.note_dependency(str(root / "_toc.yml"))
        lines = []
        for caption, chapters in toc_chapters(root):
            if caption in excluded or not chapters:
                continue
            links = ", ".join(f"{{doc}}`/{c}`" for c in chapters)
            lines.append(f"- **{caption}**: {links}" if caption else f"- {links}")
        container = nodes.container(classes=["chapter-list"])
        self.state.nested_parse(StringList(lines, source="_toc.yml"), self.content_offset,
                                container)
        return [container]


class Edition(SphinxDirective):
    """Content kept only in the named editions (html, pdf, student)."""

    has_content = True
    required_arguments = 1
    final_argument_whitespace = True

    def run(self):
        wanted = set(self.arguments[0].split())
        unknown = wanted - set(EDITIONS)
        if unknown:
            raise self.error(f"unknown edition(s) {sorted(unknown)}; use {list(EDITIONS)}")
        if edition(self.env.app) not in wanted:
            return []
        container = nodes.container(classes=["edition"])
        self.state.nested_parse(self.content, self.content_offset, container)
        return container.children


def edition_date_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    return [nodes.Text(edition_date())], []


def setup(app):
    app.add_directive("chapter-list", ChapterList)
    app.add_directive("edition", Edition)
    app.add_role("edition-date", edition_date_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
