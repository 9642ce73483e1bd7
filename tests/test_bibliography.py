"""references.bib: well formed, every entry cited somewhere in the book, every citation defined.

The bibliography page lists cited entries only (sphinxcontrib-bibtex's default, no `:all:`), so
an uncited entry would silently vanish from the book; this test makes it visible instead. The
strict build already fails on a citation of an unknown key; the second test says which page.
"""
import json
import re

import pybtex.database
import pytest
import yaml

from conftest import ROOT

CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return files


def _page_text(name):
    for suffix in (".md", ".ipynb"):
        path = ROOT / f"{name}{suffix}"
        if path.exists():
            text = path.read_text(encoding="utf-8")
            if suffix == ".ipynb":
                cells = json.loads(text)["cells"]
                text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
            return text
    raise FileNotFoundError(name)


def _citations():
    """{page: set of cited keys} over every page of the table of contents."""
    return {name: {key.strip() for group in CITE.findall(_page_text(name)) for key in group.split(",")}
            for name in _toc_files()}


@pytest.fixture(scope="module")
def entries():
    return pybtex.database.parse_file(str(ROOT / "references.bib")).entries


def test_every_entry_has_author_title_year(entries):
    for key, entry in entries.items():
        assert entry.persons.get("author"), f"{key}: no author (author-year citations need one)"
        assert entry.fields.get("title"), f"{key}: no title"
        assert re.fullmatch(r"\d{4}", entry.fields.get("year", "")), f"{key}: year"
        doi = entry.fields.get("doi")
        assert doi is None or re.fullmatch(r"10\.\d{4,9}/\S+", doi), f"{key}: DOI {doi!r}"


def test_every_citation_is_defined(entries):
    unknown = {page: keys - set(entries) for page, keys in _citations().items() if keys - set(entries)}
    assert not unknown, f"citations of keys missing from references.bib: {unknown}"


def test_every_entry_is_cited(entries):
    cited = set().union(*_citations().values())
    uncited = sorted(set(entries) - cited)
    assert not uncited, f"entries of references.bib cited nowhere in the book: {uncited}"


def test_the_primary_sources_are_the_five_articles(entries):
    sources = [row.split(",")[0] for row in
               (ROOT / "data" / "sources.csv").read_text(encoding="utf-8").splitlines()[1:]]
    assert {f"src{s[1:]}" for s in sources} == {k for k in entries if k.startswith("src")}
