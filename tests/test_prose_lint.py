"""Prose lint: no number is typed by hand in the book's prose.

A digit in the Markdown prose of a chapter must come from

- myst-nb glue (``{glue:text}`key```) or the claim role (``{claim}`C031```), or any other role
  (``{cite:p}``, ``{numref}``, ``{ref}``: their targets are names, not numbers);
- maths (``$...$``, ``$$...$$``) or code (inline ```...``` and fenced code);
- an id of the evidence tables (S003, C031, E022, L069, I001), which points at its row;
- a verbatim Chinese quotation (“…” or 「…」 containing Chinese characters): the words of a source,
  which tests/test_sources_quotes.py and the ledger check, not the book's own numbers;
- a year in a paragraph that cites the events, claims or sources it comes from (an id or a
  role);
- the short allowlist below, each entry with the reason it may stand.

Directive options (``:name:``, ``:label:``, ``:alt:``) are not linted: alt text cannot hold roles,
and the audit (docs/audit.csv) covers it. The test names each offender with its file and line.
Chapters in NOT_YET are skipped until their prose is reconciled (see the report of issue 12);
remove a file from NOT_YET to switch the lint on for it.

Run ``python tests/test_prose_lint.py [files]`` to list offenders.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK = ["intro.md", "chapters/study_area.ipynb", "chapters/sources_and_data.ipynb",
        "chapters/haidian_buildings.ipynb", "chapters/point_patterns.ipynb",
        "chapters/mentougou.ipynb", "chapters/jingxi.ipynb", "chapters/discussion.ipynb",
        "chapters/glossary.md", "chapters/instructor_guide.md", "chapters/reproduce.md"]
# Chapters not yet reconciled (none now). Add a file here only with a reason, and remove it to
# switch the lint on for it.
NOT_YET: set[str] = set()

# Allowed digits that are not the book's numbers, each with its reason.
ALLOWLIST = [
    (r"WGS-84|GCJ-02|BD-09|CGCS2000", "names of coordinate datums"),
    (r"EPSG:\d+|UTM zone 50N|UTM 50N|3-degree", "names of projections"),
    (r"CC BY 4\.0", "the name of a licence"),
    (r"WCAG 2\.1|SHA-256", "names of standards (accessibility guidelines, a hash function)"),
    (r"\bLine \d+\b|\bS1 (?:line|stations?)\b", "names of Beijing's metro and suburban rail lines"),
    (r"Debian 12|Python 3\.11|Jupyter Book 1|JupyterHub|ES2015|NetCDF-4|HDF5|repo2docker",
     "software and file-format names and versions"),
    (r"\b\d+ minutes (to read|with the exercises)", "reading-time estimates (the book's guidance)"),
    (r"^\s*\d+\. |\(\d\)", "list and enumeration markers"),
    (r"亿元? = 100 million|万元? = 10,000", "definitions of Chinese number words"),
    (r"\bA4\b|\b[1-9]\d{2,3} px\b", "paper size; screen widths in the accessibility notes"),
    (r"P\d{3}|Wudaokou 5|Kimi K2\.5|GLM-5|Vidu Q3|AI 3\.0|Seedance ?2\.0|3\.0|5G\+8K|4πRT",
     "product, network and policy names as the sources write them"),
    (r"\b[1-9]\d?(st|nd|rd|th) (century|edition)", "centuries, editions of cited works"),
    (r"\bex-[\w-]+|\bfig-[\w-]+|\btab-[\w-]+", "labels"),
    (r"\b(?:E|S|C|L|I)\d{3}\b", "ids of rows in the evidence tables"),
]
_ALLOWED = re.compile("|".join(f"(?:{p})" for p, _ in ALLOWLIST))
_ROLE = re.compile(r"\{[\w:.-]+\}`[^`]*`")
_CODE = re.compile(r"``[^`]+``|`[^`]+`")
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)
_LINK = re.compile(r"\]\([^)]*\)|<https?://[^>]*>|https?://\S+")
_LABEL = re.compile(r"^\([\w-]+\)=\s*$")
_CJK_QUOTE = re.compile(r"[“「『][^”」』]*[\u4e00-\u9fff][^”」』]*[”」』]")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_YEAR = re.compile(r"(?<!\d)(?<!\d\.)(1[0-9]{3}|20[0-9]{2})(?!\d|\.\d)")
_CITES = re.compile(r"\b[ESCL]\d{3}\b|\{claim\}|\{cite:[pt]\}|\{glue:text\}")
_DIGIT = re.compile(r"\d")


def markdown_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of the Markdown in a .md file or a notebook's Markdown cells; a
    notebook's line numbers are 'cell index * 1000 + line' so that offenders can be found."""
    if path.suffix == ".md":
        return list(enumerate(path.read_text(encoding="utf-8").split("\n"), start=1))
    nb = json.loads(path.read_text(encoding="utf-8"))
    lines = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            lines += [(i * 1000 + j, line) for j, line in enumerate(text.split("\n"), start=1)]
    return lines


def prose(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Drop fenced code (but not directive bodies, which may nest code), labels and directive
    options."""
    out, fences = [], []  # a stack of (marks, is_code)
    previous, indented = "", False
    for n, line in lines:
        stripped = line.strip()
        # An indented code block: four spaces after a blank line (or after its own lines).
        indented = line.startswith("    ") and bool(stripped) and (indented or not previous.strip())
        previous = line
        if indented:
            continue
        if fences and stripped == fences[-1][0]:
            fences.pop()
            continue
        opener = re.match(r"^(`{3,}|~{3,}|:{3,})\s*(\{[^}]*\})?\s*(.*)$", stripped)
        in_code = bool(fences) and fences[-1][1]
        if not in_code and opener and (stripped.startswith(("```", "~~~")) or opener.group(2)):
            directive = opener.group(2)
            is_code = directive is None or directive in ("{code-cell}", "{code-block}", "{code}",
                                                         "{literalinclude}", "{list-table}",
                                                         "{math}")
            fences.append((opener.group(1), is_code))
            continue
        if in_code:
            continue
        if re.match(r"^:[\w-]+:", stripped) or _LABEL.match(stripped):
            continue
        out.append((n, line))
    return out


def sentence_offenders(text: str, cites: bool | None = None) -> list[str]:
    """The hand-typed numbers left in one line of prose; `cites` says whether its paragraph cites
    an id or a role (default: whether the line itself does)."""
    text = _COMMENT.sub(" ", text)
    text = _MATH.sub(" ", text)
    for pattern in (_LINK, _CJK_QUOTE):
        text = pattern.sub(" ", text)
    if cites is None:
        cites = bool(_CITES.search(text))
    text = _ROLE.sub(" ", text)
    text = _CODE.sub(" ", text)
    text = _ALLOWED.sub(" ", text)
    if cites:
        text = _YEAR.sub(" ", text)
    return re.findall(r"\S*\d\S*", text)


def paragraphs_cite(lines: list[tuple[int, str]]) -> dict[int, bool]:
    """For each line, whether its paragraph (lines between blank lines) cites an id or a role."""
    out, block = {}, []
    for n, line in [*lines, (-1, "")]:
        if line.strip():
            block.append((n, line))
            continue
        cites = any(_CITES.search(text) for _, text in block)
        out.update({m: cites for m, _ in block})
        block = []
    return out


def offenders(path: Path) -> list[str]:
    found = []
    lines = prose(markdown_lines(path))
    cites = paragraphs_cite(lines)
    for n, line in lines:
        for word in sentence_offenders(line, cites.get(n, False)):
            where = f"cell {n // 1000}, line {n % 1000}" if path.suffix == ".ipynb" else f"line {n}"
            found.append(f"{path.relative_to(ROOT)}, {where}: {word!r} in: {line.strip()}")
    return found


@pytest.mark.parametrize("name", BOOK)
def test_no_number_is_typed_by_hand(name):
    if name in NOT_YET:
        pytest.skip(f"{name} not yet reconciled (NOT_YET in this file)")
    found = offenders(ROOT / name)
    assert not found, "hand-typed numbers:\n" + "\n".join(found)


@pytest.mark.parametrize("line, bad", [
    ("It had 100P in June.", ["100P"]),
    ("It had {claim}`C031` by then.", []),
    ("It had {glue:text}`n:.0f` firms.", []),
    ("Before 2008, it supplied coal.", ["2008,"]),
    ("Before 2007 (E019), it supplied coal.", []),
    ("S003 says “2007年之前”.", []),
    ("In `EPSG:4548` and $10^{15}$ operations.", []),
    ("See {numref}`fig-x` and C104.", []),
    ("Line 1, Line 11 and the S1 line.", []),
    ("Line 1 has 23 stations.", ["23"]),
])
def test_the_lint_itself(line, bad):
    assert sentence_offenders(line) == bad


def test_fenced_code_is_skipped_but_directive_text_is_linted():
    lines = list(enumerate(["```python", "x = 42", "```", "```{figure} a.png", ":name: f1",
                            "Caption with 7 items.", "```", "````{solution} ex-a", "Text 3.",
                            "```python", "y = 99", "```", "````", "", "    z = 12",
                            "    w = 3", "Prose 4."], start=1))
    kept = [text for _, text in prose(lines) if text]
    assert kept == ["Caption with 7 items.", "Text 3.", "Prose 4."]


if __name__ == "__main__":
    for name in sys.argv[1:] or BOOK:
        for line in offenders(ROOT / name):
            print(line)
