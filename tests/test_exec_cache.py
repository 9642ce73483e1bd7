"""scripts/exec_cache.py: a build executes (in parallel, before Sphinx) exactly the chapters whose
code or observed inputs changed; the data are checked once, before any chapter runs.

Most tests use a small book of four chapters, each reading one thing (a CSV through open(), a
CSV through pandas, a GeoJSON through geopandas/GDAL, another chapter's notebook), so that the
scenarios run in seconds; one test executes a real chapter to see what it reads."""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache

from conftest import ROOT, load_module

exec_cache = load_module("scripts/exec_cache.py")
store_outputs = load_module("scripts/store_outputs.py")
bookcopy = load_module("benchmarks/bookcopy.py")

CHAPTERS = {  # name -> code of its one code cell
    "a": "open('../data/a.csv', encoding='utf-8').read()",
    "b": "import pandas as pd\npd.read_csv('../data/b.csv')",
    "d": "import geopandas as gpd\nlen(gpd.read_file('../data/d.geojson'))",
    "e": "import nbformat\nnbformat.read('a.ipynb', as_version=4).cells[1].outputs",
}


def _notebook(name: str, code: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(f"# Chapter {name}\n\nSome prose."),
                nbformat.v4.new_code_cell(code)]
    return nb


@pytest.fixture
def book(tmp_path) -> Path:
    root = tmp_path / "book"
    (root / "chapters").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "_config.yml").write_text("execute:\n  timeout: 300\n", encoding="utf-8")
    (root / "requirements.txt").write_text("pandas\n", encoding="utf-8")
    (root / "data" / "a.csv").write_text("x\n1\n", encoding="utf-8")
    (root / "data" / "b.csv").write_text("y\n2\n", encoding="utf-8")
    shutil.copy(ROOT / "data" / "beijing_districts.geojson", root / "data" / "d.geojson")
    for name, code in CHAPTERS.items():
        nbformat.write(_notebook(name, code), root / "chapters" / f"{name}.ipynb")
    return root


def refresh(root: Path) -> list[str]:
    """What `make html` executes (the data check is the real book's; see the test below)."""
    return sorted(exec_cache.refresh(root, jobs=2, log=lambda _: None, check=lambda _: None))


def edit_prose(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\nAn added sentence."
    nbformat.write(nb, path)


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def recorded(root: Path) -> dict[str, set[str]]:
    return {nb: set(entry["inputs"]) for nb, entry in exec_cache.load_record(root).items()}


def test_each_chapter_records_only_what_it_read(book):
    assert refresh(book) == [f"chapters/{n}.ipynb" for n in sorted(CHAPTERS)]
    inputs = recorded(book)
    assert inputs["chapters/a.ipynb"] == {"data/a.csv", "requirements.txt", "apt.txt"}
    assert inputs["chapters/b.ipynb"] == {"data/b.csv", "requirements.txt", "apt.txt"}
    assert inputs["chapters/d.ipynb"] == {"data/d.geojson", "requirements.txt", "apt.txt"}  # read by GDAL
    assert inputs["chapters/e.ipynb"] == {"chapters/a.ipynb", "requirements.txt", "apt.txt"}
    assert refresh(book) == []  # nothing changed


def test_the_cache_holds_the_run_sphinx_will_look_for_without_the_tracing(book):
    refresh(book)
    cache = get_cache(str(exec_cache.cache_dir(book)))
    for name in CHAPTERS:
        nb = nbformat.read(book / "chapters" / f"{name}.ipynb", as_version=4)
        _, merged = cache.merge_match_into_notebook(nb)  # KeyError if myst-nb would not match
        code = merged.cells[1]
        assert code.execution_count == 1  # the silent tracing took no execution count
        assert code.outputs and all(o.output_type != "error" for o in code.outputs)


def test_a_prose_edit_re_executes_nothing(book):
    refresh(book)
    edit_prose(book / "chapters" / "a.ipynb")
    # not a, whose code is unchanged (the cache matches code), nor e, which reads a's notebook:
    # only code cells and outputs of another chapter count as its input
    assert refresh(book) == []


def test_a_data_edit_re_executes_exactly_its_readers(book):
    refresh(book)
    append(book / "data" / "b.csv", "3\n")
    assert refresh(book) == ["chapters/b.ipynb"]
    geojson = book / "data" / "d.geojson"
    geojson.write_text(geojson.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert refresh(book) == ["chapters/d.ipynb"]
    (book / "requirements.txt").write_text("pandas==2.2.3\n", encoding="utf-8")
    assert refresh(book) == [f"chapters/{n}.ipynb" for n in sorted(CHAPTERS)]


def test_a_code_edit_re_executes_the_chapter_and_its_readers(book):
    refresh(book)
    nb = nbformat.read(book / "chapters" / "a.ipynb", as_version=4)
    nb.cells[1].source += "\n1 + 1"
    nbformat.write(nb, book / "chapters" / "a.ipynb")
    assert refresh(book) == ["chapters/a.ipynb", "chapters/e.ipynb"]


def test_a_chapter_that_raises_stops_the_build_and_is_not_cached(book):
    refresh(book)
    nbformat.write(_notebook("b", "raise ValueError('bad chapter')"),
                   book / "chapters" / "b.ipynb")
    with pytest.raises(exec_cache.BuildStopped, match="chapters/b.ipynb") as err:
        refresh(book)
    assert "bad chapter" in str(err.value)
    assert "chapters/b.ipynb" in exec_cache.stale_chapters(book).__repr__()


def test_bad_data_stops_before_any_chapter_runs_or_anything_is_written(tmp_path):
    root = bookcopy.copy_book(tmp_path / "book")
    claims = root / "data" / "claims.csv"
    claims.write_text(claims.read_text(encoding="utf-8").replace(",S001,", ",S009,", 1),
                      encoding="utf-8")
    with pytest.raises(exec_cache.BuildStopped) as err:
        exec_cache.refresh(root, log=lambda _: None)
    message = str(err.value)
    assert "data/claims.csv, row " in message and "column 'source_id'" in message
    assert "'S009' is not a known source id" in message and "no chapter was executed" in message
    assert not (root / "_build").exists()


def test_real_chapters_depend_on_the_files_they_read_not_on_every_table(tmp_path, monkeypatch):
    """study_area reads the boundaries and the official areas, not the evidence tables; the
    discussion uses claims and sources through evidence.load_all, which in the build (the tables
    checked together first) loads only the tables a chapter uses."""
    from aicluster import evidence

    root = bookcopy.copy_book(tmp_path / "book")
    run = [root / "chapters" / "study_area.ipynb", root / "chapters" / "discussion.ipynb"]
    monkeypatch.setenv("PYTHONPATH", str(root))  # the kernels import the copy's aicluster
    monkeypatch.setenv(evidence.CROSS_CHECKED_ENV, "")  # restored after the test
    assert sorted(exec_cache.refresh(root, log=lambda _: None, notebooks=run,
                                     reexecute=True)) == [
        "chapters/discussion.ipynb", "chapters/study_area.ipynb"]
    inputs = recorded(root)
    study = inputs["chapters/study_area.ipynb"]
    assert {"data/beijing_districts.geojson", "data/district_areas_official.csv",
            "aicluster/geo.py", "aicluster/evidence.py", "requirements.txt"} <= study
    assert not {"data/claims.csv", "data/events.csv", "data/organisations.csv"} & study
    discussion = inputs["chapters/discussion.ipynb"]
    assert {"data/claims.csv", "data/sources.csv", "aicluster/discussion.py"} <= discussion
    assert not {"data/claim_sums.csv", "data/places.csv"} & discussion


def test_an_input_edited_while_its_chapter_runs_re_executes_it_next_time(book):
    nbformat.write(_notebook("a", "import time\ntime.sleep(3)\nopen('../data/a.csv').read()"),
                   book / "chapters" / "a.ipynb")
    import threading

    edit = threading.Timer(1.5, append, (book / "data" / "a.csv", "2\n"))
    edit.start()  # during the 3 s of chapter a, before it reads the file
    refresh(book)
    edit.join()
    assert exec_cache.load_record(book)["chapters/a.ipynb"]["inputs"]["data/a.csv"] == \
        exec_cache.EDITED_DURING_RUN
    assert refresh(book) == ["chapters/a.ipynb"]


def test_a_run_gone_from_the_cache_is_executed_again(book):
    refresh(book)
    shutil.rmtree(exec_cache.cache_dir(book) / "executed")
    (exec_cache.cache_dir(book) / "global.db").unlink()
    assert refresh(book) == [f"chapters/{n}.ipynb" for n in sorted(CHAPTERS)]


def test_a_record_of_an_older_format_counts_as_none(book):
    exec_cache.save_record({"chapters/a.ipynb": {"data/a.csv": "0" * 64}}, book)
    assert book / "chapters" / "a.ipynb" in exec_cache.stale_chapters(book)


# -- stored outputs (chapters/stored_outputs.json): a fresh clone executes only what changed ------
def store(root: Path, *names: str) -> None:
    """What `make outputs` does for these chapters (scripts/store_outputs.py)."""
    for name in names:
        store_outputs.execute_in_place(root / "chapters" / f"{name}.ipynb")


def test_a_fresh_clone_uses_the_stored_outputs_of_chapters_whose_inputs_are_unchanged(book):
    store(book, "a", "b")
    assert set(exec_cache.load_stored(book)) == {"chapters/a.ipynb", "chapters/b.ipynb"}
    # no _build: as a fresh clone
    assert refresh(book) == ["chapters/d.ipynb", "chapters/e.ipynb"]
    cache = get_cache(str(exec_cache.cache_dir(book)))
    for name in ("a", "b"):
        nb = nbformat.read(book / "chapters" / f"{name}.ipynb", as_version=4)
        _, merged = cache.merge_match_into_notebook(nb)  # KeyError if myst-nb would not match
        assert merged.cells[1].outputs == nb.cells[1].outputs  # the stored ones
    assert refresh(book) == []


def test_stored_outputs_are_not_used_once_an_input_or_the_code_changed(book):
    store(book, "a", "b", "e")
    append(book / "data" / "a.csv", "3\n")  # a's input; e reads a's notebook, unchanged on disk
    assert refresh(book) == ["chapters/a.ipynb", "chapters/d.ipynb"]
    nb = nbformat.read(book / "chapters" / "b.ipynb", as_version=4)
    nb.cells[1].outputs = []  # stored outputs edited by hand, or stripped
    nbformat.write(nb, book / "chapters" / "b.ipynb")
    shutil.rmtree(book / "_build")
    assert "chapters/b.ipynb" in refresh(book)


def test_a_prose_edit_keeps_the_stored_outputs_in_use(book):
    store(book, "a")
    edit_prose(book / "chapters" / "a.ipynb")
    assert "chapters/a.ipynb" not in refresh(book)


def test_asked_to_re_execute_it_executes_every_chapter(book):
    store(book, *CHAPTERS)
    assert refresh(book) == []
    executed = exec_cache.refresh(book, jobs=2, log=lambda _: None, check=lambda _: None,
                                  reexecute=True)
    assert sorted(executed) == [f"chapters/{n}.ipynb" for n in sorted(CHAPTERS)]


def test_storing_unchanged_outputs_again_changes_no_file(book):
    store(book, "a")
    before = (book / "chapters" / exec_cache.STORED.split("/")[-1]).read_bytes()
    notebook = (book / "chapters" / "a.ipynb").read_bytes()
    store(book, "a")
    assert (book / "chapters" / "stored_outputs.json").read_bytes() == before
    assert (book / "chapters" / "a.ipynb").read_bytes() == notebook


def test_every_chapter_of_the_book_has_current_stored_outputs():
    """The committed record says, for every chapter, that its stored outputs were made from its
    current code and inputs; so a fresh clone's build executes nothing (and nbval, in this
    suite, checks that executing each chapter gives exactly those outputs)."""
    stored = exec_cache.load_stored(ROOT)
    stale = [exec_cache.rel(nb) for nb in exec_cache.chapters()
             if not exec_cache.stored_outputs_current(nb, stored.get(exec_cache.rel(nb)))]
    assert not stale, (f"stored outputs not recorded as current: {stale}; run "
                       f"scripts/store_outputs.py {' '.join(stale)}")
