"""`make outputs` (scripts/store_outputs.py) survives a kill at any moment, and runs the chapters
in an order that recovers from stripped outputs (the discussion after what it cites).

The kill test runs store_outputs in a child process whose file writes stop half-way (the first
half of the data is written and flushed, then the process sleeps) and kills it there with
SIGKILL: the worst moment for a writer that truncates the target first. The notebook must be
intact, byte for byte, and the next run must succeed and clear the leftover temporary file.
"""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from aicluster import atomic, paths

ROOT = paths.ROOT

# Runs store_outputs.main on argv[2] with io.open patched: a file opened for writing in the
# notebook's folder writes half of what it is given, flushes, creates argv[1] (so the test
# knows) and sleeps until killed.
STALLING_WRITER = r"""
import io, os, sys, time, builtins
from pathlib import Path
marker = Path(sys.argv[1])
real_open = io.open

class Stalling:
    def __init__(self, fh): self._fh = fh
    def write(self, data):
        self._fh.write(data[: len(data) // 2]); self._fh.flush()
        marker.write_text("stalled")
        time.sleep(600)
    def __getattr__(self, name): return getattr(self._fh, name)
    def __enter__(self): return self
    def __exit__(self, *exc): return self._fh.__exit__(*exc)

watched = str(Path(sys.argv[2]).resolve().parent)  # the notebook's folder

def stalling_open(file, mode="r", *args, **kwargs):
    fh = real_open(file, mode, *args, **kwargs)
    name = os.readlink(f"/proc/self/fd/{file}") if isinstance(file, int) else str(
        Path(file).resolve())
    if any(m in mode for m in "wax") and name.startswith(watched + "/"):
        return Stalling(fh)
    return fh

sys.path.insert(0, sys.argv[3])
import importlib.util
spec = importlib.util.spec_from_file_location("store_outputs", sys.argv[3] + "/scripts/store_outputs.py")
store = importlib.util.module_from_spec(spec); spec.loader.exec_module(store)
io.open = stalling_open
builtins.open = stalling_open
store.main([sys.argv[2]])
"""


def _store_outputs():
    spec = importlib.util.spec_from_file_location("store_outputs",
                                                  ROOT / "scripts" / "store_outputs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _small_notebook(path: Path) -> bytes:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('x' * 1000)"),
                                         nbformat.v4.new_code_cell("21 * 2")])
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nbformat.write(nb, path)
    return path.read_bytes()


def test_a_kill_in_the_middle_of_the_write_leaves_the_notebook_intact(tmp_path):
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    notebook = chapters / "small.ipynb"
    before = _small_notebook(notebook)
    marker = tmp_path / "stalled"
    script = tmp_path / "stalling.py"
    script.write_text(STALLING_WRITER, encoding="utf-8")
    child = subprocess.Popen([sys.executable, str(script), str(marker), str(notebook), str(ROOT)],
                             cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while not marker.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "store_outputs never reached its write"
            time.sleep(0.1)
    finally:
        os.kill(child.pid, signal.SIGKILL)  # the child we started, by its id
        child.wait()
    assert notebook.read_bytes() == before, "the kill left a changed or truncated notebook"
    nbformat.validate(nbformat.reads(notebook.read_text(encoding="utf-8"), as_version=4))
    leftovers = list(chapters.glob(".small.ipynb.*.tmp"))
    assert leftovers, "the write was not interrupted (the test did not test anything)"

    # The next run completes, and clears what the killed one left behind.
    subprocess.run([sys.executable, str(ROOT / "scripts" / "store_outputs.py"), str(notebook)],
                   cwd=tmp_path, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    assert "".join(nb["cells"][1]["outputs"][0]["data"]["text/plain"]) == "42"
    assert list(chapters.glob(".*.tmp")) == []


def test_atomic_write_replaces_or_keeps_and_keeps_the_mode(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    atomic.write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "new" and (target.stat().st_mode & 0o777) == 0o640

    with pytest.raises(TypeError):
        atomic.write_bytes(target, "not bytes")  # fails while writing the temporary file
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"], "a temporary file was left"


def test_figures_are_written_atomically(tmp_path, monkeypatch):
    from aicluster import style
    calls = []
    monkeypatch.setattr(atomic, "write_bytes", lambda path, data: calls.append(path))
    style.write_if_changed(tmp_path / "fig.png", b"png")
    assert calls == [tmp_path / "fig.png"]


# -- order -------------------------------------------------------------------------------------
def test_make_outputs_runs_the_discussion_after_every_chapter_it_cites():
    from aicluster import discussion

    order = [p.name for p in _store_outputs().book_order()]
    cited = {r.notebook for r in discussion.cited_results(discussion.DRIVERS)}
    assert cited, "the discussion cites no chapter result"
    for name in cited:
        assert order.index(name) < order.index("discussion.ipynb"), (name, order)
    assert sorted(order) == sorted(p.name for p in (ROOT / "chapters").glob("*.ipynb"))


def test_the_discussion_cannot_run_before_the_chapters_it_cites(tmp_path):
    """Why the order matters: with the cited chapters' outputs stripped, the discussion's check
    of what it cites fails (so `make outputs` from stripped outputs needs the book order)."""
    from aicluster import discussion, evidence

    claims = evidence.load_claims()
    discussion.check(discussion.DRIVERS, claims, ROOT / "chapters")  # stored outputs: fine
    for path in (ROOT / "chapters").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        nbformat.write(nb, tmp_path / path.name)
    with pytest.raises(ValueError, match="glues no"):
        discussion.check(discussion.DRIVERS, claims, tmp_path)


def test_make_outputs_recovers_from_stripped_outputs(tmp_path):
    """End to end, on a copy of the book: every notebook stripped of its outputs, then
    store_outputs.py with no arguments (what `make outputs` runs) stores them all again -- the
    discussion included, whose check of the results it cites reads the other chapters' fresh
    outputs -- and they equal the committed ones (the run is deterministic)."""
    spec = importlib.util.spec_from_file_location("bookcopy", ROOT / "benchmarks" / "bookcopy.py")
    bookcopy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bookcopy)
    root = bookcopy.copy_book(tmp_path / "book")
    notebooks = sorted((root / "chapters").glob("*.ipynb"))
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(nb, path)
    result = subprocess.run([sys.executable, "scripts/store_outputs.py"], cwd=root,
                            env=bookcopy.build_env(root), capture_output=True, text=True,
                            timeout=3600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    for path in notebooks:
        stored = (ROOT / "chapters" / path.name).read_text(encoding="utf-8")
        assert path.read_text(encoding="utf-8") == stored, (
            f"{path.name}: outputs stored from scratch differ from the committed ones")
