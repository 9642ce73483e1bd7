"""The build refuses bad input before any chapter runs, and fails loudly with what to do.

- unit level: aicluster.buildcheck.check_data runs the loaders on data/ (the full corruption
  matrix is tests/test_evidence.py) and adds the checks a loader cannot make alone: every quote
  is verbatim in its source text (with AICLUSTER_SEEDS), no unchecked data file, fonts;
- end to end (two builds of a copy of the book in tmp_path): a corrupted data file stops
  `jupyter-book build` with the file/row/column message and no notebook executed; a chapter that
  raises stops it with the chapter's name, the error and what to do.
"""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import load_module
import yaml

from aicluster import buildcheck, evidence, paths, style

ROOT = paths.ROOT


bookcopy = load_module("benchmarks/bookcopy.py")


@pytest.fixture
def data(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(paths.DATA, d)
    return d


def set_cell(path: Path, key: str, column: str, transform) -> int:
    """Change one cell of the row whose first column is `key`; return its spreadsheet row."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    index = next(i for i, r in enumerate(rows) if r[0] == key)
    rows[index][header.index(column)] = transform(rows[index][header.index(column)])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return index + 1


# -- the checks --------------------------------------------------------------------------------
def test_committed_data_passes(seeds_dir):
    if not seeds_dir.is_dir():
        pytest.skip(f"no article texts in {seeds_dir}")
    assert buildcheck.check_data(paths.DATA, seeds_dir) == []


def test_without_article_texts_the_quote_check_is_skipped_with_a_note(data, tmp_path):
    notes = buildcheck.check_data(data, tmp_path / "no-seeds")
    assert len(notes) == 1 and "quotes were not checked" in notes[0]


@pytest.mark.parametrize("file, key", [("claims.csv", "C040"), ("events.csv", "E020"),
                                       ("organisations.csv", "L012")])
def test_quote_not_in_its_source_is_refused(file, key, data, seeds_dir):
    if not seeds_dir.is_dir():
        pytest.skip(f"no article texts in {seeds_dir}")
    # Appended, so the words giving the number or date are still in the quote (the loader's
    # own check passes) and only the comparison with the source text can catch it.
    row = set_cell(data / file, key, "quote_zh", lambda q: q + "（据称）")
    with pytest.raises(evidence.EvidenceError) as info:
        buildcheck.check_data(data, seeds_dir)
    assert f"{file}, row {row}, column 'quote_zh': " in str(info.value)
    assert "is not verbatim in the text of S00" in str(info.value)


def test_missing_article_text_is_named(data, seeds_dir, tmp_path):
    if not seeds_dir.is_dir():
        pytest.skip(f"no article texts in {seeds_dir}")
    partial = tmp_path / "seeds"
    shutil.copytree(seeds_dir, partial)
    victim = sorted(partial.glob("002_*.txt"))[0]
    victim.unlink()
    with pytest.raises(evidence.EvidenceError, match=rf"sources.csv, row 4, column 'file': "
                                                     rf"article text '{victim.name}' not found"):
        buildcheck.check_data(data, partial)


def test_a_data_file_nothing_checks_is_refused(data, tmp_path):
    (data / "ai_firms.csv").write_text("firm,lon,lat\nX,0,0\n", encoding="utf-8")
    with pytest.raises(evidence.EvidenceError, match=r"ai_firms.csv: no schema checks this file"):
        buildcheck.check_data(data, tmp_path / "no-seeds")


def test_other_schema_tables_are_checked(data, tmp_path):
    row = set_cell(data / "district_areas_official.csv", "110108", "area_km2", lambda v: "n/a")
    with pytest.raises(evidence.EvidenceError,
                       match=rf"district_areas_official.csv, row {row}, column 'area_km2': "
                             r"'n/a' is not a number"):
        buildcheck.check_data(data, tmp_path / "no-seeds")


def test_broken_boundaries_are_refused(data, tmp_path):
    gj = json.loads((data / evidence.BOUNDARIES_FILE).read_text(encoding="utf-8"))
    gj["features"][3]["properties"].pop("district_id")
    (data / evidence.BOUNDARIES_FILE).write_text(json.dumps(gj), encoding="utf-8")
    with pytest.raises(evidence.EvidenceError, match=r"beijing_districts.geojson, column "
                                                     r"'district_id': feature with code '\d+': "
                                                     r"district_id is empty"):
        buildcheck.check_data(data, tmp_path / "no-seeds")


def test_build_error_carries_the_loaders_message(tmp_path):
    class App:
        srcdir = str(tmp_path)
    shutil.copytree(paths.DATA, tmp_path / "data")
    set_cell(tmp_path / "data" / "places.csv", "hd_pku", "lon", lambda v: "116,3")
    with pytest.raises(buildcheck.BadData) as info:
        buildcheck._check_before_build(App(), None)
    assert "places.csv, row" in str(info.value) and "column 'lon': '116,3' is not a number" in str(
        info.value)


# -- fonts -------------------------------------------------------------------------------------
def test_missing_cjk_font_stops_the_build_naming_the_package(monkeypatch):
    monkeypatch.setattr(style, "_font_available", lambda family: False)
    monkeypatch.setattr(style.font_manager, "_load_fontmanager",
                        lambda try_read_cache: style.font_manager.fontManager)  # no slow rebuild
    with pytest.raises(buildcheck.MissingFont, match=r"apt-get install fonts-noto-cjk"):
        buildcheck._check_fonts(None, None)


def test_missing_latex_font_stops_the_pdf_build_naming_the_package(monkeypatch):
    class App:
        class builder:
            name = "latex"
    monkeypatch.setitem(buildcheck.LATEX_FONTS, "No Such Font SC", "fonts-no-such")
    with pytest.raises(buildcheck.MissingFont, match=r"apt-get install fonts-no-such"):
        buildcheck._check_latex_fonts(App())
    App.builder.name = "html"
    buildcheck._check_latex_fonts(App())  # the HTML book needs no LaTeX font


def test_the_pdf_preamble_fonts_are_the_checked_ones():
    preamble = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))[
        "sphinx"]["config"]["latex_elements"]["preamble"]
    for family in ("Noto Serif CJK SC", "Noto Sans CJK SC", "Noto Sans Mono CJK SC"):
        assert family in preamble and family in buildcheck.LATEX_FONTS


# -- wiring ------------------------------------------------------------------------------------
def test_the_book_loads_the_extension_and_it_checks_before_reading():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert "aicluster.buildcheck" in config["sphinx"]["extra_extensions"]
    connected = []

    class App:
        def connect(self, event, handler, priority=500):
            connected.append((event, handler.__name__))
    buildcheck.setup(App())
    assert ("config-inited", "_check_before_build") in connected
    assert ("config-inited", "_check_fonts") in connected
    assert ("builder-inited", "_check_latex_fonts") in connected
    assert ("build-finished", "_explain_chapter_failure") in connected


# -- end to end --------------------------------------------------------------------------------
def build(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([bookcopy.jupyter_book(), "build", str(root), "--builder", "html",
                           "-n", "-W", "--keep-going"], cwd=root, env=bookcopy.build_env(root),
                          capture_output=True, text=True, timeout=1800)


def test_bad_data_stops_the_build_before_any_chapter_runs(tmp_path):
    root = bookcopy.copy_book(tmp_path / "book")
    row = set_cell(root / "data" / "claims.csv", "C016", "source_id", lambda v: "S009")
    result = build(root)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"data/claims.csv, row {row}, column 'source_id': 'S009' is not a known source id" in log
    assert "no chapter was executed" in log
    assert "Executing notebook" not in log, "a chapter ran before the data were checked"
    assert not (root / "_build" / "jupyter_execute").exists()
    assert not (root / "_build" / ".jupyter_cache").exists()


def test_a_chapter_that_raises_fails_the_build_saying_what_to_do(tmp_path):
    root = bookcopy.copy_book(tmp_path / "book")
    notebooks = bookcopy.make_baseline(root)  # fast: every chapter only runs `pass` ...
    failing = notebooks[-1]  # ... but the last one raises
    bookcopy.nbformat.write(bookcopy.pass_notebook(
        "Broken", 'raise ValueError("the district table has no Haidian row")'), failing)
    result = build(root)
    log = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # no terminal colours
    shown = failing.relative_to(root).as_posix()
    assert result.returncode != 0
    assert f"{shown} failed." in log
    assert "ValueError: the district table has no Haidian row" in log
    assert "What to do: run the chapter on its own" in log
    assert f"scripts/store_outputs.py {shown}" in log
    assert "sphinx-doc/sphinx/issues" not in log, "the message still blames Sphinx"


# -- protections of issue 16 (each was checked by removing it and seeing its test fail) --------
def _boundaries(data: Path) -> dict:
    return json.loads((data / evidence.BOUNDARIES_FILE).read_text(encoding="utf-8"))


def _write_boundaries(data: Path, gj: dict) -> None:
    (data / evidence.BOUNDARIES_FILE).write_text(json.dumps(gj), encoding="utf-8")


def test_boundaries_without_one_of_the_16_districts_are_refused(data, tmp_path):
    gj = _boundaries(data)
    gj["features"] = [f for f in gj["features"] if f["properties"]["district_id"] != "pinggu"]
    _write_boundaries(data, gj)
    with pytest.raises(evidence.EvidenceError, match=r"beijing_districts.geojson, column "
                                                     r"'district_id': district ids .* are not "
                                                     r"Beijing's 16 districts"):
        buildcheck.check_data(data, tmp_path / "no-seeds")


@pytest.mark.parametrize("name", ["extra.geojson", "EXTRA.CSV", "more.GeoJSON", "Claims.csv"])
def test_a_stray_data_file_is_refused_whatever_the_case_of_its_name(name, data, tmp_path):
    (data / name).write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(evidence.EvidenceError, match=rf"{re.escape(name)}: no schema checks"):
        buildcheck.check_data(data, tmp_path / "no-seeds")


@pytest.mark.parametrize("geometry, phrase", [
    (None, "the geometry is empty"),
    ({"type": "Polygon", "coordinates": []}, "the geometry is empty"),
    ({"type": "Point", "coordinates": [116.2, 40.2]}, "the geometry is a Point, not a Polygon"),
])
def test_a_district_without_a_polygon_is_refused(geometry, phrase, data, tmp_path):
    gj = _boundaries(data)
    victim = next(f for f in gj["features"] if f["properties"]["district_id"] == "pinggu")
    victim["geometry"] = geometry
    _write_boundaries(data, gj)
    with pytest.raises(evidence.EvidenceError) as info:
        buildcheck.check_data(data, tmp_path / "no-seeds")
    message = str(info.value)
    assert "beijing_districts.geojson" in message and phrase in message, message
    assert f"code '{victim['properties']['code']}'" in message, message
    assert "Traceback" not in message and "AttributeError" not in message


def test_an_integer_out_of_range_is_a_clear_error(data, tmp_path):
    row = set_cell(data / "district_areas_official.csv", "110108", "year", lambda v: "9" * 30)
    with pytest.raises(evidence.EvidenceError,
                       match=rf"district_areas_official.csv, row {row}, column 'year': 9+ is "
                             r"out of range"):
        buildcheck.check_data(data, tmp_path / "no-seeds")


def test_fullwidth_digits_in_official_areas_are_refused_by_the_check(data, tmp_path):
    row = set_cell(data / "district_areas_official.csv", "110108", "area_km2", lambda v: "４３１")
    with pytest.raises(evidence.EvidenceError,
                       match=rf"district_areas_official.csv, row {row}, column 'area_km2': "
                             r"'４３１' is not a number \(only the ASCII digits"):
        buildcheck.check_data(data, tmp_path / "no-seeds")
