"""Exercises an instructor can assign: numbered by chapter, each with a level and the result to
expect, written against the libraries a student should learn, last in their chapter."""
import json
import re

import pytest
from bs4 import BeautifulSoup

from conftest import ROOT

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
LEVELS = {"introductory", "intermediate", "advanced"}
EXERCISE = re.compile(r"```\{exercise\}[^\n]*\n:label: (\S+)\n(.*?)\n```", re.S)
LEVEL_LINE = re.compile(r"^\*Level: (\w+)\. Expected result: [^*]{10,}\*$", re.M)
# The book's own chapter helpers: a student should learn geopandas, shapely, scikit-learn and the
# documented point-pattern functions (aicluster.pointpattern), not these.
HELPERS = re.compile(r"\b(buffer_window|BrokenTimeAxis|DRIVERS|timeline\.|discussion\.|"
                     r"clusters\.|cl\.|clusterstats\.|cs\.|westbeijing\.|wb\.|"
                     r"haidian\.nearest|maps\.)")


def _markdown_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [(i, "".join(c["source"])) for i, c in enumerate(nb["cells"])
            if c["cell_type"] == "markdown"], len(nb["cells"])


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_exercises_have_a_level_and_an_expected_result(path):
    cells, _ = _markdown_cells(path)
    exercises = [m for _, text in cells for m in EXERCISE.finditer(text)]
    assert exercises, f"{path.name} has no exercise"
    for m in exercises:
        label, body = m.group(1), m.group(2)
        level = LEVEL_LINE.search(body)
        assert level, f"{label}: no '*Level: ... Expected result: ...*' line"
        assert level.group(1) in LEVELS, f"{label}: level {level.group(1)!r}"
        assert not HELPERS.search(body), f"{label} asks for a chapter helper: {HELPERS.search(body)[0]}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_exercises_are_the_last_markdown_cell(path):
    # (Only code that glues the solutions' values may follow them.)
    cells, n = _markdown_cells(path)
    with_exercises = [i for i, text in cells if "```{exercise}" in text]
    assert with_exercises == [cells[-1][0]], f"{path.name}: exercises in cells {with_exercises}"


def test_helper_scan_catches_helpers():
    assert HELPERS.search("use `clusters.buffer_window` here")
    assert HELPERS.search("timeline.BrokenTimeAxis((950, 2027), (1.0,))")
    assert not HELPERS.search("use shapely.buffer and geopandas GeoSeries.within")


def test_exercises_are_numbered_by_chapter(html_dir):
    numbered = 0
    for page in sorted((html_dir / "chapters").glob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        number = soup.select_one("main h1 .section-number")
        title = soup.select_one("main h1").get_text(" ", strip=True)
        chapter = re.match(r"(\d+)\.", number.get_text(strip=True)) if number else None
        numbers = [s.get_text(strip=True) for s in soup.select("div.exercise .caption-number")]
        if not numbers:
            continue
        assert chapter, f"{page.name} has exercises but no chapter number: {title!r}"
        expected = [f"Exercise {chapter.group(1)}.{k}" for k in range(1, len(numbers) + 1)]
        assert numbers == expected, page.name
        numbered += len(numbers)
    assert numbered >= 15


def test_renumbering_by_chapter():
    from aicluster.pdfbook import renumber_by_chapter
    old = {"a": (6, 4, 2), "b": (6, 4, 1), "c": (6, 5, 1), "d": (7, 6, 1), "e": (3,)}
    assert renumber_by_chapter(old) == {"b": (6, 1), "a": (6, 2), "c": (6, 3), "d": (7, 1),
                                        "e": (3,)}
    assert renumber_by_chapter({"x": (5, 1), "y": (5, 2)}) == {"x": (5, 1), "y": (5, 2)}


def test_pdf_exercises_are_numbered_by_chapter(pdf_path):
    import subprocess
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], check=True, capture_output=True,
                          text=True).stdout
    numbers = re.findall(r"^Exercise (\d+(?:\.\d+)*) ", text, re.M)
    assert numbers and all(re.fullmatch(r"\d+\.\d+", n) for n in numbers), numbers[:5]
    assert "5.1" in numbers


def test_the_pickled_environment_does_not_carry_the_chapters_with_exercises():
    """sphinx-exercise registers copies of exercise and solution nodes whose inner nodes point
    back to their whole page; aicluster.sphinxext drops those pointers before the environment is
    pickled (it held 5 MB of the 5.1 MB environment, unpickled on every build)."""
    import pickle

    path = ROOT / "_build" / ".doctrees" / "environment.pickle"
    if not path.exists():
        pytest.fail("no built book: run `make html` first")
    env = pickle.loads(path.read_bytes())
    registry = env.sphinx_exercise_registry
    assert registry, "no exercise registered"
    for label, entry in registry.items():
        node = entry["node"]
        assert node.parent is None, label
        assert all(sub._document is None for sub in node.findall()), label
        assert node.children and node.children[0].astext(), label  # the title is kept
