"""docs/audit.csv: the editorial audit covers every file of the book, uses only the documented
classes, and every id or citation key it gives as evidence exists (docs/audit.md)."""
from __future__ import annotations

import csv
import re

import pytest

from aicluster import evidence, identities, paths

AUDIT = paths.ROOT / "docs" / "audit.csv"
CLASSES = {"source", "background", "computed", "inference", "method", "non-factual"}
BOOK = ["intro.md", "chapters/study_area.ipynb", "chapters/sources_and_data.ipynb",
        "chapters/haidian_buildings.ipynb", "chapters/point_patterns.ipynb",
        "chapters/mentougou.ipynb", "chapters/jingxi.ipynb", "chapters/discussion.ipynb",
        "chapters/glossary.md", "chapters/instructor_guide.md"]


@pytest.fixture(scope="module")
def rows():
    with open(AUDIT, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_columns_and_classes(rows):
    assert list(rows[0]) == ["file", "location", "sentence", "class", "evidence"]
    bad = [(r["file"], r["sentence"][:60], r["class"]) for r in rows if r["class"] not in CLASSES]
    assert not bad, bad


def test_every_file_of_the_book_is_audited(rows):
    audited = {r["file"] for r in rows}
    assert audited == set(BOOK)
    for name in BOOK:
        assert sum(r["file"] == name for r in rows) >= 10, name


def test_factual_classes_give_evidence(rows):
    missing = [(r["file"], r["sentence"][:60]) for r in rows
               if r["class"] in ("source", "background", "computed") and not r["evidence"].strip()]
    assert not missing, missing


def test_cited_ids_and_keys_exist(rows):
    ev = evidence.load_all()
    known = (set(ev.claims["claim_id"]) | set(ev.events["event_id"])
             | set(ev.organisations["link_id"]) | set(ev.sources["source_id"])
             | set(identities.load_identities(ev=ev)["identity_id"]))
    bib = set(re.findall(r"^@\w+\{([^,]+),", (paths.ROOT / "references.bib").read_text(
        encoding="utf-8"), re.M))
    unknown = []
    for r in rows:
        text = r["evidence"]
        unknown += [i for i in re.findall(r"\b[CESLI]\d{3}\b", text) if i not in known]
        if r["class"] == "background":
            keys = re.findall(r"\b([a-z]+\d{4}[a-z]+)\b", text)
            unknown += [k for k in keys if k not in bib]
            assert keys or "UNREFERENCED" in text, r["sentence"][:60]
    assert not unknown, sorted(set(unknown))


def test_every_sentence_of_the_book_has_a_reviewed_row(rows):
    """The audit is current: each sentence the book prints now has a row with a reviewed class,
    and no row holds a sentence the book no longer prints (regenerate with
    `scripts/audit_sentences.py --merge docs/audit.csv`, then classify the new rows)."""
    from conftest import load_module
    audit = load_module("scripts/audit_sentences.py")
    assert audit.FILES == BOOK
    book = {(name, s) for name in BOOK for _, text in audit.blocks(paths.ROOT / name)
            for s in audit.sentences(audit.clean(text))}
    reviewed = {(r["file"], r["sentence"]) for r in rows}
    missing = sorted(book - reviewed)
    stale = sorted(reviewed - book)
    assert not missing, f"{len(missing)} sentences without an audit row, e.g. {missing[:3]}"
    assert not stale, f"{len(stale)} audit rows for sentences no longer in the book: {stale[:3]}"
