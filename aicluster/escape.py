r"""Text from data made literal for each place it is shown: one function per target.

The book's data are edited by people, so a name, a quote or a title may contain anything. Each
target interprets some characters, and text from data must reach it only through the function for
that target:

- :func:`markdown`: MyST Markdown (glued sentences, lists and prose built from data). Every ASCII
  punctuation character is backslash-escaped, so no role (``{abbr}`...```), link, raw HTML,
  maths (``$``), substitution (``{{ }}``) or emphasis in it takes effect; line breaks become
  spaces. MyST (CommonMark) shows a backslash-escaped punctuation character as itself.
- :func:`markdown_inline`: text inside a line of MyST Markdown, after other text (a glued
  sentence, a list item's text): as :func:`markdown`, but ``( ) , . - ' " / ; : ? %`` are left as
  they are, since none of them starts markup except at the start of a line (``(label)=``, ``%``
  comments, ``-`` lists), so prose from data reads unchanged in the Markdown.
- :func:`markdown_cell`: one cell of a Markdown table (:func:`aicluster.display.md_table`): only
  the characters that start markup other than emphasis inside a table row (``\ < > & ` $ | [ ]
  { }``). ``*`` and ``_`` keep their meaning (chapters put *emphasis* into cells; it runs no
  code and links nothing), so a name with two ``*`` shows in italics rather than verbatim.
- :func:`html`: HTML text or attribute values, including text that branca/folium render as a
  Jinja template a second time (map tooltips, layer names, the legend): ``{`` and ``}`` become
  character references, so no ``{{ }}``/``{% %}`` survives into a template, and `` ` ``, ``$``,
  ``\\`` too, since folium puts tooltips in a JavaScript template literal.
- :func:`latex`: LaTeX text (``\\input``, ``$``, ``%``, ``#`` ... shown as characters).
- :func:`mathtext`: matplotlib text (``$x$`` would be drawn as maths): ``$`` becomes ``\\$``.
  Mathtext stays on for the book's figures (log-axis tick labels are mathtext), so text from
  data is escaped where it is drawn, or drawn with ``parse_math=False`` (map labels, timeline
  and claim-chart annotations).
"""
from __future__ import annotations

import html as _html
import math
import re

__all__ = ["markdown", "markdown_inline", "markdown_cell", "html", "latex", "mathtext", "plain"]


def plain(value) -> str:
    """`value` as text on one line: None and NaN become ''."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return ""
    except ImportError:  # pragma: no cover
        pass
    return str(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
# In a table cell (a line that starts with "|"), only these start markup: raw HTML and
# autolinks (<), entities (&), code (`), maths ($), a new cell (|), links and footnotes ([ ]),
# roles and substitutions ({ }), and the backslash, which would undo the other escapes.
_MD_CELL = re.compile(r"([\\<>&`$|\[\]{}])")


def markdown(value) -> str:
    """Literal text for MyST Markdown: every ASCII punctuation character backslash-escaped."""
    return _MD_PUNCT.sub(r"\\\1", plain(value))


_MD_INLINE = re.compile(r"([!#$&*+<=>@\[-`{-~])")  # all but ( ) , . - ' " / ; : ? %


def markdown_inline(value) -> str:
    """Literal text for the inside of a MyST Markdown line (not at its start)."""
    return _MD_INLINE.sub(r"\\\1", plain(value))


def markdown_cell(value) -> str:
    """Literal text for one Markdown table cell (``*`` and ``_`` keep their emphasis meaning)."""
    return _MD_CELL.sub(r"\\\1", plain(value))


_HTML_EXTRA = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;", "{": "&#123;",
                             "}": "&#125;"})


def html(value) -> str:
    """Literal text for HTML (text or a quoted attribute), safe through a second Jinja pass and
    inside a JavaScript template literal."""
    text = "" if value is None else str(value)
    return _html.escape(text, quote=True).translate(_HTML_EXTRA)


_LATEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
          "#": r"\#", "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%",
          "~": r"\textasciitilde{}"}
_LATEX_RE = re.compile("|".join(re.escape(c) for c in _LATEX))


def latex(value) -> str:
    """Literal text for LaTeX: its ten special characters written as commands."""
    return _LATEX_RE.sub(lambda m: _LATEX[m.group()], plain(value))


def mathtext(value) -> str:
    """Literal text for matplotlib with mathtext on: ``$`` written as ``\\$``."""
    return plain(value).replace("$", r"\$")
