"""The {claim} role: claim notation, a link to the ledger row with the quote on hover (escaped),
a footnote in LaTeX, and an unknown claim id fails a strict build."""
from __future__ import annotations

import html
import re
import shutil

import pytest

from aicluster import claimrole, evidence, paths


@pytest.fixture(scope="module")
def claims():
    return evidence.load_claims().set_index("claim_id", drop=False)


@pytest.mark.parametrize("claim_id, text", [
    ("C031", "100 P (10^15 ops/s), June 2023"),
    ("C041", "80–100 firms, 2023 (plan)"),
    ("C029", ">12,000 firms, June 2023"),
    ("C092", "60 percent, up to 2006"),
    ("C036", ">22 billion yuan, February 2022 to June 2023"),
    ("C033", "500–1,000 P (10^15 ops/s), no date given (plan)"),
    ("C068", "80 percent, April 2025 (policy term)"),
    ("C104", "≥99 percent, 2024"),
    ("C098", "1 kilometre, 2024"),
])
def test_claim_text(claims, claim_id, text):
    assert claimrole.claim_text(claims.loc[claim_id]) == text


def test_value_form_leaves_out_the_period(claims):
    assert claimrole.claim_text(claims.loc["C063"], "value") == "123 firms"
    assert claimrole.claim_text(claims.loc["C041"], "value") == "80–100 firms (plan)"
    with pytest.raises(ValueError, match="unknown claim form"):
        claimrole.claim_text(claims.loc["C063"], "short")


def test_every_claim_renders(claims):
    for _, claim in claims.iterrows():
        assert claimrole.claim_text(claim)


@pytest.mark.parametrize("period, words", [
    ("0958", "958"), ("2025-11-28", "28 November 2025"), ("..2006", "up to 2006"),
    ("2023..", "from 2023"), ("2023..2025-04", "2023 to April 2025")])
def test_period_words(period, words):
    assert claimrole.period_words(period) == words


# -- in a Sphinx build -----------------------------------------------------------------------
CONF = "extensions = ['myst_parser', 'aicluster.claimrole']\nexclude_patterns = ['_build']\n"


def _build(tmp_path, text, builder="html", claims_csv=None):
    from sphinx.application import Sphinx

    src = tmp_path / "src"
    (src / "chapters").mkdir(parents=True, exist_ok=True)
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    (src / "index.md").write_text("# Home\n\n```{toctree}\nchapters/sources_and_data\n"
                                  "chapters/page\n```\n", encoding="utf-8")
    (src / "chapters" / "sources_and_data.md").write_text("# Ledger\n", encoding="utf-8")
    (src / "chapters" / "page.md").write_text("# Page\n\n" + text + "\n", encoding="utf-8")
    out = tmp_path / "out"
    warnings = []

    class Sink:
        def write(self, s):
            warnings.append(s)

        def flush(self):
            pass

    app = Sphinx(str(src), str(src), str(out), str(tmp_path / "doctrees"), builder,
                 status=None, warning=Sink(), freshenv=True)
    app.build()
    # Several Sphinx apps in one process re-register Sphinx's own nodes; that is not ours.
    lines = "".join(warnings).splitlines(keepends=True)
    return out, "".join(line for line in lines if "is already registered" not in line)


def test_html_links_to_the_ledger_row_with_the_quote_on_hover(tmp_path):
    out, warnings = _build(tmp_path, "The centre had {claim}`C031`.")
    assert not warnings, warnings
    page = (out / "chapters" / "page.html").read_text(encoding="utf-8")
    link = re.search(r'<a class="[^"]*claim[^"]*"[^>]*>', page).group(0)
    assert 'href="sources_and_data.html#claim-c031"' in link
    assert html.escape("「目前该中心的算力已达100P」 (C031, S001)", quote=True) in link
    assert "100 P (10^15 ops/s), June 2023</a>" in page


def test_latex_puts_the_quote_in_a_footnote(tmp_path):
    out, warnings = _build(tmp_path, "The centre had {claim}`C031`.", builder="latex")
    tex = next(out.glob("*.tex")).read_text(encoding="utf-8")
    assert re.search(r"100 P \(10\\textasciicircum\{\}15 ops/s\), June 2023"
                     r"\\footnote\{「目前该中心的算力已达100P」 \(C031, S001\)", tex)


def test_no_latex_footnote_in_a_caption(tmp_path):
    text = "```{figure} x.png\n:name: f\n\nCaption with {claim}`C031`.\n```\n"
    (tmp_path / "src" / "chapters").mkdir(parents=True)
    from PIL import Image
    Image.new("RGB", (4, 4)).save(tmp_path / "src" / "chapters" / "x.png")
    out, _ = _build(tmp_path, text, builder="latex")
    tex = next(out.glob("*.tex")).read_text(encoding="utf-8")
    caption = tex[tex.index("\\caption"):][:300]
    assert "June 2023" in caption and "\\footnote" not in caption


def test_unknown_claim_id_is_an_error(tmp_path):
    _, warnings = _build(tmp_path, "A number {claim}`C999`.")
    assert "unknown claim id 'C999'" in warnings and "ERROR" in warnings


def test_unknown_form_is_an_error(tmp_path):
    _, warnings = _build(tmp_path, "A number {claim}`C031:short`.")
    assert "unknown form 'short'" in warnings and "ERROR" in warnings


def test_value_form_in_html(tmp_path):
    out, warnings = _build(tmp_path, "Of them {claim}`C063:value` in AI.")
    assert not warnings, warnings
    page = (out / "chapters" / "page.html").read_text(encoding="utf-8")
    assert 'href="sources_and_data.html#claim-c063"' in page and ">123 firms</a> in AI" in page


def test_markup_in_a_quote_is_escaped(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(paths.DATA, data)
    frame = evidence.load_claims(data).set_index("claim_id", drop=False)
    frame.loc["C031", "quote_zh"] = '目前<script>alert("x")</script>100P'
    monkeypatch.setitem(claimrole._CACHE, "claims", frame)
    monkeypatch.setattr(claimrole, "_forget_claims", lambda app: None)
    out, _ = _build(tmp_path, "{claim}`C031`")
    page = (out / "chapters" / "page.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
