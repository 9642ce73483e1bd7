"""Execute chapter notebooks and store their outputs in place, deterministically (`make outputs`).

nbval compares these stored outputs with a fresh run, so they must not carry anything that
changes between runs: no execution timings (record_timing=False), stable metadata, and the
same JSON formatting every time. Running this twice leaves `git status` clean.

Safe to interrupt: each notebook is executed in memory and then written atomically (a temporary
file in chapters/, moved over the notebook), so a kill at any moment leaves every notebook either
as it was or fully updated, never truncated. Temporary files a kill left behind are removed at
the next run.

Order: the book's order (_toc.yml), which puts every chapter before the discussion that pastes
its results (the discussion checks the stored outputs of the chapters it cites, so it must run
after them: with stripped outputs, running everything in this order recovers them).
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from aicluster import atomic  # noqa: E402


def execute_in_place(path: Path, timeout: int = 600) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
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
    for path in paths:
        execute_in_place(path)


if __name__ == "__main__":
    main(sys.argv[1:])
