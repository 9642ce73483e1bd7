"""The PDF book as a reader navigates it: table of contents, numbered figures, resolved
cross-references, the back matter and the bibliography."""
import re
import subprocess


def _text(pdf_path):
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(pdf_path), "-"],
                          check=True, capture_output=True, text=True).stdout


def test_pdf_has_a_table_of_contents_with_the_back_matter(pdf_path):
    pages = _text(pdf_path).split("\f")
    start = next((i for i, p in enumerate(pages[:6]) if "CONTENTS" in p.upper()), None)
    assert start is not None, "no table of contents in the first pages"
    # The contents run over several pages: up to the first page without a dotted leader.
    end = next((i for i in range(start + 1, len(pages)) if ". . ." not in pages[i]), len(pages))
    toc = "\n".join(pages[start:end])
    for title in ("Instructor guide", "Reproduce this book", "Glossary of Chinese terms", "References"):
        assert title in toc, f"{title!r} missing from the table of contents"


def test_pdf_figures_are_numbered_and_references_resolved(pdf_path):
    text = _text(pdf_path)
    assert re.search(r"Fig\. \d+\.\d+: ", text), "no numbered figure caption"
    assert "??" not in text, "an unresolved cross-reference (??) in the PDF"


def test_pdf_has_the_bibliography_and_glossary(pdf_path):
    text = _text(pdf_path)
    # The bibliography is titled References (the HTML page of that name has no PDF twin).
    assert "REFERENCES" in text.upper()
    assert "[Clark and Evans 1954]" in text
    assert "Jīngxī Zhìgǔ" in text and "京西智谷" in text
