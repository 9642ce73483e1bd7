"""List the sentences of the book's prose for the editorial audit (docs/audit.csv).

Usage: python scripts/audit_sentences.py > /tmp/sentences.csv
       python scripts/audit_sentences.py --merge docs/audit.csv > /tmp/sentences.csv
         (keeps the reviewed class and evidence of every sentence whose text is unchanged)

Splits the Markdown of every chapter (intro, chapters/*.ipynb Markdown cells, glossary, instructor
guide; captions and alt text included, code excluded) into sentences and proposes a class from
what each sentence cites: ``source`` (a claim, event, link or source id, or the claim role),
``background`` (a citation of references.bib), ``computed`` (a glued result: the book's own
analysis), else ``unclassified``. The proposal is a starting point: docs/audit.csv holds the
reviewed classification, and tests/test_audit.py checks that it covers every file.
"""
from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ["intro.md", "chapters/study_area.ipynb", "chapters/sources_and_data.ipynb",
         "chapters/haidian_buildings.ipynb", "chapters/point_patterns.ipynb",
         "chapters/mentougou.ipynb", "chapters/jingxi.ipynb", "chapters/discussion.ipynb",
         "chapters/glossary.md", "chapters/instructor_guide.md"]
_IDS = re.compile(r"\b[CESLI]\d{3}\b")
_CLAIM = re.compile(r"\{claim\}`([^`:]+)")
_CITE = re.compile(r"\{cite:[pt]\}`([^`]+)`")
_GLUE = re.compile(r"\{glue:[a-z]+\}`([^`:]+)")


def blocks(path: Path):
    """(location, text) of each Markdown block: a cell (notebooks) or the whole file."""
    if path.suffix == ".md":
        yield "file", path.read_text(encoding="utf-8")
        return
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            yield f"cell {i}", "".join(cell["source"])


def clean(text: str) -> str:
    text = re.sub(r"```(?:python|bash)\n.*?```", " ", text, flags=re.S)
    text = re.sub(r"^\([\w-]+\)=\s*$", " ", text, flags=re.M)
    text = re.sub(r"^:(name|label|class|header-rows|widths):.*$", " ", text, flags=re.M)
    text = re.sub(r"^:alt:", "ALT:", text, flags=re.M)
    text = re.sub(r"^[`:]{3,}.*$", " ", text, flags=re.M)
    return re.sub(r"\s+", " ", text).strip()


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z*“(‘{])|(?<=。)", text)
    return [p.strip() for p in parts if len(p.strip()) > 3]


_NONFACTUAL = re.compile(
    r"^(#|\*\*(Learning objectives|Prerequisites|Estimated time)|ALT: )|\?$|^\s*(\d\. )?"
    r"(Compute|Take|Draw|Load|Copy|Pick|Choose|Add|Redraw|Suppose|Move|Repeat|Select|Using|"
    r"Convert|Read|Run|Clone|Ask|Install|Measure|Expect|Then|Use|Describe|See|Rebuild|Plan|"
    r"Publish|Try|Open|Start|Compare|Look|Check)\b")
_METHOD = re.compile(r"Made by `|In the HTML book|[Tt]he (table|map|chart|figure|close-up|PDF)s? "
                     r"(below |above )?(lists|maps|shows|gives|compares|counts|prints)|`[^`]+`|"
                     r"\{numref\}|\{ref\}|\{doc\}|this chapter|This chapter|this book|This book|"
                     r"the book's|The book's")
_INFERENCE = re.compile(r"inference|assum|in the book's reading|the book's reading|we read|"
                        r"cannot (say|show|establish|be)|does not (say|show|establish)|"
                        r"do not (say|show|establish)|not a (census|measurement|forecast|test)")


def propose(sentence: str) -> tuple[str, str]:
    ids = sorted(set(_IDS.findall(sentence)) | set(_CLAIM.findall(sentence)))
    cites = sorted({k.strip() for m in _CITE.findall(sentence) for k in m.split(",")})
    src_cites = [c for c in cites if c.startswith("src")]
    if ids or src_cites:
        return "source", " ".join(ids + src_cites)
    if cites:
        return "background", " ".join(cites)
    glued = sorted(set(_GLUE.findall(sentence)))
    if glued:
        return "computed", " ".join(glued)
    if _INFERENCE.search(sentence):
        return "inference", "worded as the book's inference or limit"
    if sentence.startswith("ALT: "):
        return "method", "alt text: describes the figure (its plotted values carry claim ids)"
    if _NONFACTUAL.search(sentence):
        return "non-factual", "heading, question, objective or instruction"
    if _METHOD.search(sentence):
        return "method", "describes the book, its code, data or figures (checked in the repository)"
    return "unclassified", ""


def main(argv: list[str]) -> None:
    reviewed = {}
    if argv[:1] == ["--merge"]:
        with open(argv[1], encoding="utf-8", newline="") as fh:
            reviewed = {(r["file"], r["sentence"]): (r["class"], r["evidence"])
                        for r in csv.DictReader(fh)}
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["file", "location", "sentence", "class", "evidence"])
    for name in FILES:
        for location, text in blocks(ROOT / name):
            for s in sentences(clean(text)):
                out.writerow([name, location, s, *reviewed.get((name, s), propose(s))])


if __name__ == "__main__":
    main(sys.argv[1:])
