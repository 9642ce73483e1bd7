"""Execute chapter notebooks and store their outputs in place, deterministically (`make outputs`).

nbval compares these stored outputs with a fresh run, so they must not carry anything that
changes between runs: no execution timings (record_timing=False), stable metadata, and the
same JSON formatting every time. Running this twice leaves `git status` clean.

Each chapter is executed as the build executes it (scripts/exec_cache.py), and what it read is
recorded with its code and stored outputs in chapters/stored_outputs.json (committed): a build
from a fresh clone then uses the stored outputs of every chapter whose code and inputs are still
those, instead of executing it (as Quarto's `freeze`); `make test` re-executes every chapter and
compares (nbval).

Safe to interrupt: each notebook is executed in memory and then written atomically (a temporary
file in chapters/, moved over the notebook), so a kill at any moment leaves every notebook either
as it was or fully updated, never truncated. Temporary files a kill left behind are removed at
the next run.

Order: the book's order (_toc.yml), which puts every chapter before the discussion that pastes
its results (the discussion checks the stored outputs of the chapters it cites, so it must run
after them: with stripped outputs, running everything in this order recovers them).
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from aicluster import atomic  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
import exec_cache  # noqa: E402


class ChapterFailed(SystemExit):
    pass


def book_root(path: Path) -> Path:
    """The book a notebook belongs to: this repository, or the folder that holds its folder."""
    return ROOT if path.is_relative_to(ROOT.resolve()) else path.parent.parent


def execute_in_place(path: Path) -> None:
    """Execute the chapter as the build does (scripts/exec_cache.py: in its folder, errors not
    allowed, what it reads observed), store its outputs, and record them with its code and
    inputs in chapters/stored_outputs.json."""
    path = path.resolve()
    root = book_root(path)
    run = asyncio.run(exec_cache.execute_traced(path, ROOT))  # ROOT: the build's options
    if run.error is not None:
        raise ChapterFailed(f"{exec_cache.rel(path, root)} raised an error; its stored outputs "
                            f"are unchanged:\n{run.error}")
    nb = run.nb
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    if path.read_text(encoding="utf-8") != text:
        atomic.write_text(path, text)
        print(f"updated {path}")
    else:
        print(f"unchanged {path}")
    stored = exec_cache.load_stored(root)
    name = exec_cache.rel(path, root)
    stored[name] = exec_cache.stored_entry(run, root, previous=stored.get(name))
    exec_cache.save_stored(stored, root)


def book_order(root: Path = ROOT) -> list[Path]:
    """The chapter notebooks in the order of _toc.yml (then any others, by name)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])]
    ordered = [root / f"{f}.ipynb" for f in files if (root / f"{f}.ipynb").is_file()]
    rest = sorted(p for p in (root / "chapters").glob("*.ipynb") if p not in ordered)
    return ordered + rest


def remove_stale_temporaries(directory: Path) -> None:
    for tmp in directory.glob(".*.ipynb.*.tmp"):
        tmp.unlink(missing_ok=True)


def main(argv: list[str]) -> None:
    paths = [Path(p) for p in argv] or [p.relative_to(ROOT) if p.is_relative_to(ROOT) else p
                                        for p in book_order()]
    for directory in {p.resolve().parent for p in paths}:
        remove_stale_temporaries(directory)
    # As the build: the whole data check once, then each chapter loads the tables it uses (so
    # that what it is recorded to read is what it reads in the build).
    exec_cache.check_data(ROOT)
    for path in paths:
        execute_in_place(path)


if __name__ == "__main__":
    main(sys.argv[1:])
