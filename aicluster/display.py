"""Display helpers that render well in both the HTML and the PDF book."""
from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from . import escape


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


def md_literal(text) -> str:
    """Text from data made literal for MyST Markdown, on one line (see
    :func:`aicluster.escape.markdown`): no markup, role, link or raw HTML in it takes effect."""
    return escape.markdown(text)


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    return escape.markdown_cell(value)


# -- display errors fail the cell ----------------------------------------------------------------
# IPython catches any exception raised by an object's _repr_mimebundle_ while it formats a cell's
# result (or a glued value), prints the traceback as an output and lets the cell succeed: a map
# that failed to render would vanish from the book while the build passed. For the package's own
# displayable objects (BookMap, Ledger) the bundle is therefore computed before IPython's
# formatters see the object, where an exception fails the cell, and so the build.
class _Rendered:
    """A bundle already computed, standing in for the object that made it."""

    def __init__(self, obj, bundle):
        self._obj, self._bundle = obj, bundle

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self._bundle

    def __repr__(self):
        return repr(self._obj)


def _is_ours(obj) -> bool:
    return (type(obj).__module__.startswith("aicluster.")
            and callable(getattr(obj, "_repr_mimebundle_", None)))


def strict_format(format_):
    """Wrap a DisplayFormatter.format so that our objects' rendering errors propagate."""
    def format(obj, include=None, exclude=None):
        if _is_ours(obj):
            obj = _Rendered(obj, obj._repr_mimebundle_(include=include, exclude=exclude))
        return format_(obj, include=include, exclude=exclude)
    format.strict = True
    return format


def install_strict_display(shell=None) -> bool:
    """Make rendering errors of aicluster objects fail their cell (in an IPython kernel; a
    no-op elsewhere). Called by :func:`aicluster.setup`; returns whether it is installed."""
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        return False
    formatter = shell.display_formatter
    if not getattr(formatter.format, "strict", False):
        formatter.format = strict_format(formatter.format)
    return True
