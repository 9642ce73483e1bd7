"""Every quotation in the evidence tables is verbatim in its source, and the numbers and dates
read from the quotations agree with the tables.

The article texts are not in the repository (copyright). Point AICLUSTER_SEEDS at the directory
holding them (default: ../shared/seeds next to the repository); without it these tests skip.
Quotes are matched after removing the line breaks of the captured text, since a capture may
break a sentence across lines.
"""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from aicluster import evidence, paths

# Where page clutter (editor credits, disclaimers, other articles on the page) begins in each
# captured text; None: the whole file is the article. Only the first article of S003's page is used.
CLUTTER_START = {"S000": None, "S001": "【责任编辑", "S002": "免责声明", "S003": "中国科学院院士杨学明",
                 "S004": "参考文献"}
QUOTED = {"claims": ("claim_id", "value_in_quote"), "events": ("event_id", "date_in_quote"),
          "organisations": ("link_id", None)}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@pytest.fixture(scope="module")
def ev():
    return evidence.load_all()


@pytest.fixture(scope="module")
def texts(seeds_dir, ev):
    """{source_id: (raw text, text without line breaks, where the clutter begins)}."""
    if not seeds_dir.is_dir():
        pytest.skip(f"article texts not found in {seeds_dir}: set AICLUSTER_SEEDS to the directory "
                    "holding 000_….txt … 004_….txt, e.g. AICLUSTER_SEEDS=/path/to/seeds "
                    ".venv/bin/python -m pytest tests/test_sources_quotes.py")
    out = {}
    for row in ev.sources.itertuples():
        path = seeds_dir / row.file
        assert path.is_file(), f"{row.source_id}: {path} is missing"
        raw = path.read_text(encoding="utf-8")
        joined = raw.replace("\n", "")
        marker = CLUTTER_START[row.source_id]
        out[row.source_id] = (raw, joined, joined.find(marker) if marker else len(joined))
    return out


def test_every_source_has_its_text_and_clutter_marker(texts):
    assert set(texts) == set(CLUTTER_START)
    for sid, (_, _joined, cut) in texts.items():
        assert cut > 0, f"{sid}: clutter marker {CLUTTER_START[sid]!r} not found"


def test_titles_and_urls_are_in_the_texts(ev, texts):
    for row in ev.sources.itertuples():
        raw, joined, _ = texts[row.source_id]
        assert row.title_zh in raw or row.title_zh in joined, row.source_id
        if isinstance(row.url, str):
            assert row.url in raw, row.source_id


@pytest.mark.parametrize("table", QUOTED)
def test_quotes_are_verbatim_in_the_article(table, ev, texts):
    id_col, part_col = QUOTED[table]
    failures = []
    for _, row in getattr(ev, table).iterrows():
        raw, joined, cut = texts[row["source_id"]]
        quote = row["quote_zh"]
        pos = joined.find(quote)
        if quote not in raw and pos < 0:
            failures.append(f"{row[id_col]}: not verbatim in {row['source_id']}: {quote}")
        elif pos > cut:
            failures.append(f"{row[id_col]}: in the page clutter of {row['source_id']}: {quote}")
        if part_col and row[part_col] not in quote:
            failures.append(f"{row[id_col]}: {part_col} {row[part_col]!r} not in its quote")
    assert not failures, "\n".join(failures)


def test_claims_follow_source_order(ev, texts):
    last: dict[str, int] = {}
    for row in ev.claims.itertuples():
        pos = texts[row.source_id][1].find(row.quote_zh)
        assert pos >= last.get(row.source_id, -1), f"{row.claim_id} is out of source order"
        last[row.source_id] = pos


def parse_numbers(text: str) -> list[float]:
    """Arabic-digit numbers in `text`: '12000多家' -> [12000.0], '500P到1000P' -> [500.0, 1000.0]."""
    return [float(m) for m in _NUMBER.findall(text)]


@pytest.mark.parametrize("text, numbers", [
    ("12000多家", [12000.0]), ("10.1亿元", [10.1]), ("500P到1000P", [500.0, 1000.0]),
    ("0.2mm", [0.2]), ("两家", []), ("93.18%", [93.18])])
def test_parse_numbers(text, numbers):
    assert parse_numbers(text) == numbers


def test_digits_in_value_in_quote_parse_to_the_value(ev):
    failures, checked = [], 0
    for row in ev.claims.itertuples():
        numbers = parse_numbers(row.value_in_quote)
        if not numbers:
            continue  # Chinese numerals (两家, 千年, 三成) are glossed by hand
        checked += 1
        allowed = {row.value} | ({row.value_high} if pd.notna(row.value_high) else set())
        if not set(numbers) <= allowed or row.value not in set(numbers) | {row.value_high}:
            failures.append(f"{row.claim_id}: {row.value_in_quote!r} gives {numbers}, "
                            f"table has value={row.value:g}, value_high={row.value_high}")
    assert checked >= 50  # most claims state Arabic digits
    assert not failures, "\n".join(failures)


def test_years_in_date_in_quote_match_the_event_date(ev):
    for row in ev.events.itertuples():
        years = re.findall(r"(?<!\d)(\d{3,4})(?:年|中国)", row.date_in_quote)
        for year in years:
            assert int(year) == row.date_start.year, (row.event_id, row.date_in_quote, row.date)


def test_chinese_quotations_in_the_chapter_are_verbatim(texts):
    """Chinese text quoted in the prose of the sources chapter is in one of the articles."""
    nb = json.loads((paths.ROOT / "chapters" / "sources_and_data.ipynb").read_text(encoding="utf-8"))
    prose = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    quotes = re.findall(r"“([^”]*[\u4e00-\u9fff][^”]*)”", prose)
    corpus = [t for raw, joined, _ in texts.values() for t in (raw, joined)]
    missing = [q for q in quotes if len(q) >= 4 and not any(q in t for t in corpus)]
    assert len(quotes) >= 5
    assert not missing, missing
