"""The student edition (`make book-student`): every exercise, no solution, no notebook to download.

It is compared with the main HTML book, which must have the solutions: otherwise the test could
pass on a book without any.
"""
import html
import re

from bs4 import BeautifulSoup


TAG = re.compile(r"<[^>]+>")


def _chapter_pages(root):
    return sorted((root / "chapters").glob("*.html"))


def _soup(page):
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")


def _exercise_labels(page):
    return {div.get("id") for div in _soup(page).select("div.exercise")}


def _solution_sentences(page):
    """Sentences of six words or more from the bodies of the solutions on a page of the main book."""
    sentences = set()
    for div in _soup(page).select("div.solution"):
        title = div.select_one(".admonition-title")
        if title:
            title.decompose()  # "Solution to Exercise 1" is not solution text
        text = div.get_text(" ")
        sentences |= {" ".join(s.split()) for s in re.split(r"(?<=[.;:?])\s", text) if len(s.split()) >= 6}
    return sentences


def test_student_edition_has_every_exercise(html_dir, student_dir):
    main_pages = {p.name: p for p in _chapter_pages(html_dir)}
    exercises = 0
    for page in _chapter_pages(student_dir):
        main = main_pages[page.name]
        assert _exercise_labels(page) == _exercise_labels(main), page.name
        exercises += len(_exercise_labels(page))
    assert exercises > 0, "no exercise found in the student edition"


def test_student_edition_has_no_solution(html_dir, student_dir):
    sentences = set().union(*(_solution_sentences(p) for p in _chapter_pages(html_dir)))
    assert sentences, "the main book has no solution text: the comparison would prove nothing"
    leaks = []
    for path in student_dir.rglob("*"):
        if path.suffix in {".html", ".js", ".txt", ".ipynb", ".md", ".json"} and path.is_file():
            text = " ".join(html.unescape(TAG.sub(" ", path.read_text(encoding="utf-8", errors="ignore"))).split())
            leaks += [(path.name, s[:60]) for s in sentences if s in text]
            if path.suffix == ".html":
                assert not _soup(path).select("div.solution"), f"solution block in {path.name}"
    assert not leaks, f"solution text in the student edition: {leaks[:5]}"


def test_student_edition_offers_no_notebook(student_dir):
    assert not list(student_dir.rglob("*.ipynb")), "notebooks (with their solutions) are copied"
    for page in _chapter_pages(student_dir):
        links = [a.get("href", "") for a in _soup(page).select("a")]
        assert not [u for u in links if u.endswith(".ipynb")], f"{page.name} links its notebook"
        assert not [u for u in links if "mybinder.org" in u or "colab.research" in u], page.name
