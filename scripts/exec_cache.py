"""Execute, before Sphinx reads them, exactly the chapters whose code or inputs changed
(`make html`, `make pdf`), in parallel, into Jupyter Book's execution cache.

Jupyter Book's execution cache (jupyter-cache) matches a notebook by the text of its code cells,
so a prose edit never re-executes a chapter; but the cache cannot see the files a chapter reads.
This script records them, and runs the build's work in three steps:

1. **Which chapters are stale.** A chapter is re-executed when the cache holds no run of its
   current code, or when a file it read at its last execution changed (or vanished). What a
   chapter read is *observed*, not guessed: each chapter runs with a Python audit hook that
   records every file the kernel opens for reading (``open``, ``io.open_code``: data files,
   other chapters' stored outputs, package modules) plus what ``geopandas.read_file`` reads
   (GDAL opens files in C, out of the hook's sight), and the ``aicluster`` modules it imported.
   Files under ``data/``, ``chapters/``, ``aicluster/`` ... of the repository count; outputs
   (``figures/``, ``_build/``) and the environment (``.venv``) do not. ``requirements.txt`` and ``apt.txt`` are
   an input of every chapter (a changed pin can change any result). For another chapter's
   notebook only its code cells and their outputs count, so a prose edit there re-executes
   nothing. The record is ``_build/.jupyter_cache/inputs.json``.
   A stale chapter is not executed when its **stored outputs** are current: the outputs
   committed in the notebook were made from its current code and inputs, as recorded by
   scripts/store_outputs.py in ``chapters/stored_outputs.json``. Its notebook goes into the cache
   as it is (as Quarto's ``freeze``), so a fresh clone executes only what changed since the
   outputs were stored; ``make test`` (nbval) checks that executing each chapter gives exactly
   those outputs. ``--all`` executes every chapter whatever is cached or stored.
2. **The data check, once.** Before any chapter runs, every file in ``data/`` is checked, each
   table on its own and the tables against each other (``aicluster.buildcheck.check_data``: the
   same checks, and the same file/row/column messages, as the Sphinx build's first step). Bad
   data stops here, before anything is executed or written. The chapters then run with
   ``AICLUSTER_CROSS_CHECKED_DATA`` naming that data folder, so that ``evidence.load_all`` loads
   each table (with its own checks) only when the chapter uses it, instead of re-reading and
   re-checking every table: a chapter depends on the tables it uses, not on all of them. With
   nothing stale this step is left to the Sphinx build, which runs it on every build anyway.
3. **Execution in parallel.** The stale chapters run on the machine's cores (longest first, by
   their last recorded time), each in its own kernel in the chapter's folder, with the options
   of ``_config.yml`` (timeout, no errors allowed); each executed notebook goes into the cache,
   where the Sphinx build then finds it (``execute_notebooks: cache``) instead of executing it
   one after the other. A chapter that raises stops the build with its traceback.

    python scripts/exec_cache.py               # check data, execute stale chapters, record inputs
    python scripts/exec_cache.py --jobs 1      # one chapter at a time
    python scripts/exec_cache.py --explain     # each chapter's recorded inputs
    python scripts/exec_cache.py --all         # execute every chapter
"""
from __future__ import annotations

import argparse
import ast
import asyncio
import hashlib
import json
import os
import sys
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
RECORD = "inputs.json"
# Parts of the repository a chapter's reads there do not depend on: its outputs and the
# environment. Everything else it reads is an input.
NOT_INPUTS = ("_build", ".venv", ".git", "figures", "__pycache__", ".ipynb_checkpoints")
# Inputs of every chapter: a changed pin, or a changed font package, can change any result.
ALWAYS = ("requirements.txt", "apt.txt")
# The committed record of the outputs stored in the chapters (scripts/store_outputs.py): each
# chapter's code, stored outputs and inputs when they were stored. A chapter whose code, outputs
# and inputs are still those is not executed: its stored outputs go into the cache as they are.
STORED = "chapters/stored_outputs.json"
# Scheduling only (results do not depend on it): with no recorded time (a cold build), these start
# first, since the parallel execution can end no sooner than its slowest chapter does (the
# point-pattern chapter's Monte Carlo tests take most of a cold build).
SLOW_FIRST = ("chapters/point_patterns.ipynb",)

# Runs silently in each chapter's kernel before its first cell (no output, no execution count).
# Audit hooks cannot be removed: the kernel ends with the chapter.
TRACE = r'''
def _aicluster_trace():
    import json, os, sys
    reads = set()

    def note(path):
        try:
            reads.add(os.path.abspath(os.fsdecode(os.fspath(path))))
        except TypeError:  # a file descriptor or a buffer: no path to note
            pass

    def hook(event, args):
        if event != "open":
            return
        try:
            path, mode, flags = args
            if isinstance(mode, str):
                writes = any(c in mode for c in "wax+")
            else:
                writes = bool((flags or 0) & (os.O_WRONLY | os.O_RDWR))
            if not writes:
                note(path)
        except Exception:
            pass

    sys.addaudithook(hook)

    def trace_geopandas(geopandas):  # GDAL opens files in C: note what read_file is given
        read_file = geopandas.read_file

        def traced_read_file(filename, *args, **kwargs):
            note(filename)
            return read_file(filename, *args, **kwargs)

        geopandas.read_file = traced_read_file

    class GeopandasFinder:  # patch geopandas when the chapter imports it (not before: a
        # chapter that does not use it should not pay for importing it)
        def find_spec(self, name, path=None, target=None):
            if name != "geopandas":
                return None
            sys.meta_path.remove(self)
            import importlib.util

            spec = importlib.util.find_spec(name)
            exec_module = spec.loader.exec_module

            def traced_exec_module(module):
                exec_module(module)
                trace_geopandas(module)

            spec.loader.exec_module = traced_exec_module
            return spec

    if "geopandas" in sys.modules:
        trace_geopandas(sys.modules["geopandas"])
    else:
        sys.meta_path.insert(0, GeopandasFinder())

    def report():
        modules = [m.__file__ for n, m in list(sys.modules.items())
                   if (n == "aicluster" or n.startswith("aicluster."))
                   and getattr(m, "__file__", None)]
        return json.dumps(sorted(reads | set(modules)))

    sys._aicluster_trace_report = report


_aicluster_trace()
del _aicluster_trace
'''
REPORT = "__import__('sys')._aicluster_trace_report()"


# -- the book's chapters and their recorded inputs ---------------------------------------------
def chapters(root: Path = ROOT) -> list[Path]:
    return sorted((root / "chapters").glob("*.ipynb"))


def rel(path: Path, root: Path = ROOT) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


def cache_dir(root: Path = ROOT) -> Path:
    return root / "_build" / ".jupyter_cache"


_DIGESTS: dict = {}  # (path, mtime, size) -> digest: chapters share inputs (the package modules)


def file_digest(path: Path) -> str | None:
    """SHA-256 of a file (None if it is gone); of a notebook, only its code cells and their
    outputs: what another chapter can read from it."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    if not path.is_file():
        return None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _DIGESTS:
        _DIGESTS[key] = _digest(path)
    return _DIGESTS[key]


def _digest(path: Path) -> str:
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_bytes())  # not nbformat: validating costs time on every build
        code = [{"source": _text(c["source"]), "outputs": c.get("outputs", [])}
                for c in nb["cells"] if c["cell_type"] == "code"]
        data = json.dumps(code, sort_keys=True, ensure_ascii=False).encode("utf-8")
    else:
        data = path.read_bytes()
    return hashlib.sha256(data).hexdigest()


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def code_digest(notebook: Path) -> str:
    """SHA-256 of what jupyter-cache matches a notebook by (the code cells' source and metadata,
    the kernelspec), and nothing else: while it is unchanged, so is the cache's match."""
    nb = json.loads(notebook.read_bytes())
    view = {"kernelspec": nb.get("metadata", {}).get("kernelspec"),
            "cells": [{"source": _text(c["source"]), "metadata": c.get("metadata", {})}
                      for c in nb["cells"] if c["cell_type"] == "code"]}
    return hashlib.sha256(json.dumps(view, sort_keys=True).encode("utf-8")).hexdigest()


def inputs_of(reads: list[str], notebook: Path, root: Path = ROOT) -> list[Path]:
    """The files among `reads` (absolute paths a chapter read) that are inputs: inside the
    repository, not outputs or environment, not the notebook itself; plus ALWAYS."""
    found = {root / name for name in ALWAYS}
    top = root.resolve()
    for text in reads:
        path = Path(text)
        try:
            parts = path.resolve().relative_to(top).parts
        except ValueError:
            continue  # outside the repository: the Python environment, fonts, /tmp
        if (not parts or parts[0] in NOT_INPUTS or "__pycache__" in parts
                or not path.is_file() or path.resolve() == notebook.resolve()):
            continue
        found.add(top.joinpath(*parts))
    return sorted(found)


def load_record(root: Path = ROOT) -> dict:
    path = cache_dir(root) / RECORD
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def save_record(record: dict, root: Path = ROOT) -> None:
    cache_dir(root).mkdir(parents=True, exist_ok=True)
    text = json.dumps(record, indent=1, sort_keys=True) + "\n"
    tmp = cache_dir(root) / (RECORD + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, cache_dir(root) / RECORD)


def changed_inputs(entry: dict | None, root: Path = ROOT) -> list[str] | None:
    """The recorded inputs whose content changed (None: nothing recorded)."""
    if not entry or "inputs" not in entry:  # none, or recorded by an older exec_cache.py
        return None
    return [name for name, digest in entry["inputs"].items()
            if file_digest(root / name) != digest]


# -- the stored outputs (committed) ------------------------------------------------------------
def load_stored(root: Path = ROOT) -> dict:
    path = root / STORED
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def save_stored(stored: dict, root: Path = ROOT) -> None:
    text = json.dumps(stored, indent=1, sort_keys=True) + "\n"
    tmp = root / (STORED + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, root / STORED)


def stored_entry(run: "Run", root: Path = ROOT, previous: dict | None = None) -> dict:
    """What scripts/store_outputs.py records for a chapter whose executed notebook it has just
    written: its code, its stored outputs, its inputs (as the run found them) and the run's
    seconds. If only the seconds differ from `previous`, `previous` is kept, so that storing
    unchanged outputs again changes no file."""
    entry = {"code": run.code, "outputs": file_digest(run.notebook),
             "inputs": {rel(p, root): _digest_since(p, run.started_ns)
                        for p in inputs_of(run.reads, run.notebook, root)},
             "seconds": round(run.seconds, 1)}
    if previous and {k: v for k, v in previous.items() if k != "seconds"} == {
            k: v for k, v in entry.items() if k != "seconds"}:
        return previous
    return entry


def stored_outputs_current(notebook: Path, entry: dict | None, root: Path = ROOT) -> bool:
    """The chapter's stored outputs are what executing it now would give: its code, its stored
    outputs and every input are as they were when the outputs were stored. (That executing it
    gives those outputs, byte for byte, is what `make test` checks with nbval.)"""
    return bool(entry) and (entry.get("code") == code_digest(notebook)
                            and entry.get("outputs") == file_digest(notebook)
                            and changed_inputs(entry, root) == [])


def _adopt_stored(cache, notebook: Path, entry: dict, root: Path) -> dict:
    """Put the chapter with its stored outputs into the cache, as if just executed."""
    from jupyter_cache.base import CacheBundleIn
    import nbformat

    cached = cache.cache_notebook_bundle(
        CacheBundleIn(nbformat.read(notebook, as_version=4), str(notebook.resolve()),
                      data={"execution_seconds": entry["seconds"]}),
        check_validity=False, overwrite=True)
    return {"inputs": entry["inputs"], "seconds": entry["seconds"],
            "cache_key": cached.hashkey, "code": entry["code"]}


def _cached(cache, notebook: Path) -> bool:
    import nbformat

    try:
        cache.match_cache_notebook(nbformat.read(notebook, as_version=4))
    except KeyError:
        return False
    return True


def stale_chapters(root: Path = ROOT, notebooks: list[Path] | None = None) -> dict[Path, str]:
    """The chapters to execute, each with the reason."""
    notebooks = chapters(root) if notebooks is None else notebooks
    record, cache = load_record(root), None
    stale = {}
    for nb in notebooks:
        entry = record.get(rel(nb, root))
        changed = changed_inputs(entry, root)
        if changed is None:
            stale[nb] = "no recorded run"
        elif changed:
            stale[nb] = "changed: " + ", ".join(changed)
        elif not _still_cached(entry, nb, root):
            # the code changed since the recorded run: ask the cache itself (slower to open)
            cache = cache or _open_cache(root)
            if cache is None or not _cached(cache, nb):
                stale[nb] = "its code changed (or no cached run)"
    return stale


def _still_cached(entry: dict, notebook: Path, root: Path) -> bool:
    """The recorded run is still the cache's match: same code, and its entry still there."""
    key = entry.get("cache_key")
    return (bool(key) and entry.get("code") == code_digest(notebook)
            and (cache_dir(root) / "executed" / key / "base.ipynb").is_file())


def _open_cache(root: Path):
    if not (cache_dir(root) / "global.db").exists():
        return None
    from jupyter_cache import get_cache

    return get_cache(str(cache_dir(root)))


# -- execution ---------------------------------------------------------------------------------
class Run:
    """One chapter's execution: the executed notebook, what it read, its time or its error."""

    def __init__(self, notebook: Path):
        self.notebook = notebook
        self.nb = None  # the executed notebook (nbformat)
        self.reads: list[str] = []
        self.seconds = 0.0
        self.error: str | None = None
        self.started_ns = time.time_ns()
        self.code = ""


def _timeout(nb, root: Path) -> int:
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) or {}
    timeout = (config.get("execute") or {}).get("timeout", 30)
    # as myst-nb (jupyter-cache's meta_override): a notebook may set its own
    return nb.metadata.get("execution", {}).get("timeout", timeout)


async def _silent(client, code: str, expressions: dict | None = None) -> dict:
    msg_id = client.kc.execute(code, silent=True, store_history=False,
                               user_expressions=expressions or {})
    reply = await client.async_wait_for_reply(msg_id)
    content = reply["content"]
    if content["status"] != "ok":
        raise RuntimeError(f"tracing failed: {content.get('ename')}: {content.get('evalue')}")
    return content


async def execute_traced(notebook: Path, root: Path = ROOT) -> Run:
    """Execute `notebook` as myst-nb would (in its folder, errors not allowed), noting what it
    reads; the executed notebook has no trace of the tracing."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = nbformat.read(notebook, as_version=4)
    run = Run(notebook)
    run.code = code_digest(notebook)
    client = NotebookClient(nb, timeout=_timeout(nb, root), allow_errors=False,
                            record_timing=False,
                            resources={"metadata": {"path": str(notebook.parent)}})
    t0 = time.perf_counter()
    try:
        client.reset_execution_trackers()
        async with client.async_setup_kernel():
            info = await client.async_wait_for_reply(client.kc.kernel_info())
            nb.metadata["language_info"] = info["content"]["language_info"]
            await _silent(client, TRACE)
            for index, cell in enumerate(nb.cells):
                await client.async_execute_cell(
                    cell, index, execution_count=client.code_cells_executed + 1)
            content = await _silent(client, "", {"reads": REPORT})
            client.set_widgets_metadata()
        reads = content["user_expressions"]["reads"]
        if reads.get("status") != "ok":
            raise RuntimeError(f"tracing failed: {reads}")
        # text/plain is the repr of the JSON string report() returns
        run.reads = json.loads(ast.literal_eval(reads["data"]["text/plain"]))
        run.nb = nb
    except (CellExecutionError, CellTimeoutError, RuntimeError) as err:
        run.error = str(err)
    run.seconds = round(time.perf_counter() - t0, 2)
    return run


async def execute_all(notebooks: list[Path], jobs: int, root: Path = ROOT, on_done=None):
    """Execute `notebooks`, at most `jobs` at a time; call on_done(run) as each finishes."""
    slots = asyncio.Semaphore(max(1, jobs))

    async def one(path: Path) -> Run:
        async with slots:
            run = await execute_traced(path, root)
        if on_done is not None:
            on_done(run)
        return run

    return await asyncio.gather(*(one(p) for p in notebooks))


def _store(cache, run: Run, root: Path) -> dict:
    from jupyter_cache.base import CacheBundleIn

    cached = cache.cache_notebook_bundle(
        CacheBundleIn(run.nb, str(run.notebook.resolve()),
                      data={"execution_seconds": run.seconds}),
        check_validity=False, overwrite=True)
    return {"inputs": {rel(p, root): _digest_since(p, run.started_ns)
                       for p in inputs_of(run.reads, run.notebook, root)},
            "seconds": run.seconds, "cache_key": cached.hashkey, "code": run.code}


EDITED_DURING_RUN = "edited while the chapter ran"


def _digest_since(path: Path, started_ns: int) -> str | None:
    """The file's digest; but a file changed after the chapter started may not be what it read,
    so it is recorded as such, and the chapter runs again at the next build."""
    if path.exists() and path.stat().st_mtime_ns >= started_ns:
        return EDITED_DURING_RUN
    return file_digest(path)


def _remove_cached(cache, notebooks: list[Path]) -> None:
    names = {nb.resolve() for nb in notebooks}
    for record in cache.list_cache_records():
        if Path(record.uri).resolve() in names:
            cache.remove_cache(record.pk)


class BuildStopped(SystemExit):
    pass


def check_data(root: Path = ROOT) -> None:
    """The whole data check (aicluster.buildcheck), or stop with its file/row/column message."""
    sys.path.insert(0, str(ROOT))
    from aicluster import buildcheck
    from aicluster.evidence import EvidenceError

    from aicluster.evidence import CROSS_CHECKED_ENV

    try:
        for note in buildcheck.check_data(root / "data"):
            print(f"[data check] {note}")
    except EvidenceError as err:
        raise BuildStopped(f"Bad input in data/ (no chapter was executed):\n{err}\n"
                           "Fix the data file(s) named above and build again.") from None
    # The chapters' kernels (started by this process) may now load each table on its own when
    # first used, without re-checking the tables against each other (aicluster.evidence.load_all).
    os.environ[CROSS_CHECKED_ENV] = str((root / "data").resolve())


def _expected_seconds(record: dict, name: str) -> float:
    if "seconds" in record.get(name, {}):
        return record[name]["seconds"]
    return 1e9 if name in SLOW_FIRST else 1e6  # unknown: before the known, slowest first


def refresh(root: Path = ROOT, jobs: int | None = None, log=print, check=check_data,
            notebooks: list[Path] | None = None, reexecute: bool = False) -> list[str]:
    """Bring the cache up to date for `notebooks` (default: every chapter): take the stored
    outputs of the stale chapters whose stored outputs are current; check the data and execute
    the others in parallel; return the chapters executed. With `reexecute`, execute every one of
    `notebooks`, whatever is cached or stored. Raises BuildStopped on bad data or a failing
    chapter."""
    if reexecute:
        stale = {nb: "asked to re-execute" for nb in
                 (chapters(root) if notebooks is None else notebooks)}
    else:
        stale = stale_chapters(root, notebooks)
    if not stale:
        log("execution cache: nothing to execute (no chapter's code or inputs changed)")
        return []
    record = load_record(root)
    stored = {} if reexecute else load_stored(root)
    adopt = [nb for nb in stale if stored_outputs_current(nb, stored.get(rel(nb, root)), root)]
    order = sorted((nb for nb in stale if nb not in adopt),
                   key=lambda nb: _expected_seconds(record, rel(nb, root)), reverse=True)
    if order:
        check(root)  # bad data stops the build here, before anything is written
    from jupyter_cache import get_cache

    cache_dir(root).mkdir(parents=True, exist_ok=True)
    cache = get_cache(str(cache_dir(root)))
    _remove_cached(cache, list(stale))
    for nb in adopt:
        record[rel(nb, root)] = _adopt_stored(cache, nb, stored[rel(nb, root)], root)
        log(f"execution cache: use the stored outputs of {rel(nb, root)} (its code and inputs "
            f"are those they were stored from, {STORED})")
    save_record(record, root)
    if not order:
        return []
    for nb in order:
        log(f"execution cache: execute {rel(nb, root)} ({stale[nb]})")
    failed = []

    def done(run: Run) -> None:
        if run.error is not None:
            failed.append(run)
            log(f"execution cache: {rel(run.notebook, root)} FAILED after {run.seconds} s")
            return
        record[rel(run.notebook, root)] = _store(cache, run, root)
        save_record(record, root)
        log(f"execution cache: executed {rel(run.notebook, root)} in {run.seconds} s")

    jobs = jobs or os.cpu_count() or 1
    asyncio.run(execute_all(order, jobs, root, on_done=done))
    if failed:
        raise BuildStopped("\n\n".join(
            f"A chapter raised an error while it was executed (the build stopped): "
            f"{rel(run.notebook, root)}\n{run.error}" for run in failed))
    return [rel(nb, root) for nb in order]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=None, help="chapters at a time (default: cores)")
    ap.add_argument("--explain", action="store_true", help="print each chapter's recorded inputs")
    ap.add_argument("--all", action="store_true", dest="reexecute",
                    help="execute every chapter, whatever is cached or stored")
    args = ap.parse_args(argv)
    if args.explain:
        record = load_record()
        for nb in chapters():
            entry = record.get(rel(nb))
            print(rel(nb) + ("" if entry else "  (not recorded yet)"))
            for name in (entry or {}).get("inputs", {}):
                print("   ", name)
        return
    executed = refresh(jobs=args.jobs, reexecute=args.reexecute)
    print("execution cache: executed " + (", ".join(executed) if executed else "nothing"))


if __name__ == "__main__":
    main()
