"""aicluster.evidence.load_all inside the book's build: the build (scripts/exec_cache.py) checks
all tables together first, then lets the chapters load each table, with its own checks, only
when they use it. Outside the build (and for any other data folder) load_all is unchanged."""
from __future__ import annotations

import shutil

import pytest

from aicluster import evidence
from conftest import ROOT


@pytest.fixture
def data(tmp_path):
    return shutil.copytree(ROOT / "data", tmp_path / "data")


def _replace(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_outside_the_build_load_all_checks_the_tables_together(data, monkeypatch):
    monkeypatch.delenv(evidence.CROSS_CHECKED_ENV, raising=False)
    _replace(data / "claims.csv", ",S001,", ",S009,")
    with pytest.raises(evidence.EvidenceError, match="'S009' is not a known source id"):
        evidence.load_all(data)


def test_another_folder_than_the_checked_one_is_checked_in_full(data, tmp_path, monkeypatch):
    monkeypatch.setenv(evidence.CROSS_CHECKED_ENV, str(tmp_path / "elsewhere"))
    _replace(data / "claims.csv", ",S001,", ",S009,")
    with pytest.raises(evidence.EvidenceError, match="'S009' is not a known source id"):
        evidence.load_all(data)


def test_in_the_build_each_table_is_loaded_and_checked_when_used(data, monkeypatch):
    monkeypatch.setenv(evidence.CROSS_CHECKED_ENV, str(data))
    full = evidence.load_all(ROOT / "data")  # not the checked folder: loaded in full
    assert isinstance(full, evidence.Evidence)
    _replace(data / "events.csv", "\n", "\n\n")  # an empty row: events.csv is bad on its own
    ev = evidence.load_all(data)
    assert not isinstance(ev, evidence.Evidence)
    for name in ("sources", "claims", "places"):  # what a chapter uses loads and is typed
        assert getattr(ev, name).equals(getattr(full, name))
    with pytest.raises(evidence.EvidenceError, match=r"events\.csv, row 2: row is empty"):
        ev.events  # noqa: B018  (the bad table still fails, with file and row, when used)
    with pytest.raises(AttributeError):
        ev.not_a_table  # noqa: B018
