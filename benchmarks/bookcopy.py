"""Copies of the book for benchmarks and end-to-end tests.

- :func:`copy_book` copies the working tree (no _build, .git or virtualenv) to another directory;
- :func:`toc_files` lists the documents `_toc.yml` names, whatever chapters it holds;
- :func:`make_baseline` turns a copy into the *baseline book*: the same table of contents and
  configuration, every notebook replaced by one that keeps its title and only runs ``pass`` --
  what a build costs with no chapter work (Sphinx, the theme, one kernel start per notebook).

Build a copy with :func:`build_env` as its environment, so that its kernels import the copy's
``aicluster`` and read the copy's ``data/``.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns("_build", ".git", ".venv", "__pycache__", ".pytest_cache",
                                "*.egg-info", ".ipynb_checkpoints", "results")


def copy_book(dst: Path, src: Path = ROOT) -> Path:
    shutil.copytree(src, dst, ignore=IGNORE, symlinks=True)
    return dst


def toc_files(root: Path) -> list[Path]:
    """Every document `_toc.yml` names (root first), as existing paths."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    names = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                names.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    out = []
    for name in names:
        hits = [root / f"{name}{ext}" for ext in ("", ".ipynb", ".md") if (root / f"{name}{ext}").is_file()]
        if not hits:
            raise FileNotFoundError(f"_toc.yml names {name!r}, which does not exist")
        out.append(hits[0])
    return out


def toc_notebooks(root: Path) -> list[Path]:
    return [p for p in toc_files(root) if p.suffix == ".ipynb"]


def pass_notebook(title: str, code: str = "pass") -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}"), nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    return nb


def notebook_title(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def make_baseline(root: Path) -> list[Path]:
    """Replace every notebook of the table of contents by a `pass` notebook with its title."""
    notebooks = toc_notebooks(root)
    for path in notebooks:
        # The comment makes each notebook distinct: jupyter-cache keys notebooks by their code,
        # and would otherwise execute one `pass` notebook and reuse it for all the others.
        code = f"pass  # baseline for {path.relative_to(root).as_posix()}"
        nbformat.write(pass_notebook(notebook_title(path), code), path)
    return notebooks


def build_env(root: Path) -> dict:
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PYTHONPATH=str(root), MPLBACKEND="Agg", PYTHONHASHSEED="0",
               SOURCE_DATE_EPOCH=os.environ.get("SOURCE_DATE_EPOCH", "1767225600"),
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


def jupyter_book() -> str:
    return str(Path(sys.executable).parent / "jupyter-book")
