"""The ``{claim}`` role: a source's number in prose, bound to the claims ledger.

Writing ``{claim}`C031``` in a chapter prints claim C031 of ``data/claims.csv`` in the book's one
claim notation -- the qualified value and unit of :func:`aicluster.discussion.claim_value`
(``>12,000 firms``, ``80–100 firms``, ``≤50 万元`` restated in yuan), then the period the number
refers to and, for a claim that is not a level reached, what it is (``plan``, ``policy term``,
``definition``)::

    100 P (10^15 ops/s), June 2023
    80–100 firms, 2023 (plan)

``{claim}`C063:value``` prints the value and unit only (``123 firms``), for a sentence that
already gives the period; it links and shows the quote like the full form.

In HTML the text links to the claim's row in the ledger of the sources chapter and shows the
Chinese sentence, with its claim and source ids, on hover (the link's ``title``; escaped like
every attribute). In the PDF the sentence is a footnote. An unknown claim id is an error, which
fails the book's strict build (``-W``).

So the prose never types a source's number by hand: the ledger is the only place it is written.
"""
from __future__ import annotations

import re

import pandas as pd
from docutils import nodes

LEDGER_DOC = "chapters/sources_and_data"  # the page whose claims ledger has one row per claim
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_KIND = {"plan": "plan", "policy_term": "policy term", "definition": "definition"}
FORMS = ("full", "value")


def anchor(claim_id: str) -> str:
    """The HTML id of a claim's row in the ledger (``claim-c031``)."""
    return f"claim-{claim_id.lower()}"


def date_words(partial: str) -> str:
    """A partial date in words: '2023' -> '2023', '2023-06' -> 'June 2023',
    '2025-11-28' -> '28 November 2025'; years before 1000 lose their zero padding."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", partial)
    if not m:
        raise ValueError(f"not a partial date: {partial!r}")
    year = str(int(m[1]))
    if m[2] is None:
        return year
    month = _MONTHS[int(m[2]) - 1]
    return f"{month} {year}" if m[3] is None else f"{int(m[3])} {month} {year}"


def period_words(ref_period: str) -> str:
    """A claim's ref_period in words: '2022-02..2023-06' -> 'February 2022 to June 2023',
    '..2006' -> 'up to 2006', '2023..' -> 'from 2023', 'future (unspecified)' -> 'no date given'."""
    text = ref_period.strip()
    if text == "future (unspecified)":
        return "no date given"
    if ".." not in text:
        return date_words(text)
    lo, hi = text.split("..", 1)
    if lo and hi:
        return f"{date_words(lo)} to {date_words(hi)}"
    if hi:
        return f"up to {date_words(hi)}"
    if lo:
        return f"from {date_words(lo)}"
    raise ValueError(f"a period needs at least one end: {ref_period!r}")


def claim_text(claim, form: str = "full") -> str:
    """A claim in the book's claim notation: value and unit, period, and its kind unless it is
    achieved or cumulative ('80–100 firms, 2023 (plan)'); form 'value' leaves out the period
    ('80–100 firms (plan)')."""
    from .discussion import claim_value  # the one notation, shared with the discussion table

    if form not in FORMS:
        raise ValueError(f"unknown claim form {form!r} (known: {', '.join(FORMS)})")
    status = str(claim["status"])
    value = claim_value(pd.Series({**dict(claim), "status": "achieved"}))
    if value.startswith("1 ") and re.fullmatch(r"1 [a-z]+s", value):  # '1 kilometres' -> singular
        value = value[:-1]
    kind = f" ({_KIND[status]})" if status in _KIND else ""
    if form == "value":
        return f"{value}{kind}"
    return f"{value}, {period_words(str(claim['ref_period']))}{kind}"


def quote_note(claim) -> str:
    """The claim's sentence with its ids: '「…」 (C031, S001)'."""
    return f"「{claim['quote_zh']}」 ({claim['claim_id']}, {claim['source_id']})"


# -- Sphinx ------------------------------------------------------------------------------------
class claim_ref(nodes.Inline, nodes.TextElement):
    """A claim in prose; resolved per builder once the page is complete."""


_CACHE: dict[str, pd.DataFrame] = {}


def _claims() -> pd.DataFrame:
    """The checked claims ledger, read once per build (a bad ledger stops the build with the
    loader's message naming file, row and column)."""
    if "claims" not in _CACHE:
        from . import evidence

        _CACHE["claims"] = evidence.load_claims().set_index("claim_id", drop=False)
    return _CACHE["claims"]


def claim_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    claim_id, _, form = text.strip().partition(":")
    claims = _claims()
    if claim_id not in claims.index or (form or "full") not in FORMS:
        what = (f"unknown claim id {claim_id!r}: not in data/claims.csv" if claim_id not in
                claims.index else f"unknown form {form!r} (known: {', '.join(FORMS)})")
        msg = inliner.reporter.error(f"{what} (the {{claim}} role takes an id such as C031, "
                                     "or C031:value)", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    claim = claims.loc[claim_id]
    node = claim_ref(rawtext, claim_text(claim, form or "full"), claim_id=claim_id,
                     note=quote_note(claim))
    return [node], []


def _in_moving_text(node) -> bool:
    """True inside a caption, title or table cell, where LaTeX cannot take a plain footnote
    (the claim is then printed without one; its id stays in the surrounding text)."""
    parent = node.parent
    while parent is not None:
        if isinstance(parent, (nodes.caption, nodes.title, nodes.entry)):
            return True
        parent = parent.parent
    return False


def _resolve(app, doctree, docname):
    builder = app.builder
    for node in list(doctree.findall(claim_ref)):
        text = node.astext()
        if builder.format == "html":
            uri = builder.get_relative_uri(docname, LEDGER_DOC) + "#" + anchor(node["claim_id"])
            new = nodes.reference("", "", nodes.Text(text), internal=True, refuri=uri,
                                  reftitle=node["note"], classes=["claim"])
        elif builder.format == "latex" and not _in_moving_text(node):
            from sphinx.util.texescape import escape

            note = escape(node["note"] + ", in the claims ledger", app.config.latex_engine)
            new = nodes.inline("", "", nodes.Text(text),
                               nodes.raw("", r"\footnote{" + note + "}", format="latex"),
                               classes=["claim"])
        else:
            new = nodes.inline("", "", nodes.Text(text), classes=["claim"])
        node.replace_self(new)


def _forget_claims(app):
    _CACHE.clear()  # re-read the ledger at every build


def setup(app):
    app.add_node(claim_ref)
    app.add_role("claim", claim_role)
    app.connect("builder-inited", _forget_claims)
    app.connect("doctree-resolved", _resolve)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
