"""Display helpers that render well in both the HTML and the PDF book."""
from __future__ import annotations

import re

import pandas as pd
from IPython.display import Markdown


def md_table(df: pd.DataFrame, formats: dict | None = None, index: bool = False) -> Markdown:
    """A DataFrame as a Markdown table (myst-nb renders it natively in HTML and LaTeX).

    `formats` maps column -> format spec (e.g. "{:,.1f}"); text cells are escaped for Markdown.
    """
    formats = formats or {}
    shown = df.copy()
    for col in shown.columns:
        fmt = formats.get(col)
        shown[col] = [_cell(fmt.format(v) if fmt and pd.notna(v) else v) for v in shown[col]]
    if index:
        shown = shown.reset_index()
    header = "| " + " | ".join(_cell(c) for c in shown.columns) + " |"
    rule = "|" + "|".join(" --- " if shown[c].map(_is_text).any() else " ---: "
                          for c in shown.columns) + "|"
    rows = ["| " + " | ".join(str(v) for v in row) + " |" for row in shown.itertuples(index=False)]
    return Markdown("\n".join([header, rule, *rows]))


def _is_text(value) -> bool:
    text = str(value).replace(",", "").replace("%", "").replace("−", "-").strip()
    try:
        float(text)
        return False
    except ValueError:
        return True


# Backslash-escaped so that MyST shows them as text: '<' would start raw HTML (a name with
# <script> would run in the HTML book), '&' an entity, '`' code, '$' maths, '[' a link, '|' a
# new cell, and '\\' would undo the other escapes. (*Emphasis* in a cell still works.)
_MD_HTML_CHARS = str.maketrans({c: "\\" + c for c in "\\<>&`$|[]"})


_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def md_literal(text) -> str:
    """Text from data made literal for MyST Markdown, on one line: every ASCII punctuation
    character backslash-escaped, so no markup, role, link or raw HTML in it takes effect."""
    text = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    return _MD_PUNCT.sub(r"\\\1", text).replace("\n", " ")


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    return str(value).translate(_MD_HTML_CHARS).replace("\n", " ")
