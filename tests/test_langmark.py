"""Chinese text is marked lang="zh-Hans" in the HTML book (aicluster.langmark)."""
import re

import pytest
from bs4 import BeautifulSoup

from aicluster.langmark import CJK_RUN, mark_chinese

SPAN = '<span lang="zh-Hans">'


def test_runs_are_wrapped_once_with_digits_inside():
    out = mark_chinese("<p>Mentougou (门头沟) and 京西地区2022年度36项 done.</p>")
    assert out == (f"<p>Mentougou ({SPAN}门头沟</span>) and {SPAN}京西地区2022年度36项</span>"
                   " done.</p>")
    assert mark_chinese(out) == out  # already marked: left alone


@pytest.mark.parametrize("html", [
    '<img alt="门头沟 map" src="x.png">', "<script>var s = '门头沟';</script>",
    "<pre>print('门头沟')</pre>", '<p lang="zh-Hans">门头沟</p>', "<!-- 门头沟 -->",
])
def test_attributes_code_and_marked_elements_are_untouched(html):
    assert mark_chinese(html) == html


def test_closing_tags_restore_marking_after_a_lang_element():
    out = mark_chinese('<div lang="zh"><p>一</p></div><p>二</p>')
    assert out.endswith(f"<p>{SPAN}二</span></p>")


def test_latin_text_is_unchanged():
    html = "<p>No Chinese here: 2022–2023, “quotes”.</p>"
    assert mark_chinese(html) == html


CJK = re.compile(CJK_RUN.pattern[: CJK_RUN.pattern.index("]") + 1])


def _unmarked_cjk(page):
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    main = soup.find("main")
    bad = []
    for text in main.find_all(string=CJK):
        if text.find_parent(["script", "style", "pre", "textarea"]):
            continue
        if not text.find_parent(attrs={"lang": "zh-Hans"}):
            bad.append(text.strip()[:40])
    return bad


def test_built_pages_mark_every_chinese_run(html_dir):
    pages = [html_dir / "intro.html", *sorted((html_dir / "chapters").glob("*.html"))]
    marked = 0
    for page in pages:
        assert _unmarked_cjk(page) == [], page.name
        marked += page.read_text(encoding="utf-8").count(SPAN)
    assert marked > 100


def test_css_gives_chinese_a_cjk_face_without_synthetic_italics():
    from conftest import ROOT
    css = (ROOT / "_static" / "book.css").read_text(encoding="utf-8")
    rule = css[css.index(':lang(zh-Hans)'):]
    rule = rule[: rule.index("}")]
    assert "Noto Sans CJK SC" in rule and "font-synthesis: none" in rule
    assert "font-style: normal" in rule
