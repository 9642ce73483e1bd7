"""Sphinx extension: mark Chinese text in the HTML book as Chinese.

The pages are English (``<html lang="en">``), so without a mark a screen reader reads 门头沟
with an English voice and a browser picks a fallback face for it at random. Before each page is
written, every run of Chinese characters in its body is wrapped in ``<span lang="zh-Hans">``;
``_static/book.css`` gives such spans a CJK font stack and forbids synthetic italics.

A run starts and ends with a CJK character (ideographs, CJK punctuation, full-width forms) and
may contain digits and spaces in between (``京西地区2022年度``), so that a phrase is one span.
Text inside ``<script>``, ``<style>``, ``<textarea>`` and ``<pre>`` and all tag attributes are
left alone; a run already inside an element with a ``lang`` attribute is not wrapped again.
"""
from __future__ import annotations

import re

LANG = "zh-Hans"
_CJK = "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
CJK_RUN = re.compile(f"[{_CJK}](?:[{_CJK}0-9 .,%·\u2014\u2013\u201c\u201d-]*[{_CJK}])?")
# Text inside these elements is not prose.
_RAW = ("script", "style", "textarea", "pre")
_TAG = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z][\w:-]*)")


def mark_chinese(html: str) -> str:
    """`html` with every run of Chinese text outside tags, raw elements and existing ``lang``
    elements wrapped in ``<span lang="zh-Hans">``."""
    out, raw_depth, lang_stack = [], 0, []
    for piece in _TAG.split(html):
        if not piece:
            continue
        if piece.startswith("<"):
            out.append(piece)
            raw_depth, lang_stack = _track(piece, raw_depth, lang_stack)
            continue
        if raw_depth or any(has_lang for _, has_lang in lang_stack):
            out.append(piece)
        else:
            out.append(CJK_RUN.sub(lambda m: f'<span lang="{LANG}">{m.group(0)}</span>', piece))
    return "".join(out)


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}


def _track(tag: str, raw_depth: int, lang_stack: list) -> tuple[int, list]:
    """Update the depth inside raw elements and the stack of open elements, (name, whether it
    sets ``lang``), after `tag`. A closing tag closes its element and any left open inside it."""
    m = _TAG_NAME.match(tag)
    if not m or tag.startswith("<!"):
        return raw_depth, lang_stack
    closing, name = m.group(1) == "/", m.group(2).lower()
    if name in _RAW:
        raw_depth += -1 if closing else 1
        return max(raw_depth, 0), lang_stack
    if name in _VOID or tag.rstrip().endswith("/>"):
        return raw_depth, lang_stack
    if closing:
        names = [n for n, _ in lang_stack]
        if name in names:
            cut = len(names) - 1 - names[::-1].index(name)
            return raw_depth, lang_stack[:cut]
        return raw_depth, lang_stack
    return raw_depth, [*lang_stack, (name, bool(re.search(r"\slang\s*=", tag)))]


def _mark_page(app, pagename, templatename, context, doctree):
    if "body" in context:
        context["body"] = mark_chinese(context["body"])


def setup(app):
    app.connect("html-page-context", _mark_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
