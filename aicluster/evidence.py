"""The evidence base: the five sources, the claims, events and organisation links taken from
them, and the places they refer to -- loaded, typed and checked.

Tables (UTF-8 CSV in ``data/``; documented in ``data/README.md``; ``data/datapackage.json`` is
generated from :data:`SCHEMAS` by ``scripts/make_datapackage.py``):

- ``sources.csv``: one row per primary source (the five articles);
- ``claims.csv``: one number per row, with the verbatim sentence (``quote_zh``) it comes from;
- ``events.csv``: dated events, each with its sentence;
- ``organisations.csv``: organisation links (an organisation, optionally a place), each with its
  sentence;
- ``places.csv``: places as WGS-84 points with a precision radius in metres;
- ``claim_sums.csv``: part-whole sums that the sources state (a total claim and its parts).

Public API: :func:`load_sources`, :func:`load_claims`, :func:`load_events`,
:func:`load_organisations`, :func:`load_places` (a GeoDataFrame in EPSG:4326),
:func:`load_claim_sums`, :func:`load_table` (any table of :data:`SCHEMAS`, e.g.
``district_areas_official``) and :func:`load_all`, which loads every table, checks the references
between them and the declared sums, and returns an :class:`Evidence`. Every loader takes an
optional data directory (default: the repository's ``data/``).

Each loader reads raw text (the csv module, no type guessing), checks everything the schema
declares, and only then converts: a loader returns a fully checked table or raises
:class:`EvidenceError`; it never returns a half-loaded result. A single table loader checks its
own table (types, allowed values, ids, quotes, coordinates); references to other tables and the
declared sums are checked by :func:`load_all`.

Row numbers in error messages follow the spreadsheet convention: the header is row 1 and the
first data row is row 2, as LibreOffice or Excel shows them when the CSV is opened. A quoted cell
containing a line break is still one row. Messages read like
``data/claims.csv, row 17, column 'source_id': 'S009' is not a known source id``.
"""
from __future__ import annotations

import csv
import io
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import paths
from .datum import DATUMS

if TYPE_CHECKING:
    import geopandas as gpd

# -- vocabularies ------------------------------------------------------------------------------
AREA_IDS = ("haidian", "mentougou", "shijingshan", "jingxi", "beijing")
DISTRICT_IDS = ("dongcheng", "xicheng", "chaoyang", "fengtai", "shijingshan", "haidian",
                "mentougou", "fangshan", "tongzhou", "shunyi", "changping", "daxing", "huairou",
                "pinggu", "miyun", "yanqing")
PRECISIONS = ("day", "month", "year")
# policy_term: what a policy offers (a subsidy rate, a fund size), neither achieved nor planned;
# definition: a definition the source gives in passing (e.g. of the unit P).
CLAIM_STATUS = ("achieved", "cumulative", "plan", "policy_term", "definition")
QUALIFIERS = ("exact", "more_than", "nearly", "about", "range", "at_least", "up_to")
EVENT_CATEGORIES = ("coal_steel", "park_land", "policy", "compute", "firms_models", "environment",
                    "talent", "heritage_culture", "infrastructure")
EVENT_STATUS = ("happened", "planned")
ORG_KINDS = ("firm", "lab", "research_institute", "university", "hospital", "fund", "government",
             "platform", "association")
ORG_SECTORS = ("ai", "medical_devices", "digital_av", "biomedicine", "finance", "manufacturing",
               "steel", "government", "other")
PLACE_KINDS = ("ai_building", "ai_hub", "ai_district", "historic_hub", "park", "university",
               "institute", "compute_centre", "biomedical_base", "hospital", "heritage_park",
               "landmark", "mine", "village")
GENRES = ("news_report", "commentary", "compiled_report")
SUM_RELATIONS = ("equals",)
BOUNDARIES_FILE = "beijing_districts.geojson"
_PARTIAL_DATE = r"\d{4}(-\d{2}(-\d{2})?)?"  # matched with re.ASCII: 0-9 only
# The largest precision radius a place may have. A point known only to within 10 km is not a
# location at the scale of this book: 10 km is about the radius of Haidian itself (431 km², a
# circle of radius 11.7 km), and far more than the distances the chapters measure (AI buildings to
# universities: hundreds of metres to a few km). The data's largest radius is 5 km (an estimate).
MAX_PRECISION_M = 10_000
# The shortest quote_zh: fewer characters than this cannot identify one sentence of a source
# (the shortest in the data has 6; a one-character "quote" would pass the verbatim check
# anywhere).
MIN_QUOTE_CHARS = 6
# The most places the book is sized for: ten times today's 50, the most that was timed building
# (benchmarks/bench_scale.py; the strict HTML build with 500 places took 8 min on a shared
# two-core machine, the largest process 0.7 GB; the point-pattern chapter grows fastest). Beyond
# this, untimed, the Monte Carlo chapters could run for hours, so the data check stops the build
# before any chapter.
MAX_PLACES = 500
# Integers are stored as int64; a value outside it would overflow when converted.
_INT64 = (-(2 ** 63), 2 ** 63 - 1)
_DATE_FORMS = {"year": "YYYY", "month": "YYYY-MM", "day": "YYYY-MM-DD"}


# -- schema ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    """One column: type ('string', 'integer', 'number', 'boolean', 'partial_date'), whether a
    value is required, allowed values, a regular expression the whole value must match, bounds."""

    description: str
    type: str = "string"
    required: bool = True
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None


def req(description, type="string", **kw) -> Field:
    return Field(description, type, True, **kw)


def opt(description, type="string", **kw) -> Field:
    return Field(description, type, False, **kw)


@dataclass(frozen=True)
class Ref:
    """Values of `column` must occur in one of `targets` ('table.column' or 'areas')."""

    column: str
    targets: tuple[str, ...]
    what: str


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    fields: dict[str, Field]
    key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    refs: tuple[Ref, ...] = ()
    contains: tuple[tuple[str, str], ...] = ()  # (column, column whose text must contain it)
    dated: tuple[tuple[str, str], ...] = ()  # (partial-date column, its precision column)
    max_rows: int | None = None  # more rows than the book's computations are sized for

    @property
    def file(self) -> str:
        return f"{self.name}.csv"


_QUOTE = dict(pattern=r"[^\r\n]+")
_SENTENCE = dict(_QUOTE, min_length=MIN_QUOTE_CHARS)
# Names are drawn as labels on figures and maps: at most this many characters (the data's
# longest is 86; a 600-character name made matplotlib's layout warn, failing the build far
# from the data row).
MAX_NAME_CHARS = 200
_NAME = dict(max_length=MAX_NAME_CHARS)
# An event's label on the timelines (title_short_en): one line beside its mark at 8 pt.
MAX_EVENT_LABEL_CHARS = 40
SCHEMAS: dict[str, Table] = {t.name: t for t in [
    Table("sources", "Primary sources",
          "The five Chinese articles the evidence comes from (texts not redistributed).", {
              "source_id": req("Source id: S + the three-digit prefix of the text file.",
                               pattern=r"S\d{3}"),
              "file": req("File name of the captured article text (kept outside the repository).",
                          pattern=r"\d{3}_[0-9a-f]{16}\.txt"),
              "outlet_zh": req("Outlet as printed (Chinese)."),
              "outlet_en": req("Outlet in English."),
              "title_zh": req("Title, verbatim."),
              "title_en": req("Title, translated."),
              "date": req("Publication date, as precise as established "
                          "(YYYY, YYYY-MM or YYYY-MM-DD).", "partial_date"),
              "date_precision": req("Precision of `date`.", enum=PRECISIONS),
              "date_note": opt("How the date was established."),
              "author": opt("Byline, verbatim."),
              "url": opt("Original URL where the capture shows one.", pattern=r"https?://\S+"),
              "language": req("Language of the text (ISO 639-1).", enum=("zh",)),
              "genre": req("news_report, commentary or compiled_report.", enum=GENRES),
              "covers": req("What the article covers (English summary)."),
          }, key=("source_id",), dated=(("date", "date_precision"),)),
    Table("claims", "Claims ledger",
          "One number per row, with the verbatim sentence it is taken from.", {
              "claim_id": req("Claim id, in source order.", pattern=r"C\d{3}"),
              "source_id": req("Source of the sentence (sources.source_id).", pattern=r"S\d{3}"),
              "entity_id": req("What the number is about: a place_id, an org_id or an area id "
                               "(haidian, mentougou, shijingshan, jingxi, beijing).",
                               pattern=r"[a-z][a-z0-9_]*"),
              "indicator": req("What is measured (snake_case).", pattern=r"[a-z][a-z0-9_]*"),
              "value": req("The number, in `unit` (lower bound for ranges).", "number"),
              "value_high": opt("Upper bound when the source gives a range.", "number"),
              "unit": req("Unit as written in Chinese (e.g. 家, 亿元, P)."),
              "unit_en": req("Unit in English."),
              "ref_period": req("Period the number refers to: a partial date, an interval "
                                "START..END (either end may be open), or 'future (unspecified)'.",
                                pattern=rf"({_PARTIAL_DATE})?(\.\.({_PARTIAL_DATE})?)?"
                                        r"|future \(unspecified\)"),
              "status": req("achieved (a level reached), cumulative (a running total), plan, "
                            "policy_term (what a policy offers) or definition (e.g. of a unit).",
                            enum=CLAIM_STATUS),
              "qualifier": req("How exact the number is.", enum=QUALIFIERS),
              "qualifier_zh": opt("The Chinese word that qualifies the number (余, 近, 多 ...); "
                                  "empty when exact."),
              "quote_zh": req("The sentence (or clause), verbatim from the source.", **_SENTENCE),
              "value_in_quote": req("The words in `quote_zh` that state the number.", **_QUOTE),
              "gloss_en": req("English gloss of the claim."),
          }, key=("claim_id",),
          refs=(Ref("source_id", ("sources.source_id",), "source id"),
                Ref("entity_id", ("places.place_id", "organisations.org_id", "areas"),
                    "place id, organisation id or area id")),
          contains=(("value_in_quote", "quote_zh"),)),
    Table("events", "Events",
          "Dated events, each with the verbatim sentence it is taken from.", {
              "event_id": req("Event id, in date order.", pattern=r"E\d{3}"),
              "date": req("Date (YYYY, YYYY-MM or YYYY-MM-DD; years zero-padded).", "partial_date"),
              "date_precision": req("Precision of `date`.", enum=PRECISIONS),
              "area_id": req("District or area of the event.", enum=AREA_IDS),
              "place_id": opt("Place of the event (places.place_id), when the text gives one.",
                              pattern=r"[a-z][a-z0-9_]*"),
              "category": req("Kind of event.", enum=EVENT_CATEGORIES),
              "status": req("happened or planned.", enum=EVENT_STATUS),
              "title_zh": req("Short title (Chinese)."),
              "title_en": req("Short title (English)."),
              "title_short_en": req(
                  "The label of the event on the timelines: `title_en` shortened by hand, "
                  f"at most {MAX_EVENT_LABEL_CHARS} characters, with no fact it does not state.",
                  max_length=MAX_EVENT_LABEL_CHARS, **_QUOTE),
              "source_id": req("Source of the sentence (sources.source_id).", pattern=r"S\d{3}"),
              "quote_zh": req("The sentence, verbatim from the source.", **_SENTENCE),
              "date_in_quote": req("The words in `quote_zh` that give the date.", **_QUOTE),
              "date_note": opt("How the date was read (relative dates, precision)."),
          }, key=("event_id",),
          refs=(Ref("source_id", ("sources.source_id",), "source id"),
                Ref("place_id", ("places.place_id",), "place id")),
          contains=(("date_in_quote", "quote_zh"),), dated=(("date", "date_precision"),)),
    Table("organisations", "Organisation links",
          "One row per organisation and place (or none) named together in a source sentence.", {
              "link_id": req("Link id.", pattern=r"L\d{3}"),
              "org_id": req("Organisation id (repeats when one organisation has several links).",
                            pattern=r"org_[a-z0-9_]+"),
              "name_zh": req("Name as written in the source.", **_NAME),
              "name_en": req("Name in English.", **_NAME),
              "kind": req("Kind of organisation.", enum=ORG_KINDS),
              "sector": req("Sector.", enum=ORG_SECTORS),
              "place_id": opt("Place named with it (places.place_id); empty when the text "
                              "gives none.", pattern=r"[a-z][a-z0-9_]*"),
              "district": opt("District, when the text establishes it.", enum=DISTRICT_IDS),
              "source_id": req("Source of the sentence (sources.source_id).", pattern=r"S\d{3}"),
              "quote_zh": req("The sentence, verbatim from the source.", **_SENTENCE),
              "note": opt("Notes (what the link means, doubts)."),
          }, key=("link_id",), unique=(("org_id", "place_id"),),
          refs=(Ref("source_id", ("sources.source_id",), "source id"),
                Ref("place_id", ("places.place_id",), "place id"))),
    Table("places", "Places",
          "Places named in the sources: WGS-84 points with a precision radius.", {
              "place_id": req("Place id (contract: docs/place_ids.md).",
                              pattern=r"[a-z][a-z0-9_]*"),
              "name_zh": req("Name (Chinese).", **_NAME),
              "name_en": req("Name (English).", **_NAME),
              "kind": req("Kind of place.", enum=PLACE_KINDS),
              "district": req("District the place lies in.", enum=DISTRICT_IDS),
              "lon": req("Longitude, WGS-84, decimal degrees (inside Beijing).", "number"),
              "lat": req("Latitude, WGS-84, decimal degrees (inside Beijing).", "number"),
              "source_datum": req("Datum of the published coordinate.", enum=DATUMS),
              "converted": req("true when the published coordinate was converted to WGS-84 "
                               "(exactly when source_datum is not WGS-84).", "boolean"),
              "coord_source": req("Where the coordinate comes from; starts with 'ESTIMATE' when no "
                                  "published coordinate was found."),
              "precision_m": req("Radius (m) within which the place is believed to lie "
                                 f"(at most {MAX_PRECISION_M:,} m).", "integer",
                                 minimum=1, maximum=MAX_PRECISION_M),
              "address_zh": opt("Street address, where a source gives one."),
              "note": opt("Notes."),
          }, key=("place_id",), max_rows=MAX_PLACES),
    Table("claim_sums", "Part-whole sums",
          "Totals that the sources state as sums of other claims; load_all checks them.", {
              "total_claim_id": req("The claim holding the total (claims.claim_id).",
                                    pattern=r"C\d{3}"),
              "part_claim_ids": req("The claims holding the parts, separated by ';'.",
                                    pattern=r"C\d{3}(;C\d{3})+"),
              "relation": req("How the total relates to the parts.", enum=SUM_RELATIONS),
              "note": opt("Where the source states the sum."),
          }, key=("total_claim_id",),
          refs=(Ref("total_claim_id", ("claims.claim_id",), "claim id"),)),
    Table("district_areas_official", "Official district areas",
          "Area of each of Beijing's 16 districts as published by Beijing's authorities.", {
              "code": req("Administrative division code.", pattern=r"1101\d{2}"),
              "name_zh": req("District name (Chinese)."),
              "area_km2": req("Published area (km²).", "number", minimum=0),
              "publisher": req("Publisher of the figure."),
              "source_title": req("Title of the page."),
              "source_url": req("URL of the page (or where it was found)."),
              "year": req("Data vintage the page indicates.", "integer", minimum=1949),
              "quote": req("The sentence giving the area, verbatim."),
              "note": opt("Notes (other published figures, doubts)."),
          }, key=("code",)),
]}
EVIDENCE_TABLES = ("sources", "places", "organisations", "claims", "events", "claim_sums")


# -- errors ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    columns: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        where = [self.file] + ([f"row {self.row}"] if self.row else [])
        if self.columns:
            word = "column" if len(self.columns) == 1 else "columns"
            where.append(f"{word} " + ", ".join(repr(c) for c in self.columns))
        return ", ".join(where) + ": " + self.message


class EvidenceError(ValueError):
    """Bad evidence data. ``problems`` lists every problem found in the failing check; the message
    gives the first 20, each naming the file, the row (header = row 1) and the column."""

    MAX_SHOWN = 20

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = [str(p) for p in self.problems[: self.MAX_SHOWN]]
        if len(self.problems) > self.MAX_SHOWN:
            lines.append(f"... and {len(self.problems) - self.MAX_SHOWN} more problem(s)")
        super().__init__("\n".join(lines))


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise EvidenceError(problems)


# -- raw tables --------------------------------------------------------------------------------
@dataclass
class Raw:
    """A table as text: `rows[i]` is spreadsheet row i + 2."""

    table: Table
    file: str
    rows: list[dict[str, str]]
    values: list[dict] = field(default_factory=list)  # parsed values, filled by _check_cells

    def row_number(self, index: int) -> int:
        return index + 2


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(paths.ROOT).as_posix()
    except ValueError:
        return str(path)


def _data_dir(data_dir) -> Path:
    return paths.DATA if data_dir is None else Path(data_dir)


def _read_text(path: Path, name: str) -> str:
    if not path.is_file():
        raise EvidenceError([Problem(name, None, (), "file not found")])
    raw = path.read_bytes()
    if not raw.strip():
        raise EvidenceError([Problem(name, 1, (), "file is empty (expected a header row)")])
    if raw.startswith(b"\xef\xbb\xbf"):
        raise EvidenceError([Problem(name, 1, (), "file starts with a byte-order mark (BOM); "
                                                  "save it as UTF-8 without BOM")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        row, column = _locate(raw[: err.start].decode("utf-8"))
        raise EvidenceError([Problem(
            name, row, (column,) if column else (),
            f"byte 0x{raw[err.start]:02x} at byte offset {err.start} is not valid UTF-8; "
            "save the file as UTF-8")]) from None


def _locate(prefix: str) -> tuple[int, str | None]:
    """Spreadsheet row and column name where text that ends with `prefix` breaks off."""
    records = list(csv.reader(io.StringIO(prefix, newline="")))
    if not records:
        return 1, None
    header = records[0]
    at_new_row = prefix.endswith("\n") and prefix.count('"') % 2 == 0
    row = len(records) + 1 if at_new_row else len(records)
    index = 0 if at_new_row else len(records[-1]) - 1
    if row == 1:
        return 1, None
    return row, header[index] if index < len(header) else None


def _parse_csv(text: str, name: str, max_rows: int | None = None
               ) -> tuple[list[str], list[list[str]]]:
    """Header and records; stops reading after max_rows + 1 data rows (enough to refuse)."""
    records: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for record in reader:
            records.append(record)
            if max_rows is not None and len(records) > max_rows + 1:
                break
    except csv.Error as err:
        problem = Problem(name, len(records) + 1, (), f"malformed CSV ({err})")
        raise EvidenceError([problem]) from None
    return records[0], records[1:]


def _check_header(table: Table, header: list[str], name: str) -> list[Problem]:
    problems = [Problem(name, 1, (c,), "duplicate column name")
                for i, c in enumerate(header) if c in header[:i]]
    problems += [Problem(name, 1, (c,), "column missing from the header")
                 for c in table.fields if c not in header]
    problems += [Problem(name, 1, (c,), "unknown column (not in the schema of aicluster.evidence)")
                 for c in header if c not in table.fields]
    return problems


def _read_raw(table: Table, data_dir: Path) -> Raw:
    path = data_dir / table.file
    name = _display(path)
    header, records = _parse_csv(_read_text(path, name), name, table.max_rows)
    _raise_if(_check_header(table, header, name))
    rows, problems = [], []
    for i, record in enumerate(records):
        if len(record) != len(header):
            what = "is empty" if not record else (
                f"has {len(record)} fields but the header has {len(header)} "
                "(an unquoted comma or a missing quote?)")
            problems.append(Problem(name, i + 2, (), f"row {what}"))
        rows.append(dict(zip(header, record)))
    _raise_if(problems)
    if not rows:
        raise EvidenceError([Problem(name, 2, (), "no data rows")])
    if table.max_rows is not None and len(rows) > table.max_rows:
        raise EvidenceError([Problem(name, None, (), (
            f"more than {table.max_rows:,} data rows, the most the book's computations "
            "are sized for (Monte Carlo simulations over every pair of places): the build could "
            "take hours or run out of memory. Raise MAX_PLACES in aicluster.evidence only after "
            "timing a build with benchmarks/bench_scale.py"))])
    return Raw(table, name, rows)


# -- cells -------------------------------------------------------------------------------------
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", re.ASCII)
_INTEGER = re.compile(r"-?\d+", re.ASCII)
_TYPE_WORDS = {"number": "a number", "integer": "an integer", "boolean": "true or false",
               "partial_date": "a date (YYYY, YYYY-MM or YYYY-MM-DD)"}


def _parse(type_: str, text: str):
    """The value of `text` as `type_`; raises ValueError when it is not one."""
    if type_ == "string":
        return text
    if type_ == "number" and _NUMBER.fullmatch(text):
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(text)
        return value
    if type_ == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if type_ == "boolean" and text in ("true", "false"):
        return text == "true"
    if type_ == "partial_date" and re.fullmatch(_PARTIAL_DATE, text, re.ASCII):
        _date_bounds(text)  # raises ValueError for an impossible month or day
        return text
    raise ValueError(text)


def _why_not(text: str) -> str:
    """Why a cell that looks numeric was refused: other digits than 0-9, or no finite value."""
    if any(ch.isdigit() and not ("0" <= ch <= "9") for ch in text):
        return " (only the ASCII digits 0-9 are read as digits: full-width or other digits are not)"
    if _NUMBER.fullmatch(text):
        return " (it is not finite: too large for a 64-bit float)"
    return ""


def _check_value(f: Field, text: str):
    """Problems with one cell's text (a message) or None, and the parsed value."""
    if text == "":
        return ("is empty but a value is required" if f.required else None), None
    try:
        value = _parse(f.type, text)
    except ValueError:
        return f"{text!r} is not {_TYPE_WORDS[f.type]}{_why_not(text)}", None
    if f.enum is not None and text not in f.enum:
        return f"{text!r} is not an allowed value (allowed: {', '.join(f.enum)})", None
    if f.pattern is not None and not re.fullmatch(f.pattern, text, re.ASCII):
        return (f"{text!r} does not have the expected form (regular expression {f.pattern}"
                f"{', ASCII digits 0-9 only' if _why_not(text) else ''})"), None
    if f.minimum is not None and value < f.minimum:
        return f"{text} is below the minimum {f.minimum:g}", None
    if f.maximum is not None and value > f.maximum:
        return f"{text} is above the maximum {f.maximum:,g}", None
    if f.type == "integer" and not _INT64[0] <= value <= _INT64[1]:
        return f"{text} is out of range (integers must lie within ±9.2e18)", None
    if f.max_length is not None and len(text) > f.max_length:
        return (f"{len(text)} characters, more than the {f.max_length} a label may have (a "
                "longer one would not fit the figures and maps that show it)"), None
    if f.min_length is not None and len(text.strip()) < f.min_length:
        return (f"{text!r} is too short to identify a sentence of the source (at least "
                f"{f.min_length} characters)"), None
    return None, value


def _check_cells(raw: Raw) -> list[Problem]:
    problems = []
    for i, row in enumerate(raw.rows):
        parsed = {}
        for col, f in raw.table.fields.items():
            message, parsed[col] = _check_value(f, row[col])
            if message:
                problems.append(Problem(raw.file, raw.row_number(i), (col,), message))
        raw.values.append(parsed)
    return problems


def _check_contains(raw: Raw) -> list[Problem]:
    return [Problem(raw.file, raw.row_number(i), (part,),
                    f"{row[part]!r} does not occur in {whole} {row[whole]!r}")
            for part, whole in raw.table.contains
            for i, row in enumerate(raw.rows) if row[part] not in row[whole]]


def _check_dates(raw: Raw) -> list[Problem]:
    problems = []
    for col, precision_col in raw.table.dated:
        for i, row in enumerate(raw.rows):
            form = _DATE_FORMS[row[precision_col]]
            if len(row[col]) != len(form):
                problems.append(Problem(raw.file, raw.row_number(i), (col,),
                                        f"{row[col]!r} does not match {precision_col} "
                                        f"{row[precision_col]!r} (expected {form})"))
    return problems


def _check_unique(raw: Raw) -> list[Problem]:
    problems = []
    for cols in (raw.table.key, *raw.table.unique):
        seen: dict[tuple, int] = {}
        for i, row in enumerate(raw.rows):
            value = tuple(row[c] for c in cols)
            if value in seen:
                shown = value[0] if len(value) == 1 else value
                what = "id" if cols == raw.table.key else "combination"
                problems.append(Problem(raw.file, raw.row_number(i), cols,
                                        f"duplicate {what} {shown!r} (first in row {seen[value]})"))
            seen.setdefault(value, raw.row_number(i))
    return problems


# -- rules specific to one table ---------------------------------------------------------------
def _rule_claim_range(raw: Raw, i: int, row: dict, v: dict) -> list[Problem]:
    n, high, qualifier = raw.row_number(i), v["value_high"], row["qualifier"]
    if high is not None and high < v["value"]:
        return [Problem(raw.file, n, ("value_high",),
                        f"{row['value_high']} is less than value {row['value']}")]
    if (high is not None) != (qualifier == "range"):
        return [Problem(raw.file, n, ("value_high",),
                        "value_high must be given exactly when qualifier is 'range' "
                        f"(qualifier is {qualifier!r})")]
    return []


def _rule_claim_qualifier(raw: Raw, i: int, row: dict, v: dict) -> list[Problem]:
    if (row["qualifier"] == "exact") == (row["qualifier_zh"] == ""):
        return []
    return [Problem(raw.file, raw.row_number(i), ("qualifier_zh",),
                    "qualifier_zh must be empty exactly when qualifier is 'exact' "
                    f"(qualifier is {row['qualifier']!r}, qualifier_zh {row['qualifier_zh']!r})")]


def _rule_place_datum(raw: Raw, i: int, row: dict, v: dict) -> list[Problem]:
    if v["converted"] == (row["source_datum"] != "WGS-84"):
        return []
    return [Problem(raw.file, raw.row_number(i), ("converted",),
                    f"converted is {row['converted']} but source_datum is {row['source_datum']!r} "
                    "(converted must be true exactly when source_datum is not WGS-84)")]


def _rule_source_file(raw: Raw, i: int, row: dict, v: dict) -> list[Problem]:
    if row["file"].startswith(row["source_id"][1:] + "_"):
        return []
    return [Problem(raw.file, raw.row_number(i), ("file",),
                    f"{row['file']!r} does not start with the digits of {row['source_id']!r}")]


def _rule_org_consistent(raw: Raw) -> list[Problem]:
    """An organisation id has one kind and one sector in every row."""
    first: dict[str, tuple[int, dict]] = {}
    problems = []
    for i, row in enumerate(raw.rows):
        n0, row0 = first.setdefault(row["org_id"], (raw.row_number(i), row))
        problems += [Problem(raw.file, raw.row_number(i), (col,),
                             f"{row[col]!r} differs from {row0[col]!r} given for "
                             f"{row['org_id']!r} in row {n0}")
                     for col in ("kind", "sector") if row[col] != row0[col]]
    return problems


# -- numbers in Chinese text -------------------------------------------------------------------
_ZH_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_ZH_SMALL = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"万": 10 ** 4, "亿": 10 ** 8}
_ZH_RUN = re.compile("[" + "".join([*_ZH_DIGITS, *_ZH_SMALL, *_ZH_BIG]) + "]+")
_ARABIC = re.compile(r"([0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?)\s*([十百千万亿]*)")
_VAGUE = re.compile(r"[几数]([十百千万])")  # 几十, 数百: "some tens", from 10 to 99


def zh_number(run: str) -> float:
    """The value of a run of Chinese numerals: 三 3, 十五 15, 两千 2000, 三千万 3e7, 二〇二三 2023."""
    if all(ch in _ZH_DIGITS for ch in run):
        return float("".join(str(_ZH_DIGITS[ch]) for ch in run))
    total, section, number = 0, 0, 0
    for ch in run:
        if ch in _ZH_DIGITS:
            number = _ZH_DIGITS[ch]
        elif ch in _ZH_SMALL:
            section += (number or 1) * _ZH_SMALL[ch]
            number = 0
        else:
            total = (total + section + number or 1) * _ZH_BIG[ch]
            section = number = 0
    return float(total + section + number)


def _multiplier(units: str) -> float:
    factor = 1.0
    for ch in units:
        factor *= {**_ZH_SMALL, **_ZH_BIG}[ch]
    return factor


_MAJORITY_WORDS = ("大部分", "大多", "多数", "多是", "过半")


def numbers_in(text: str) -> tuple[set[float], set[float]]:
    """The numbers a phrase states (as candidates for a claim's value) and the upper ends of the
    vague ranges in it ("几十" gives 10 and 99). Each number counts with and without its trailing
    multipliers (万, 亿, 千 ...), since the claim's unit may hold the multiplier (亿元)."""
    text = unicodedata.normalize("NFKC", text)
    found: set[float] = set()
    for m in _ARABIC.finditer(text):
        n = float(m.group(1).replace(",", ""))
        found |= {n * _multiplier(m.group(2)[:k]) for k in range(len(m.group(2)) + 1)}
    rest = _ARABIC.sub(" ", text)
    for run in _ZH_RUN.findall(rest):
        for k in range(len(run), 0, -1):  # 三千万 -> 3e7 and 3000 (in 万)
            found.add(zh_number(run[:k]))
            if run[k - 1] not in _ZH_BIG:
                break
        if all(ch in _ZH_DIGITS for ch in run):  # 唯一一个: each digit is a number too
            found |= {float(_ZH_DIGITS[ch]) for ch in run}
    # 半 is a half; words for "most" (大部分, 多数, 多是 ...) state "more than half": the claim
    # stores 0.5 with qualifier more_than, so they read as 0.5 too.
    if "半" in rest or any(word in rest for word in _MAJORITY_WORDS):
        found.add(0.5)
    highs = {10 * _multiplier(u) - 1 for u in _VAGUE.findall(rest)}
    return found, highs


def _agrees(value: float, candidates) -> bool:
    return any(math.isclose(value, c, rel_tol=1e-9, abs_tol=1e-12) for c in candidates)


def _rule_claim_value_in_quote(raw: Raw, i: int, row: dict, v: dict) -> list[Problem]:
    """value (and value_high) are numbers that value_in_quote states; a phrase that states no
    number (最大, 首个, 每月) stands for one."""
    found, highs = numbers_in(row["value_in_quote"])
    shown = ", ".join(f"{n:g}" for n in sorted(found)) or "none"
    problems = []
    if not _agrees(v["value"], found or {1.0}):
        problems.append(Problem(raw.file, raw.row_number(i), ("value",),
                                f"{row['value']} is not a number that value_in_quote "
                                f"{row['value_in_quote']!r} states (numbers read there: {shown})"))
    high = v["value_high"]
    if high is not None and not _agrees(high, found | highs):
        problems.append(Problem(raw.file, raw.row_number(i), ("value_high",),
                                f"{row['value_high']} is not a number that value_in_quote "
                                f"{row['value_in_quote']!r} states (numbers read there: {shown})"))
    return problems


_FUTURE = "future (unspecified)"


def _rule_claim_period(raw: Raw, i: int, row: dict, v: dict) -> list[Problem]:
    """ref_period: real dates, and its start no later than its end."""
    period = row["ref_period"]
    if period == _FUTURE or period == "..":
        return [] if period == _FUTURE else [Problem(raw.file, raw.row_number(i),
                                                     ("ref_period",), "'..' gives no date")]
    ends = period.split("..")
    try:
        bounds = [_date_bounds(e) for e in ends if e]
    except ValueError:
        return [Problem(raw.file, raw.row_number(i), ("ref_period",),
                        f"{period!r} is not a real date or period (a month or day that does "
                        "not exist)")]
    if len(ends) == 2 and all(ends) and bounds[0][0] > bounds[1][1]:
        return [Problem(raw.file, raw.row_number(i), ("ref_period",),
                        f"{period!r} starts after it ends")]
    return []


_ROW_RULES = {"claims": (_rule_claim_range, _rule_claim_qualifier, _rule_claim_value_in_quote,
                        _rule_claim_period),
              "places": (_rule_place_datum,), "sources": (_rule_source_file,)}
_TABLE_RULES = {"organisations": (_rule_org_consistent,)}


def _check_rules(raw: Raw) -> list[Problem]:
    problems = []
    for rule in _ROW_RULES.get(raw.table.name, ()):
        for i, (row, values) in enumerate(zip(raw.rows, raw.values)):
            problems += rule(raw, i, row, values)
    for rule in _TABLE_RULES.get(raw.table.name, ()):
        problems += rule(raw)
    return problems


# -- coordinates -------------------------------------------------------------------------------
def _districts_metric(data_dir: Path):
    """District polygons in EPSG:4548 indexed by district_id, and Beijing's WGS-84 bounds."""
    from . import geo

    path = data_dir / BOUNDARIES_FILE
    name = _display(path)
    if not path.is_file():
        raise EvidenceError([Problem(name, None, (), "file not found (needed to check places)")])
    try:
        districts = geo.load_districts(path)
    except Exception as err:  # BoundaryError, or a file that is not GeoJSON at all
        problem = Problem(name, None, (), f"cannot read the boundaries ({err})")
        raise EvidenceError([problem]) from None
    return districts.to_crs(geo.METRIC).set_index("district_id").geometry, districts.total_bounds


def _check_coordinates(raw: Raw, data_dir: Path) -> list[Problem]:
    """Each place lies inside Beijing and inside its district, give or take its precision_m."""
    import shapely
    from pyproj import Transformer

    from .geo import METRIC

    districts, (west, south, east, north) = _districts_metric(data_dir)
    beijing = shapely.union_all(districts.values)
    to_metric = Transformer.from_crs("EPSG:4326", METRIC, always_xy=True)
    problems = []
    for i, v in enumerate(raw.values):
        lon, lat, radius = v["lon"], v["lat"], v["precision_m"]
        where = Problem(raw.file, raw.row_number(i), ("lon", "lat"), "")
        if west <= lat <= east and south <= lon <= north:
            problems.append(_with(where, f"longitude and latitude look swapped (lon={lon:g}, "
                                         f"lat={lat:g}); Beijing is near lon 116, lat 40"))
            continue
        point = shapely.Point(to_metric.transform(lon, lat))
        if beijing.distance(point) > radius:
            km = beijing.distance(point) / 1000
            problems.append(_with(where, f"({lon:g}, {lat:g}) lies outside Beijing, {km:,.1f} km "
                                         f"from its boundary (more than precision_m, {radius} m)"))
            continue
        if v["district"] not in districts.index:
            problems.append(Problem(raw.file, raw.row_number(i), ("district",),
                                    f"{v['district']!r} is not in {BOUNDARIES_FILE}"))
            continue
        gap = districts[v["district"]].distance(point)
        if gap > radius:
            inside = [d for d, poly in districts.items() if poly.contains(point)] or ["no district"]
            problems.append(_with(where, f"({lon:g}, {lat:g}) lies {gap:,.0f} m outside its "
                                         f"district {v['district']!r} (in {inside[0]!r}), more "
                                         f"than its precision_m of {radius} m"))
    return problems


def _with(problem: Problem, message: str) -> Problem:
    return Problem(problem.file, problem.row, problem.columns, message)


# -- one table ---------------------------------------------------------------------------------
def _checked(name: str, data_dir) -> Raw:
    """Read one table and run every check that needs only this table (and, for places, the
    district boundaries); each stage raises before the next runs on bad values."""
    data_dir = _data_dir(data_dir)
    raw = _read_raw(SCHEMAS[name], data_dir)
    _raise_if(_check_cells(raw))
    _raise_if(_check_dates(raw) + _check_contains(raw) + _check_rules(raw))
    _raise_if(_check_unique(raw))
    if name == "places":
        _raise_if(_check_coordinates(raw, data_dir))
    return raw


# -- references between tables and declared sums ----------------------------------------------
def _known(raws: dict[str, Raw], target: str) -> set[str]:
    if target == "areas":
        return set(AREA_IDS)
    table, column = target.split(".")
    return {row[column] for row in raws[table].rows}


def _check_references(raws: dict[str, Raw]) -> list[Problem]:
    problems = []
    for raw in raws.values():
        for ref in raw.table.refs:
            known = set().union(*(_known(raws, t) for t in ref.targets))
            problems += [Problem(raw.file, raw.row_number(i), (ref.column,),
                                 f"{row[ref.column]!r} is not a known {ref.what}")
                         for i, row in enumerate(raw.rows)
                         if row[ref.column] and row[ref.column] not in known]
    return problems


def _check_districts_agree(raws: dict[str, Raw]) -> list[Problem]:
    """A row's district (organisations) or area (events) agrees with its place's district."""
    district_of = {row["place_id"]: row["district"] for row in raws["places"].rows}
    problems = []
    for name, col in (("organisations", "district"), ("events", "area_id")):
        raw = raws[name]
        for i, row in enumerate(raw.rows):
            place_district = district_of.get(row["place_id"])
            if place_district and row[col] in DISTRICT_IDS and row[col] != place_district:
                problems.append(Problem(raw.file, raw.row_number(i), (col,),
                                        f"{row[col]!r} differs from the district of place "
                                        f"{row['place_id']!r} ({place_district!r})"))
    return problems


def _check_happened_before_source(raws: dict[str, Raw]) -> list[Problem]:
    """An event with status 'happened' cannot start after the date of the source reporting it."""
    published = {row["source_id"]: _date_bounds(row["date"])[1] for row in raws["sources"].rows}
    events, problems = raws["events"], []
    for i, row in enumerate(events.rows):
        if row["status"] != "happened" or row["source_id"] not in published:
            continue
        if _date_bounds(row["date"])[0] > published[row["source_id"]]:
            problems.append(Problem(events.file, events.row_number(i), ("date",),
                                    f"{row['date']!r} is after the date of its source "
                                    f"{row['source_id']} ({published[row['source_id']]}), but "
                                    "status is 'happened' (use 'planned')"))
    return problems


def _check_sums(raws: dict[str, Raw]) -> list[Problem]:
    claims, sums = raws["claims"], raws["claim_sums"]
    index = {row["claim_id"]: i for i, row in enumerate(claims.rows)}
    problems = []
    for j, row in enumerate(sums.rows):
        parts = row["part_claim_ids"].split(";")
        missing = [p for p in parts if p not in index]
        if missing:
            problems.append(Problem(sums.file, sums.row_number(j), ("part_claim_ids",),
                                    f"{', '.join(map(repr, missing))} is not a known claim id"))
            continue
        problems += _check_one_sum(claims, index, row["total_claim_id"], parts,
                                   f"{sums.file} row {sums.row_number(j)}")
    return problems


def _check_one_sum(claims: Raw, index: dict, total_id: str, parts: list[str], declared: str):
    t = index[total_id]
    units = {claims.rows[index[p]]["unit"] for p in parts} | {claims.rows[t]["unit"]}
    if len(units) > 1:
        return [Problem(claims.file, claims.row_number(t), ("unit",),
                        f"{total_id} and its parts ({', '.join(parts)}) use different units "
                        f"{sorted(units)}, declared in {declared}")]
    total = claims.values[t]["value"]
    values = [claims.values[index[p]]["value"] for p in parts]
    if math.isclose(total, sum(values), rel_tol=1e-9, abs_tol=1e-9):
        return []
    shown = " + ".join(f"{v:g} ({p})" for v, p in zip(values, parts))
    return [Problem(claims.file, claims.row_number(t), ("value",),
                    f"total {total:g} of {total_id} does not equal the sum of its parts "
                    f"{shown} = {sum(values):g}, declared in {declared}")]


# -- conversion --------------------------------------------------------------------------------
def _date_bounds(text: str) -> tuple[np.datetime64, np.datetime64]:
    """First and last day of a partial date; ValueError if the month or day does not exist."""
    unit = {4: "Y", 7: "M", 10: "D"}[len(text)]
    start = np.datetime64(text, unit)
    if str(start) != text:  # numpy normalises e.g. 2023-02-30 or refuses it
        raise ValueError(text)
    end = (start + 1).astype("datetime64[D]") - 1
    return start.astype("datetime64[D]"), end


def _column(f: Field, values: list) -> pd.Series:
    if f.enum is not None:
        return pd.Series(pd.Categorical(values, categories=list(f.enum)))
    if f.type == "number":
        return pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    if f.type == "integer":
        return pd.Series(values, dtype="int64" if f.required else "Int64")
    if f.type == "boolean":
        return pd.Series(values, dtype="bool" if f.required else "boolean")
    return pd.Series(values, dtype="str")


def _convert(raw: Raw) -> pd.DataFrame:
    columns = {c: _column(f, [v[c] for v in raw.values]) for c, f in raw.table.fields.items()}
    df = pd.DataFrame(columns)
    for col, _ in raw.table.dated:
        bounds = [_date_bounds(v) for v in df[col]]
        df[f"{col}_start"] = pd.Series([b[0] for b in bounds], dtype="datetime64[s]")
        df[f"{col}_end"] = pd.Series([b[1] for b in bounds], dtype="datetime64[s]")
    return df


def _places_frame(df: pd.DataFrame):
    import geopandas as gpd

    df = df.assign(is_estimate=df["coord_source"].str.startswith("ESTIMATE"))
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326")


# -- public loaders ----------------------------------------------------------------------------
def load_table(name: str, data_dir=None) -> pd.DataFrame:
    """Any table of SCHEMAS, checked on its own and typed (enums as categoricals, partial dates
    kept as text with ``<col>_start``/``<col>_end`` datetimes added)."""
    if name not in SCHEMAS:
        raise KeyError(f"unknown table {name!r}; known: {', '.join(SCHEMAS)}")
    df = _convert(_checked(name, data_dir))
    return _places_frame(df) if name == "places" else df


def load_sources(data_dir=None) -> pd.DataFrame:
    return load_table("sources", data_dir)


def load_claims(data_dir=None) -> pd.DataFrame:
    return load_table("claims", data_dir)


def load_events(data_dir=None) -> pd.DataFrame:
    return load_table("events", data_dir)


def load_organisations(data_dir=None) -> pd.DataFrame:
    return load_table("organisations", data_dir)


def load_places(data_dir=None):
    """Places as a GeoDataFrame (EPSG:4326) with an added boolean column ``is_estimate``."""
    return load_table("places", data_dir)


def load_claim_sums(data_dir=None) -> pd.DataFrame:
    return load_table("claim_sums", data_dir)


@dataclass(frozen=True)
class Evidence:
    """The checked evidence tables (see the module docstring)."""

    sources: pd.DataFrame
    claims: pd.DataFrame
    events: pd.DataFrame
    organisations: pd.DataFrame
    places: "gpd.GeoDataFrame"
    claim_sums: pd.DataFrame


# Set by the book's build (scripts/exec_cache.py) for the chapters it executes, to the data
# directory whose tables it has just checked all together (aicluster.buildcheck.check_data: each
# table, the references between them, districts, sums). Only for that directory, load_all then
# loads each table when a chapter first uses it, with that table's own checks, instead of
# reading every table again: a chapter reads (and depends on) only the tables it uses.
CROSS_CHECKED_ENV = "AICLUSTER_CROSS_CHECKED_DATA"


class CrossCheckedEvidence:
    """The tables of :func:`load_all` for data the build has already checked together: each
    loaded and checked on its own (:func:`load_table`) when first used."""

    def __init__(self, data_dir: Path):
        self._data_dir = data_dir
        self._frames: dict[str, pd.DataFrame] = {}

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in EVIDENCE_TABLES:
            raise AttributeError(name)
        if name not in self._frames:
            self._frames[name] = load_table(name, self._data_dir)
        return self._frames[name]


def _cross_checked_by_build(data_dir: Path) -> bool:
    checked = os.environ.get(CROSS_CHECKED_ENV)
    return bool(checked) and Path(checked).resolve() == data_dir.resolve()


def load_all(data_dir=None) -> Evidence:
    """Load every evidence table, check each, the references between them, that districts agree
    with places, and every declared part-whole sum; then return them typed. (In the book's
    build, whose first step checks all that: see CROSS_CHECKED_ENV.)"""
    if _cross_checked_by_build(_data_dir(data_dir)):
        return CrossCheckedEvidence(_data_dir(data_dir))
    raws = {name: _checked(name, data_dir) for name in EVIDENCE_TABLES}
    _raise_if(_check_references(raws))
    _raise_if(_check_districts_agree(raws) + _check_sums(raws)
              + _check_happened_before_source(raws))
    frames = {name: _convert(raw) for name, raw in raws.items()}
    frames["places"] = _places_frame(frames["places"])
    return Evidence(**frames)
