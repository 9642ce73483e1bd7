"""No internal identifier, column name or range notation in the text a reader sees.

Scans the rendered HTML of both editions (the main book and, when built, the student edition),
outside code: code blocks, inline code, notebook inputs, maths, scripts and styles are dropped
first. What is left must read as prose and tables for people: no snake_case ids such as
``org_haoshi_huasheng``, ``coal_steel`` or ``precision_m``, no abbreviations such as "zjtx", no
range notation such as "..2006" or "2022-02..2023-06", no numeric dates such as "2022-08" (a
reader wants "August 2022") and no untranslated unit "3 成".
"""
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import BUILD

# A snake_case token not part of a file path or a file name ("data/places.csv" is a path).
SNAKE = re.compile(r"(?<![\w/.\-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/]|\.[a-z])")
PATTERNS = {
    "snake_case identifier": SNAKE,
    "abbreviation zjtx": re.compile(r"\bzjtx\b", re.I),
    "range notation": re.compile(r"\d{4}(?:-\d{2}){0,2}\.\.|\.\.\d{4}"),
    "untranslated unit 成": re.compile(r"\d\s?成(?![\u4e00-\u9fff])"),
    # "2022-08" or "2023-06-09" where a reader wants "August 2022" or "9 June 2023"
    "numeric date": re.compile(r"(?<![\w/.\-])(?:1\d|20)\d{2}-(?:0[1-9]|1[0-2])(?:-\d{2})?(?![\w/])"),
}
# Parameter names of scikit-learn's DBSCAN and HDBSCAN, which the point-pattern chapter teaches
# under their API names (a student types them).
LIBRARY_NAMES = {"min_samples", "min_cluster_size", "allow_single_cluster"}
DROP = ["pre", "code", "script", "style", "math", "iframe", "kbd", "samp"]
DROP_CLASSES = [".cell_input", ".highlight", ".math", ".MathJax", "mjx-container"]


def readable_text(page: Path) -> str:
    """The text of a page's main content, without code, maths, scripts and styles."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    main = soup.find("main") or soup
    for tag in main(DROP):
        tag.decompose()
    for tag in main.select(", ".join(DROP_CLASSES)):
        tag.decompose()
    text = main.get_text(" ")
    return re.sub(r"\\\(.*?\\\)|\$[^$]+\$", " ", text)  # inline maths not yet typeset


def offences(text: str) -> list[tuple[str, str]]:
    found = []
    for name, pattern in PATTERNS.items():
        for m in pattern.finditer(text):
            if m.group(0) in LIBRARY_NAMES:
                continue
            found.append((name, text[max(0, m.start() - 40):m.end() + 20].replace("\n", " ")))
    return found


def _pages(root: Path) -> list[Path]:
    return sorted([root / "index.html", root / "intro.html", *(root / "chapters").glob("*.html")])


def _editions(html_dir: Path) -> list[Path]:
    roots = [html_dir]
    student = BUILD / "student" / "html"
    if (student / "index.html").exists():
        roots.append(student)
    return roots


@pytest.mark.parametrize("text,name", [
    ("the entity org_haoshi_huasheng said", "snake_case identifier"),
    ("category coal_steel", "snake_case identifier"),
    ("radius = precision_m", "snake_case identifier"),
    ("specialised firms zjtx", "abbreviation zjtx"),
    ("period ..2006", "range notation"),
    ("from 2022-02..2023-06", "range notation"),
    ("1368..1912", "range notation"),
    ("a share of >3 成 of the target", "untranslated unit 成"),
    ("from 2022-08 to 2023-12", "numeric date"),
    ("Guangming Daily, 2023-06-09, “West Beijing", "numeric date"),
    ("chapters/jingxi 2026-11-29 23:22 cache", "numeric date"),
])
def test_the_scan_catches_each_kind(text, name):
    assert name in {n for n, _ in offences(text)}


@pytest.mark.parametrize("text", [
    "see data/claims.csv and chapters/point_patterns.ipynb", "February 2022 to June 2023",
    "before 2007", "from August 2022 to December 2023", "1368-1912",
    "2024-25", "DBSCAN with min_samples = 3", "“超三成” (more than 30 %)", "well-known",
])
def test_the_scan_passes_plain_text(text):
    assert offences(text) == []


def test_rendered_text_has_no_ids_or_ranges(html_dir):
    found = []
    for root in _editions(html_dir):
        pages = _pages(root)
        assert len(pages) > 5
        for page in pages:
            found += [(f"{root.parent.name}/{page.relative_to(root)}", *o)
                      for o in offences(readable_text(page))]
    assert not found, "\n".join(f"{p}: {n}: …{t}…" for p, n, t in found[:40]) + \
        f"\n({len(found)} in all)"
