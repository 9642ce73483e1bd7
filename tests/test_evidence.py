"""The evidence tables: the committed data loads, and every kind of bad input is refused with an
EvidenceError naming the file, the row (header = row 1) and the column.

The corruption matrix copies data/ into tmp_path, breaks one thing, and expects one specific
message. Each case also checks that the corruption really changed the file, so no case can pass
by corrupting nothing.
"""
from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import frictionless
import pandas as pd
import pytest

from aicluster import evidence, geo, paths

DATA = paths.DATA
EXPECTED_ROWS = {"sources": 5, "claims": 126, "events": 58, "organisations": 79, "places": 50,
                 "claim_sums": 2}


# -- the committed data ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ev():
    return evidence.load_all()


def test_load_all_counts(ev):
    for name, n in EXPECTED_ROWS.items():
        assert len(getattr(ev, name)) == n, name
    assert ev.organisations["org_id"].nunique() < len(ev.organisations)
    assert int(ev.places["is_estimate"].sum()) == 33


def test_types(ev):
    assert ev.places.crs.to_epsg() == 4326
    assert ev.places.geometry.geom_type.eq("Point").all()
    assert ev.places["converted"].dtype == bool and ev.places["precision_m"].dtype == "int64"
    assert ev.claims["value"].dtype == "float64" and ev.claims["value_high"].isna().sum() == 120
    assert isinstance(ev.claims["status"].dtype, pd.CategoricalDtype)
    assert list(ev.claims["status"].cat.categories) == list(evidence.CLAIM_STATUS)
    assert str(ev.events["date_start"].dtype) == "datetime64[s]"
    first = ev.events.iloc[0]
    assert (first["date"], str(first["date_start"].date()), str(first["date_end"].date())) == (
        "0958", "0958-01-01", "0958-12-31")
    assert ev.events["place_id"].isna().sum() > 0  # empty optional cells are missing values


def test_evidence_is_frozen(ev):
    with pytest.raises(AttributeError):
        ev.claims = None


def test_single_loaders_take_a_data_directory(tmp_path):
    shutil.copytree(DATA, tmp_path / "data")
    for loader in (evidence.load_sources, evidence.load_claims, evidence.load_events,
                   evidence.load_organisations, evidence.load_places, evidence.load_claim_sums):
        assert len(loader(tmp_path / "data")) > 0
    areas = evidence.load_table("district_areas_official")
    assert len(areas) == 16 and areas["area_km2"].dtype == "float64"


def test_place_ids_follow_the_contract(ev):
    contract = set(re.findall(r"^\|\s*([a-z][a-z0-9_]+)\s*\|",
                              (paths.ROOT / "docs" / "place_ids.md").read_text(encoding="utf-8"),
                              re.M)) - {"place_id"}
    assert set(ev.places["place_id"]) == contract


def test_district_vocabulary_matches_the_boundaries():
    assert set(evidence.DISTRICT_IDS) == set(geo.load_districts()["district_id"])


@pytest.mark.parametrize("path", sorted(DATA.glob("*.csv")), ids=lambda p: p.name)
def test_csv_files_are_utf8_without_bom_with_one_line_ending(path):
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    raw.decode("utf-8")
    assert raw.endswith(b"\n")
    crlf, lf = raw.count(b"\r\n"), raw.count(b"\n")
    assert crlf in (0, lf), f"{path.name} mixes CRLF and LF line endings"


# -- the data package --------------------------------------------------------------------------
def _make_datapackage():
    spec = importlib.util.spec_from_file_location(
        "make_datapackage", paths.ROOT / "scripts" / "make_datapackage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_datapackage_is_generated_from_the_schema():
    committed = (DATA / "datapackage.json").read_text(encoding="utf-8")
    assert committed == _make_datapackage().render(), (
        "data/datapackage.json is stale: run python scripts/make_datapackage.py")


def test_datapackage_and_schema_agree_on_columns():
    package = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    described = {r["path"]: [f["name"] for f in r["schema"]["fields"]]
                 for r in package["resources"] if "schema" in r}
    assert described == {t.file: list(t.fields) for t in evidence.SCHEMAS.values()}
    for path, columns in described.items():  # and the files themselves
        with open(DATA / path, encoding="utf-8", newline="") as fh:
            assert next(csv.reader(fh)) == columns, path


def test_datapackage_describes_every_data_file():
    package = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    files = {p.name for p in DATA.iterdir() if p.suffix in (".csv", ".geojson")}
    assert {r["path"] for r in package["resources"]} == files


def test_datapackage_is_valid_frictionless():
    report = frictionless.validate(str(DATA / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "message"])[:10]


def test_readme_documents_every_file_and_column():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for path in DATA.iterdir():
        if path.name != "README.md":
            assert f"`{path.name}`" in readme, path.name
    for table in evidence.SCHEMAS.values():
        section = readme.split(f"`{table.file}`", 1)[1]
        for column in table.fields:
            assert f"| `{column}` |" in section, (table.file, column)


# -- corruption matrix -------------------------------------------------------------------------
def _read(path: Path):
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _write(path: Path, header, rows):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    path.write_text(buf.getvalue(), encoding="utf-8")


def row_of(file: str, key: str) -> int:
    """Spreadsheet row (header = 1) of the committed row whose first column is `key`."""
    _, rows = _read(DATA / file)
    return [r[0] for r in rows].index(key) + 2


def set_cells(name: str, key: str, /, **values) -> Callable[[Path], None]:
    """Set columns of the row whose first column is `key` (columns may be called 'file')."""
    def mutate(d: Path):
        header, rows = _read(d / name)
        row = rows[[r[0] for r in rows].index(key)]
        for col, value in values.items():
            row[header.index(col)] = value
        _write(d / name, header, rows)
    return mutate


def drop_column(file: str, column: str):
    def mutate(d: Path):
        header, rows = _read(d / file)
        i = header.index(column)
        _write(d / file, header[:i] + header[i + 1:], [r[:i] + r[i + 1:] for r in rows])
    return mutate


def add_column(file: str, column: str):
    def mutate(d: Path):
        header, rows = _read(d / file)
        _write(d / file, header + [column], [r + [""] for r in rows])
    return mutate


def delete(file: str):
    return lambda d: (d / file).unlink()


def empty(file: str):
    return lambda d: (d / file).write_bytes(b"")


def bad_byte(file: str, key: str, column: str):
    def mutate(d: Path):
        set_cells(file, key, **{column: "@@BAD@@"})(d)
        p = d / file
        p.write_bytes(p.read_bytes().replace("@@BAD@@".encode(), b"ab\xffcd"))
    return mutate


def swap_lon_lat(key: str):
    def mutate(d: Path):
        header, rows = _read(d / "places.csv")
        row = rows[[r[0] for r in rows].index(key)]
        i, j = header.index("lon"), header.index("lat")
        row[i], row[j] = row[j], row[i]
        _write(d / "places.csv", header, rows)
    return mutate


def prepend(file: str, data: bytes):
    return lambda d: (d / file).write_bytes(data + (d / file).read_bytes())


@dataclass
class Case:
    id: str
    mutate: Callable[[Path], None]
    file: str          # the file the message must name
    row: int | None    # spreadsheet row, header = 1
    column: str | None  # "'col'" or "'lon', 'lat'"
    phrase: str        # what is wrong

    def where(self) -> str:
        text = self.file
        if self.row is not None:
            text += f", row {self.row}"
        if self.column is not None:
            text += (", columns " if "," in self.column else ", column ") + self.column
        return text


def C(id, mutate, file, row, column, phrase) -> Case:
    return Case(id, mutate, file, row, column and ", ".join(f"'{c}'" for c in column.split("/")),
                phrase)


S, CL, EV, OR, PL, SU = ("sources.csv", "claims.csv", "events.csv", "organisations.csv",
                         "places.csv", "claim_sums.csv")
CASES = [
    # missing file -------------------------------------------------------------------------
    *[C(f"{f[:-4]}-missing_file", delete(f), f, None, None, "file not found")
      for f in (S, CL, EV, OR, PL, SU)],
    C("boundaries-missing_file", delete("beijing_districts.geojson"), "beijing_districts.geojson",
      None, None, "file not found"),
    # empty file ---------------------------------------------------------------------------
    *[C(f"{f[:-4]}-empty_file", empty(f), f, 1, None, "file is empty")
      for f in (S, CL, EV, OR, PL, SU)],
    # missing column -----------------------------------------------------------------------
    C("sources-missing_column", drop_column(S, "title_zh"), S, 1, "title_zh", "missing"),
    C("claims-missing_column", drop_column(CL, "value"), CL, 1, "value", "missing"),
    C("events-missing_column", drop_column(EV, "date"), EV, 1, "date", "missing"),
    C("organisations-missing_column", drop_column(OR, "source_id"), OR, 1, "source_id", "missing"),
    C("places-missing_column", drop_column(PL, "lat"), PL, 1, "lat", "missing"),
    C("claim_sums-missing_column", drop_column(SU, "part_claim_ids"), SU, 1, "part_claim_ids",
      "missing"),
    # wrong type ---------------------------------------------------------------------------
    C("sources-wrong_type", set_cells(S, "S002", date="abc"), S, row_of(S, "S002"), "date",
      "'abc' is not a date"),
    C("claims-wrong_type", set_cells(CL, "C017", value="abc"), CL, row_of(CL, "C017"), "value",
      "'abc' is not a number"),
    C("events-wrong_type", set_cells(EV, "E020", date="2022-13"), EV, row_of(EV, "E020"), "date",
      "'2022-13' is not a date"),
    C("places-wrong_type", set_cells(PL, "hd_pku", lon="116,3"), PL, row_of(PL, "hd_pku"), "lon",
      "'116,3' is not a number"),
    C("places-wrong_type_integer", set_cells(PL, "hd_pku", precision_m="12.5"), PL,
      row_of(PL, "hd_pku"), "precision_m", "'12.5' is not an integer"),
    C("places-wrong_type_boolean", set_cells(PL, "hd_pku", converted="yes"), PL,
      row_of(PL, "hd_pku"), "converted", "'yes' is not true or false"),
    C("claim_sums-wrong_type", set_cells(SU, "C062", part_claim_ids="C063,C064"), SU,
      row_of(SU, "C062"), "part_claim_ids", "does not have the expected form"),
    # value outside the controlled vocabulary ----------------------------------------------
    C("sources-bad_value", set_cells(S, "S004", genre="opinion"), S, row_of(S, "S004"), "genre",
      "'opinion' is not an allowed value"),
    C("claims-bad_value", set_cells(CL, "C030", status="done"), CL, row_of(CL, "C030"), "status",
      "'done' is not an allowed value"),
    C("events-bad_value", set_cells(EV, "E030", category="tech"), EV, row_of(EV, "E030"),
      "category", "'tech' is not an allowed value"),
    C("organisations-bad_value", set_cells(OR, "L040", kind="company"), OR, row_of(OR, "L040"),
      "kind", "'company' is not an allowed value"),
    C("places-bad_value", set_cells(PL, "hd_raycom", source_datum="WGS84"), PL,
      row_of(PL, "hd_raycom"), "source_datum", "'WGS84' is not an allowed value"),
    C("claim_sums-bad_value", set_cells(SU, "C021", relation="about"), SU, row_of(SU, "C021"),
      "relation", "'about' is not an allowed value"),
    # non-UTF-8 bytes ----------------------------------------------------------------------
    C("sources-non_utf8", bad_byte(S, "S003", "title_en"), S, row_of(S, "S003"), "title_en",
      "not valid UTF-8"),
    C("claims-non_utf8", bad_byte(CL, "C020", "quote_zh"), CL, row_of(CL, "C020"), "quote_zh",
      "not valid UTF-8"),
    C("events-non_utf8", bad_byte(EV, "E051", "date_note"), EV, row_of(EV, "E051"), "date_note",
      "not valid UTF-8"),
    C("organisations-non_utf8", bad_byte(OR, "L010", "name_zh"), OR, row_of(OR, "L010"), "name_zh",
      "not valid UTF-8"),
    C("places-non_utf8", bad_byte(PL, "mt_xiluopo", "name_en"), PL, row_of(PL, "mt_xiluopo"),
      "name_en", "not valid UTF-8"),
    C("claim_sums-non_utf8", bad_byte(SU, "C062", "note"), SU, row_of(SU, "C062"), "note",
      "not valid UTF-8"),
    # duplicate id -------------------------------------------------------------------------
    # (the file name changes too, else the file-prefix rule would fire first)
    C("sources-duplicate_id", set_cells(S, "S003", source_id="S001",
                                        file="001_d13fbeed1886cb2e.txt"),
      S, row_of(S, "S003"), "source_id", "duplicate id 'S001' (first in row 3)"),
    C("claims-duplicate_id", set_cells(CL, "C010", claim_id="C003"), CL, row_of(CL, "C010"),
      "claim_id", "duplicate id 'C003' (first in row 4)"),
    C("events-duplicate_id", set_cells(EV, "E040", event_id="E039"), EV, row_of(EV, "E040"),
      "event_id", "duplicate id 'E039'"),
    C("organisations-duplicate_id", set_cells(OR, "L070", link_id="L069"), OR, row_of(OR, "L070"),
      "link_id", "duplicate id 'L069'"),
    C("organisations-duplicate_link", set_cells(OR, "L045", place_id="hd_raycom", org_id="org_google"),
      OR, row_of(OR, "L045"), "org_id/place_id", "duplicate combination"),
    C("places-duplicate_id", set_cells(PL, "hd_pku", place_id="hd_tsinghua"), PL,
      row_of(PL, "hd_pku"), "place_id", "duplicate id 'hd_tsinghua'"),
    C("claim_sums-duplicate_id", set_cells(SU, "C062", total_claim_id="C021"), SU,
      row_of(SU, "C062"), "total_claim_id", "duplicate id 'C021'"),
    # dangling reference -------------------------------------------------------------------
    C("claims-dangling_source", set_cells(CL, "C016", source_id="S009"), CL, row_of(CL, "C016"),
      "source_id", "'S009' is not a known source id"),
    C("claims-dangling_entity", set_cells(CL, "C016", entity_id="xicheng"), CL, row_of(CL, "C016"),
      "entity_id", "'xicheng' is not a known place id, organisation id or area id"),
    C("events-dangling_source", set_cells(EV, "E010", source_id="S005"), EV, row_of(EV, "E010"),
      "source_id", "'S005' is not a known source id"),
    C("events-dangling_place", set_cells(EV, "E010", place_id="hd_tusinghua"), EV,
      row_of(EV, "E010"), "place_id", "'hd_tusinghua' is not a known place id"),
    C("organisations-dangling_source", set_cells(OR, "L050", source_id="S044"), OR,
      row_of(OR, "L050"), "source_id", "'S044' is not a known source id"),
    C("organisations-dangling_place", set_cells(OR, "L050", place_id="hd_dinghao_tower"), OR,
      row_of(OR, "L050"), "place_id", "'hd_dinghao_tower' is not a known place id"),
    C("claim_sums-dangling_total", set_cells(SU, "C021", total_claim_id="C999"), SU,
      row_of(SU, "C021"), "total_claim_id", "'C999' is not a known claim id"),
    C("claim_sums-dangling_part", set_cells(SU, "C021", part_claim_ids="C042;C943"), SU,
      row_of(SU, "C021"), "part_claim_ids", "'C943' is not a known claim id"),
    # coordinates --------------------------------------------------------------------------
    C("places-outside_beijing", set_cells(PL, "hd_beihang", lon="121.4737", lat="31.2304"), PL,
      row_of(PL, "hd_beihang"), "lon/lat", "lies outside Beijing"),
    C("places-swapped", swap_lon_lat("mt_tanzhe_temple"), PL, row_of(PL, "mt_tanzhe_temple"),
      "lon/lat", "longitude and latitude look swapped"),
    C("places-outside_district", set_cells(PL, "hd_tsinghua", lon="116.4800", lat="39.9150"), PL,
      row_of(PL, "hd_tsinghua"), "lon/lat", "outside its district 'haidian' (in 'chaoyang')"),
    C("places-outside_district_precision", set_cells(PL, "sjs_new_shougang_bridge",
                                                      precision_m="500"),
      PL, row_of(PL, "sjs_new_shougang_bridge"), "lon/lat", "outside its district 'shijingshan'"),
    C("places-datum_not_converted", set_cells(PL, "hd_raycom", converted="false"), PL,
      row_of(PL, "hd_raycom"), "converted", "converted must be true exactly when"),
    # value not in quote -------------------------------------------------------------------
    C("claims-value_not_in_quote", set_cells(CL, "C003", value_in_quote="901P"), CL,
      row_of(CL, "C003"), "value_in_quote", "'901P' does not occur in quote_zh"),
    C("events-date_not_in_quote", set_cells(EV, "E002", date_in_quote="1959年"), EV,
      row_of(EV, "E002"), "date_in_quote", "'1959年' does not occur in quote_zh"),
    # total != parts -----------------------------------------------------------------------
    C("claims-total_not_parts", set_cells(CL, "C064", value="51", quote_zh="数字视听企业51家",
                                          value_in_quote="51家"), CL, row_of(CL, "C062"), "value",
      "total 255 of C062 does not equal the sum of its parts"),
    C("claim_sums-total_not_parts", set_cells(SU, "C021", part_claim_ids="C042;C044"), CL,
      row_of(CL, "C021"), "value", "total 85 of C021 does not equal the sum of its parts"),
    C("claim_sums-units_differ", set_cells(SU, "C021", part_claim_ids="C042;C036"), CL,
      row_of(CL, "C021"), "unit", "use different units"),
    # other rules --------------------------------------------------------------------------
    C("claims-required_empty", set_cells(CL, "C050", quote_zh=""), CL, row_of(CL, "C050"),
      "quote_zh", "is empty but a value is required"),
    C("claims-range_reversed", set_cells(CL, "C013", value_high="200"), CL, row_of(CL, "C013"),
      "value_high", "200 is less than value 300"),
    C("claims-range_without_high", set_cells(CL, "C012", value_high=""), CL, row_of(CL, "C012"),
      "value_high", "value_high must be given exactly when qualifier is 'range'"),
    C("claims-qualifier_zh_missing", set_cells(CL, "C004", qualifier_zh=""), CL, row_of(CL, "C004"),
      "qualifier_zh", "must be empty exactly when qualifier is 'exact'"),
    C("claims-bom", prepend(CL, b"\xef\xbb\xbf"), CL, 1, None, "byte-order mark"),
    C("claims-unknown_column", add_column(CL, "comment"), CL, 1, "comment", "unknown column"),
    C("events-date_precision", set_cells(EV, "E003", date_precision="day"), EV, row_of(EV, "E003"),
      "date", "'1958-05' does not match date_precision 'day' (expected YYYY-MM-DD)"),
    C("events-area_vs_place", set_cells(EV, "E002", area_id="mentougou"), EV, row_of(EV, "E002"),
      "area_id", "differs from the district of place 'sjs_beizhong_park'"),
    C("organisations-district_vs_place", set_cells(OR, "L043", district="mentougou"), OR,
      row_of(OR, "L043"), "district", "differs from the district of place 'hd_raycom'"),
    C("organisations-kind_inconsistent", set_cells(OR, "L051", sector="other"), OR,
      row_of(OR, "L051"), "sector", "differs from 'ai' given for 'org_bytedance'"),
    C("sources-file_prefix", set_cells(S, "S002", file="003_87e4faa813adc3ef.txt"), S,
      row_of(S, "S002"), "file", "does not start with the digits of 'S002'"),
    # what the data mean (issue 16) --------------------------------------------------------
    C("claims-value_not_the_quotes", set_cells(CL, "C003", value="9000"), CL, row_of(CL, "C003"),
      "value", "9000 is not a number that value_in_quote '900P' states"),
    C("claims-value_not_chinese_numeral", set_cells(CL, "C002", value="100"), CL,
      row_of(CL, "C002"), "value", "100 is not a number that value_in_quote '千年' states"),
    C("claims-value_multiplier", set_cells(CL, "C036", value="22"), CL, row_of(CL, "C036"),
      "value", "22 is not a number that value_in_quote '超220亿元' states (numbers read there: "
      "220, 2.2e+10)"),
    C("claims-value_wan", set_cells(CL, "C052", value="300"), CL, row_of(CL, "C052"), "value",
      "300 is not a number that value_in_quote '近3000万元' states"),
    C("claims-value_high_not_the_quotes", set_cells(CL, "C013", value_high="5000"), CL,
      row_of(CL, "C013"), "value_high", "5000 is not a number that value_in_quote '300到500名'"),
    C("claims-value_without_numeral", set_cells(CL, "C014", value="2"), CL, row_of(CL, "C014"),
      "value", "2 is not a number that value_in_quote '最大' states (numbers read there: none)"),
    C("claims-period_month_13", set_cells(CL, "C026", ref_period="2023-13"), CL,
      row_of(CL, "C026"), "ref_period", "'2023-13' is not a real date"),
    C("claims-period_reversed", set_cells(CL, "C062", ref_period="2025..2020"), CL,
      row_of(CL, "C062"), "ref_period", "'2025..2020' starts after it ends"),
    C("claims-infinite", set_cells(CL, "C003", value="1e400"), CL, row_of(CL, "C003"), "value",
      "'1e400' is not a number (it is not finite"),
    C("claims-fullwidth_digits", set_cells(CL, "C003", value="９００"), CL, row_of(CL, "C003"),
      "value", "'９００' is not a number (only the ASCII digits 0-9"),
    C("claims-arabic_indic_digits", set_cells(CL, "C003", value="٩٠٠"), CL, row_of(CL, "C003"),
      "value", "'٩٠٠' is not a number (only the ASCII digits 0-9"),
    C("claims-fullwidth_id", set_cells(CL, "C003", claim_id="C００3"), CL, row_of(CL, "C003"),
      "claim_id", "does not have the expected form (regular expression C\\d{3}, ASCII digits"),
    C("claims-quote_too_short", set_cells(CL, "C003", quote_zh="P", value_in_quote="P"), CL,
      row_of(CL, "C003"), "quote_zh", "'P' is too short to identify a sentence"),
    C("events-happened_after_source", set_cells(EV, "E051", date="2099", date_precision="year"),
      EV, row_of(EV, "E051"), "date", "'2099' is after the date of its source"),
    C("places-radius_unbounded", set_cells(PL, "hd_pku", lon="121.4737", lat="31.2304",
                                           precision_m="2000000"),
      PL, row_of(PL, "hd_pku"), "precision_m", "2000000 is above the maximum 10,000"),
    C("places-integer_overflow", set_cells(PL, "hd_pku", precision_m="9" * 30), PL,
      row_of(PL, "hd_pku"), "precision_m", "is above the maximum"),
    C("places-fullwidth_integer", set_cells(PL, "hd_pku", precision_m="５００"), PL,
      row_of(PL, "hd_pku"), "precision_m", "'５００' is not an integer (only the ASCII digits"),
    C("places-name_too_long", set_cells(PL, "hd_pku", name_en="Peking University " * 40), PL,
      row_of(PL, "hd_pku"), "name_en", "720 characters, more than the 200 a label may have"),
    C("organisations-name_too_long", set_cells(OR, "L010", name_zh="北京" * 150), OR,
      row_of(OR, "L010"), "name_zh", "300 characters, more than the 200"),
    C("places-fullwidth_lon", set_cells(PL, "hd_pku", lon="１１６.３"), PL,
      row_of(PL, "hd_pku"), "lon", "is not a number (only the ASCII digits"),
    # an event's timeline label: required, one line, at most 40 characters
    C("events-label_too_long", set_cells(EV, "E030", title_short_en="Computing centre " * 3),
      EV, row_of(EV, "E030"), "title_short_en", "51 characters, more than the 40"),
    C("events-label_missing", set_cells(EV, "E030", title_short_en=""), EV, row_of(EV, "E030"),
      "title_short_en", "is empty but a value is required"),
    C("events-label_non_utf8", bad_byte(EV, "E030", "title_short_en"), EV, row_of(EV, "E030"),
      "title_short_en", "not valid UTF-8"),
]

def _fingerprint(d: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_corruption_is_refused(case, tmp_path):
    d = tmp_path / "data"
    shutil.copytree(DATA, d)
    before = _fingerprint(d)
    case.mutate(d)
    assert _fingerprint(d) != before, "the corruption changed nothing"
    with pytest.raises(evidence.EvidenceError) as info:
        evidence.load_all(d)
    lines = str(info.value).splitlines()
    hit = [ln for ln in lines if f"{case.where()}: " in ln and case.phrase in ln]
    assert hit, f"expected {case.where()!r} ... {case.phrase!r}; got:\n{info.value}"
    assert "Traceback" not in str(info.value)


def test_message_names_the_repository_path_for_committed_data():
    problem = evidence.Problem("data/claims.csv", 17, ("source_id",), "'S009' is not a known source id")
    assert str(problem) == "data/claims.csv, row 17, column 'source_id': 'S009' is not a known source id"
    assert evidence._display(DATA / "claims.csv") == "data/claims.csv"


@pytest.mark.parametrize("loader, case_id", [
    (evidence.load_claims, "claims-wrong_type"), (evidence.load_events, "events-date_precision"),
    (evidence.load_places, "places-swapped"), (evidence.load_sources, "sources-duplicate_id"),
    (evidence.load_organisations, "organisations-kind_inconsistent"),
    (evidence.load_claim_sums, "claim_sums-non_utf8")])
def test_single_loaders_check_their_own_table(loader, case_id, tmp_path):
    case = next(c for c in CASES if c.id == case_id)
    d = tmp_path / "data"
    shutil.copytree(DATA, d)
    case.mutate(d)
    with pytest.raises(evidence.EvidenceError, match=re.escape(case.where())):
        loader(d)


def test_many_problems_are_listed_and_capped(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(DATA, d)
    header, rows = _read(d / CL)
    for row in rows:
        row[header.index("value")] = "x"
    _write(d / CL, header, rows)
    with pytest.raises(evidence.EvidenceError) as info:
        evidence.load_claims(d)
    assert len(info.value.problems) == EXPECTED_ROWS["claims"]
    assert str(info.value).endswith(f"... and {EXPECTED_ROWS['claims'] - 20} more problem(s)")


def test_wrong_field_count_names_the_row(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(DATA, d)
    lines = (d / EV).read_text(encoding="utf-8").split("\n")
    lines[4] += ",extra"
    (d / EV).write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(evidence.EvidenceError, match=r"events\.csv, row 5: row has 15 fields"):
        evidence.load_events(d)
