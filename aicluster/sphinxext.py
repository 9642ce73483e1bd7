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


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)  # after the others
    return {"parallel_read_safe": True, "parallel_write_safe": True}
