"""The ledger display: one object, a sortable HTML table and a wrapping PDF table, safe and
deterministic."""
import re

import numpy as np
import pandas as pd
import pytest

from aicluster import evidence, ledger

HOSTILE = '<script>alert("x")</script> & “引号” | *star* $x$ {glue}'


@pytest.fixture
def table():
    df = pd.DataFrame({"claim_id": ["C002", "C001"], "value": [12000.0, np.nan],
                       "quote_zh": [HOSTILE, "国产算力总规模达到900P"]})
    return ledger.Ledger(df, table_id="test-ledger", caption="Claims <b>", pdf_widths=[1, 1, 4])


def test_mime_bundle_has_html_markdown_and_plain_only(table):
    bundle = table._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/markdown", "text/plain"}
    assert "0x" not in bundle["text/plain"]


def test_html_escapes_cell_text(table):
    page = table.html()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in page
    assert "Claims &lt;b&gt;" in page
    assert page.count("<script>") == 1  # only the table's own sorting script


def test_html_is_sortable_filterable_and_offline(table):
    page = table.html()
    assert 'id="test-ledger"' in page and '<input type="search"' in page
    assert page.count("<button") == 3 and 'data-type="number"' in page
    assert 'data-sort="12000.0"' in page and 'data-sort=""' in page
    assert '<td class="num" data-sort="12000.0">12000</td>' in page
    assert not re.search(r"(src|href)=\"?https?:", page)
    assert "http" not in page


def test_html_is_deterministic(table):
    again = ledger.Ledger(table.df.copy(), table_id="test-ledger", caption="Claims <b>",
                          pdf_widths=[1, 1, 4])
    assert again._repr_mimebundle_() == table._repr_mimebundle_()


def test_markdown_is_a_list_table_with_widths_and_escaped_text(table):
    md = table.markdown()
    lines = md.splitlines()
    assert lines[0].startswith("```{list-table} Claims \\<b\\>")
    assert ":header-rows: 1" in lines and ":widths: 1 1 4" in lines and lines[-1] == "```"
    assert "<script>" not in md
    assert "\\<script\\>alert\\(\\\"x\\\"\\)\\<\\/script\\> \\& “引号” \\| \\*star\\* \\$x\\$ \\{glue\\}" in md
    assert "  - –" in lines  # a missing value shows as a dash
    assert "  - 12000" in lines


def test_markdown_renders_as_literal_text_in_myst():
    from markdown_it import MarkdownIt
    out = MarkdownIt("commonmark").render(ledger._md(HOSTILE))
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<em>" not in out


def test_pdf_columns_select_and_order(table):
    t = ledger.Ledger(table.df, table_id="t", pdf_columns=["quote_zh", "claim_id"], pdf_widths=[3, 1])
    lines = t.markdown().splitlines()
    assert ":name: t" in lines[:4]  # the table's id (aicluster.pdfbook finds the ledger by it)
    assert lines[5:7] == ["* - quote\\_zh", "  - claim\\_id"]
    with pytest.raises(ValueError):
        ledger.Ledger(table.df, table_id="t", pdf_columns=["claim_id"], pdf_widths=[1, 2])
    with pytest.raises(ValueError):
        ledger.Ledger(table.df, table_id="no spaces")


def test_every_indicator_and_place_kind_has_a_group():
    ev = evidence.load_all()
    assert {ledger.indicator_group(i) for i in ev.claims["indicator"]} - {ledger.OTHER}
    grouped = [i for members in ledger.INDICATOR_GROUPS.values() for i in members]
    assert len(grouped) == len(set(grouped)), "an indicator is in two groups"
    for kind in evidence.PLACE_KINDS:
        assert ledger.place_kind_colour(kind).startswith("#")
    with pytest.raises(KeyError):
        ledger.place_kind_group("spaceport")


def test_html_columns_select_and_order(table):
    t = ledger.Ledger(table.df, table_id="t", html_columns=["quote_zh", "claim_id"])
    heads = re.findall(r"<button type=\"button\">([^<]*)</button>", t.html())
    assert heads == ["quote_zh", "claim_id"]
    assert 'class="wrap"' in t.html()  # long text wraps, short text stays on one line
