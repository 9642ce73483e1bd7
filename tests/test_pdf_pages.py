"""The PDF is worth printing: no blank page, no stub chapter, no spaces inside quotes around
Chinese, URLs not repeated as footnotes."""
import re
import subprocess

import pytest

CJK = "\u4e00-\u9fff"


@pytest.fixture(scope="module")
def pages(pdf_path):
    text = subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return text.split("\f")[:-1]  # pdftotext ends every page with a form feed


@pytest.fixture(scope="module")
def pages_with_images(pdf_path):
    listing = subprocess.run(["pdfimages", "-list", str(pdf_path)], check=True,
                             capture_output=True, text=True).stdout
    return {int(line.split()[0]) for line in listing.splitlines()[2:] if line.strip()}


def test_page_count_matches_pdfinfo(pdf_path, pages):
    info = subprocess.run(["pdfinfo", str(pdf_path)], check=True, capture_output=True,
                          text=True).stdout
    assert int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1)) == len(pages)


def test_no_blank_pages(pages, pages_with_images):
    blank = [i for i, text in enumerate(pages, start=1)
             if not text.strip() and i not in pages_with_images]
    assert blank == [], f"blank pages: {blank} of {len(pages)}"


def test_no_page_is_nearly_empty_text_alone(pages, pages_with_images):
    # A page with a line or two of text and no figure is a stub (a chapter of one paragraph, a
    # float-starved page); the last page of the book may be short.
    short = [i for i, text in enumerate(pages[:-1], start=1)
             if 0 < len(text.split()) < 12 and i not in pages_with_images]
    assert short == [], f"nearly empty pages: {short}"


def test_no_space_inside_quotes_around_chinese(pages):
    text = "\n".join(pages)
    bad = re.findall(f"“ +[{CJK}]|[{CJK}] +”", text)
    assert bad == [], bad[:10]
