"""Sphinx extension for the book: small fixes to the HTML that Jupyter Book 1 produces.

sphinx-thebe adds its configuration script on `env-before-read-docs`, which fires twice in a
Jupyter Book build; the page then declares `const THEBE_JS_URL` twice and the browser reports
a SyntaxError (so do sphinx-togglebutton's). We drop exact duplicate script entries before
each page is written.
"""
from __future__ import annotations


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # One copy may carry filename None and the other '' (after a pickle round trip).
        key = (getattr(script, "filename", script) or "",
               repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # in place: the builder and later handlers share this list


def _detach_exercise_nodes(app, env):
    """sphinx-exercise registers a copy of every exercise and solution node in the environment,
    and each copy's nodes keep a pointer (``_document``) to the whole page they came from (a
    gated node is registered as it stands in the page). So the pickled environment held every
    chapter with exercises (5 MB of 5.1), unpickled on every build, warm ones included. Nothing
    reads a registered node's page: its title, number and children are what is used. Each is
    replaced by a copy without those pointers, before the environment is pickled."""
    for entry in getattr(env, "sphinx_exercise_registry", {}).values():
        node = entry.get("node")
        if node is None:
            continue
        if node.parent is not None:
            node = entry["node"] = node.deepcopy()
        for sub in node.findall():
            sub._document = None
    return []


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)  # after the others
    app.connect("env-updated", _detach_exercise_nodes)
    setup_book_pdf(app)
    setup_wcag_markup(app)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# -- The whole-book PDF, linked from every page's download menu ------------------------------
# (A separate concern from the script fix above.) `make book` copies _build/latex/book.pdf into
# the site as `book.pdf` (see the Makefile's `_pdf`). The theme's ⬇ menu only offers this page's
# source and "print to PDF"; this adds the book itself. The tag `book_pdf` lets pages show a link
# with `{only} html and book_pdf` (intro.md). The student edition sets `book_pdf` to "": the
# PDF prints the solutions.

def _add_book_pdf_button(app, pagename, templatename, context, doctree):
    pdf = app.config.book_pdf
    if not pdf:
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].append({
                "type": "link", "url": context["pathto"](pdf, 1), "text": "book.pdf",
                "tooltip": "Download the whole book (PDF)", "icon": "fas fa-book",
                "label": "download-book-pdf-button"})


def _tag_book_pdf(app, config):
    if config.book_pdf:
        app.tags.add("book_pdf")


def setup_book_pdf(app):
    app.add_config_value("book_pdf", "book.pdf", "html")
    app.connect("config-inited", _tag_book_pdf)
    # After sphinx-book-theme builds the menu (its handlers run at priority 501).
    app.connect("html-page-context", _add_book_pdf_button, priority=600)


# -- Theme markup that fails WCAG 2.1 AA (axe-core, tests/test_accessibility.py) ---------------
# (A separate concern.) After the HTML is written, a few attributes that the theme and its
# extensions put on every page are corrected in the files (their templates offer no option):
# - WCAG 2.5.3 "label in name": the search field's aria-label "Search" leaves out its visible
#   text ("Search Ctrl+K"); a toggle's <summary aria-label="Toggle hidden content"> leaves out
#   "Show code cell source". Without the aria-label the name is the visible text itself. The
#   colour-mode button's icons carry titles ("Light", ...) that Font Awesome turns into visible
#   SVG titles missing from the button's name "Color mode"; without them the icons are decorative.
# - docutils marks citations role="doc-biblioentry", a role ARIA 1.2 deprecates, inside a
#   role="list" that then has no list items: they become role="listitem".
_WCAG_FIXES = (
    ('<button class="btn search-button-field search-button__button pst-js-only" title="Search" '
     'aria-label="Search" ',
     '<button class="btn search-button-field search-button__button pst-js-only" title="Search" '),
    ('<summary aria-label="Toggle hidden content">', "<summary>"),
    ('data-mode="light" title="Light"', 'data-mode="light"'),
    ('data-mode="dark"  title="Dark"', 'data-mode="dark"'),
    ('data-mode="auto"  title="System Settings"', 'data-mode="auto"'),
    ('role="doc-biblioentry"', 'role="listitem"'),
)


def fix_wcag_markup(html: str) -> str:
    for old, new in _WCAG_FIXES:
        html = html.replace(old, new)
    # WCAG 2.1.1: a table wider than a phone scrolls inside its box (_static/book.css), so the
    # keyboard must be able to reach it to scroll it: the box takes the focus (tabindex="0").
    return html.replace('<table class="table', '<table tabindex="0" class="table')


def _fix_wcag_markup_in_site(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    from pathlib import Path

    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = fix_wcag_markup(text)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def setup_wcag_markup(app):
    app.connect("build-finished", _fix_wcag_markup_in_site)
