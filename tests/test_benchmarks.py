"""The benchmark's parts (no timings are asserted): the baseline book, the results file and the
appendix page generated from it."""
from __future__ import annotations

import importlib.util
import json
import sys

import nbformat
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
spec = importlib.util.spec_from_file_location("bench_build", ROOT / "benchmarks" / "bench_build.py")
bench_build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_build)
bookcopy = bench_build.bookcopy


def test_toc_files_follow_the_table_of_contents():
    files = bookcopy.toc_files(ROOT)
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    assert files[0].stem == "intro"
    for path in files[1:]:
        assert f"file: {path.relative_to(ROOT).with_suffix('').as_posix()}" in toc
    assert ROOT / "chapters" / "study_area.ipynb" in files
    # The benchmarks are for contributors: docs/benchmarks.md, not a page of the book.
    assert not any("bench" in p.name for p in files)


def test_baseline_book_keeps_toc_and_titles_and_only_passes(tmp_path):
    root = bookcopy.copy_book(tmp_path / "book")
    assert not (root / "_build").exists() and not (root / ".git").exists()
    titles = {p: bookcopy.notebook_title(p) for p in bookcopy.toc_notebooks(root)}
    assert titles, "no notebook in the table of contents"
    replaced = bookcopy.make_baseline(root)
    assert set(replaced) == set(titles)
    for path in replaced:
        nb = nbformat.read(path, as_version=4)
        assert [c.source for c in nb.cells] == [
            f"# {titles[path]}", f"pass  # baseline for {path.relative_to(root).as_posix()}"]
    assert (root / "_toc.yml").read_bytes() == (ROOT / "_toc.yml").read_bytes()
    assert (root / "_config.yml").read_bytes() == (ROOT / "_config.yml").read_bytes()


def test_missing_toc_file_is_reported(tmp_path):
    root = bookcopy.copy_book(tmp_path / "book")
    (root / "chapters" / "glossary.md").unlink()
    with pytest.raises(FileNotFoundError, match="glossary"):
        bookcopy.toc_files(root)


@pytest.fixture(scope="module")
def results():
    path = ROOT / "benchmarks" / "results.json"
    if not path.exists():
        pytest.fail("benchmarks/results.json is missing: run `make bench`")
    return json.loads(path.read_text(encoding="utf-8"))


def test_results_describe_the_machine_and_the_ratios(results):
    assert {"cpu", "logical_cpus", "ram_gib", "os", "python"} <= set(results["machine"])
    assert len(results["load_before"]) == 3 and len(results["load_after"]) == 3
    assert set(results["build"]["ratios"]) == {"cold_html", "reexecute_html", "warm_html", "pdf"}
    for kind, ratio in results["build"]["ratios"].items():
        book = results["build"]["book"][kind]["seconds"]
        base = results["build"]["baseline"][kind]["seconds"]
        assert ratio == round(book / base, 2), kind
    # Not compared with today's _toc.yml: chapters added since the last `make bench` are simply
    # not measured yet (the page says when it was measured).
    assert results["pages"] and all(p["requests_outside"] == [] for p in results["pages"])


def test_appendix_page_is_generated_from_the_results(results):
    page = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert page == bench_build.render(results), (
        "docs/benchmarks.md is stale: python benchmarks/bench_build.py --render")


def test_recorded_edit_scenarios_re_executed_only_what_they_should(results):
    """What the last `make bench` measured (not timings): a prose edit re-executed no chapter;
    a data edit exactly the chapters recorded as reading the file, and not every chapter."""
    edits = results["edits"]
    prose = edits["edit one chapter's prose"]
    assert prose["returncode"] == 0 and prose["re_executed"] == []
    every = set(results["build"]["book"]["reexecute_html"]["executed"])
    for name, edit in edits.items():
        if edit["edited"].startswith("data/"):
            assert edit["returncode"] == 0, name
            assert edit["re_executed"] == edit["readers"] != [], name
            assert set(edit["readers"]) < every, name


def test_the_recorded_cold_build_executed_nothing_whose_stored_outputs_were_current(results):
    """A fresh clone executes only chapters whose stored outputs are stale; in the measured run
    (stored outputs current, as a test checks for the committed ones) none was executed, and the
    re-executed build did execute every chapter."""
    book = results["build"]["book"]
    assert book["cold_html"]["executed"] == {}
    assert sorted(book["cold_html"]["stored_used"]) == sorted(book["reexecute_html"]["executed"])
