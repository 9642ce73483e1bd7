"""scripts/exec_cache.py: each chapter's inputs are detected, and a build re-executes exactly the
chapters whose inputs changed; a prose edit re-executes nothing (the cache matches code only)."""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache

from conftest import ROOT

spec = importlib.util.spec_from_file_location("exec_cache", ROOT / "scripts" / "exec_cache.py")
exec_cache = importlib.util.module_from_spec(spec)
spec.loader.exec_module(exec_cache)
CH = ROOT / "chapters"


def rel(paths):
    return {p.relative_to(ROOT).as_posix() for p in paths}


def test_inputs_follow_imports_data_names_and_other_chapters():
    study = rel(exec_cache.inputs(CH / "study_area.ipynb"))
    assert {"aicluster/geo.py", "aicluster/paths.py", "data/beijing_districts.geojson",
            "data/district_areas_official.csv", "requirements.txt"} <= study
    # study_area reads the official areas through the checked evidence loader, which checks the
    # tables together, so it depends on every data file; it still imports no chapter module.
    assert "aicluster/westbeijing.py" not in study and "aicluster/pointpattern.py" not in study
    mentougou = rel(exec_cache.inputs(CH / "mentougou.ipynb"))
    assert {"aicluster/evidence.py", "aicluster/westbeijing.py", "data/claims.csv"} <= mentougou
    discussion = rel(exec_cache.inputs(CH / "discussion.ipynb"))
    assert {"chapters/point_patterns.ipynb", "chapters/mentougou.ipynb"} <= discussion


def _cache_all(cache_dir):
    cache = get_cache(str(cache_dir))
    for nb in exec_cache.chapters():
        cache.cache_notebook_file(str(nb), check_validity=False, overwrite=True)
    return cache


def _cached(cache):
    return sorted(rel([ROOT / r.uri for r in cache.list_cache_records()]))


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory):
    """A cache holding every chapter, with its inputs recorded (as after a build)."""
    d = tmp_path_factory.mktemp("warm") / "cache"
    _cache_all(d)
    exec_cache.clear_stale(d)  # first call: nothing recorded yet, so every chapter re-executes
    assert _cached(get_cache(str(d))) == []
    _cache_all(d)
    assert exec_cache.clear_stale(d) == []  # nothing changed since
    return d


@pytest.fixture
def cache_dir(warm_cache, tmp_path):
    return Path(shutil.copytree(warm_cache, tmp_path / "cache"))


def test_an_edited_data_file_re_executes_exactly_the_chapters_that_read_it(cache_dir, monkeypatch):
    real = exec_cache.digest

    def edited(paths):  # as if data/claims.csv had been edited
        return {k: ("edited" if k == "data/claims.csv" else v) for k, v in real(paths).items()}

    monkeypatch.setattr(exec_cache, "digest", edited)
    readers = sorted(nb.relative_to(ROOT).as_posix() for nb in exec_cache.chapters()
                     if ROOT / "data/claims.csv" in exec_cache.inputs(nb))
    assert readers  # today every chapter reads data through the loader that checks all tables
    assert sorted(exec_cache.clear_stale(cache_dir)) == readers
    everyone = {nb.relative_to(ROOT).as_posix() for nb in exec_cache.chapters()}
    assert _cached(get_cache(str(cache_dir))) == sorted(everyone - set(readers))


def test_an_edited_module_re_executes_its_importers_only(cache_dir, monkeypatch):
    real = exec_cache.digest
    monkeypatch.setattr(exec_cache, "digest", lambda paths: {
        k: ("edited" if k == "aicluster/westbeijing.py" else v) for k, v in real(paths).items()})
    stale = exec_cache.clear_stale(cache_dir)
    assert "chapters/mentougou.ipynb" in stale and "chapters/study_area.ipynb" not in stale


def test_a_prose_edit_keeps_the_cached_run(cache_dir):
    cache = get_cache(str(cache_dir))
    nb = nbformat.read(CH / "study_area.ipynb", as_version=4)
    first_md = next(c for c in nb.cells if c.cell_type == "markdown")
    first_md.source += "\n\nAn added sentence."
    assert cache.match_cache_notebook(nb) is not None
    code = next(c for c in nb.cells if c.cell_type == "code" and c.id != "book-setup")
    code.source += "\nx = 1"
    with pytest.raises(KeyError):
        cache.match_cache_notebook(nb)
