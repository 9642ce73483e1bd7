"""The point-pattern chapter's five-seed check, stored in benchmarks/pointpattern_seeds.json
(aicluster.seedcheck, scripts/seed_check.py): the file refuses other inputs with a message that
names the command to regenerate it, and a fresh run of the five seeds reproduces it (slow: the
whole family of tests five times, about a minute and a half of CPU, in parallel processes)."""
import importlib
import json

import numpy as np
import pytest
from shapely.geometry import box

from aicluster import seedcheck
from conftest import ROOT, load_module

DATA = {"locations": np.array([[0.0, 0.0], [1.0, 2.0]]), "haidian": box(0, 0, 5, 5)}
PARAMS = {"nsim": 999, "seeds": (1, 2)}
SEED1 = {"ce_core": [0.3, "retain"]}


def test_key_changes_with_the_data_the_parameters_and_seed_1():
    k = seedcheck.key(DATA, PARAMS, SEED1)
    assert k == seedcheck.key(dict(DATA), dict(PARAMS), dict(SEED1))
    moved = {**DATA, "locations": DATA["locations"] + 1e-9}
    assert seedcheck.key(moved, PARAMS, SEED1) != k
    assert seedcheck.key({**DATA, "haidian": box(0, 0, 5, 6)}, PARAMS, SEED1) != k
    assert seedcheck.key(DATA, {**PARAMS, "nsim": 99}, SEED1) != k
    assert seedcheck.key(DATA, PARAMS, {"ce_core": [0.31, "retain"]}) != k


def test_load_refuses_a_stale_or_missing_file_and_names_the_command(tmp_path):
    path = tmp_path / "seeds.json"
    with pytest.raises(RuntimeError, match="missing: run `python scripts/seed_check.py`"):
        seedcheck.load("abc", path)
    seedcheck.save({1: SEED1, 2: SEED1}, "abc", path)
    assert seedcheck.load("abc", path) == {1: SEED1, 2: SEED1}
    with pytest.raises(RuntimeError, match="other data, parameters or code.*seed_check.py"):
        seedcheck.load("abd", path)
    assert json.loads(path.read_text(encoding="utf-8"))["regenerate"] == seedcheck.REGENERATE


def test_family_code_is_the_chapters_definition_without_its_runs():
    code = load_module("scripts/seed_check.py").family_code()
    assert "def run_family(" in code and "def seed_check_key(" in code
    assert "tests = run_family(1)" not in code and "seedcheck.load(" not in code


def test_a_fresh_run_of_the_five_seeds_reproduces_the_stored_file(monkeypatch):
    # imported by name, so that the worker processes find its functions
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    script = importlib.import_module("seed_check")
    key, records = script.compute()
    assert seedcheck.load(key) == records  # raises, naming the command, if the key is stale
    assert sorted(records) == [1, 2, 3, 4, 5]


def test_code_fingerprint_ignores_comments_and_docstrings_but_not_code():
    code = 'def f(x):\n    """Twice x."""\n    return 2 * x  # double\n'
    same = 'def f(x):\n    # no docstring\n    return 2 * x\n'
    other = 'def f(x):\n    """Twice x."""\n    return 3 * x\n'
    fp = seedcheck.code_fingerprint
    assert fp(code) == fp(same) != fp(other)
