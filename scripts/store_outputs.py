"""Execute chapter notebooks and store their outputs in place, deterministically (`make outputs`).

nbval compares these stored outputs with a fresh run, so they must not carry anything that
changes between runs: no execution timings (record_timing=False), stable metadata, and the
same JSON formatting every time. Running this twice leaves `git status` clean.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


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
        path.write_text(text, encoding="utf-8")
        print(f"updated {path}")
    else:
        print(f"unchanged {path}")


def main(argv: list[str]) -> None:
    paths = [Path(p) for p in argv] or sorted(Path("chapters").glob("*.ipynb"))
    for path in paths:
        execute_in_place(path)


if __name__ == "__main__":
    main(sys.argv[1:])
