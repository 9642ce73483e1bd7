"""Keep the execution cache only for chapters whose inputs did not change (`make html`, `make pdf`).

Jupyter Book's execution cache (jupyter-cache) matches a notebook by the text of its code cells,
so it re-executes a chapter whose code changed and not one whose prose changed; but it cannot see
the files a chapter reads. This script detects them for every chapter:

- the `aicluster` modules the chapter imports, and the modules those import, transitively;
- the data files named in that code: a file name (`places.csv`), a path constant of
  `aicluster.paths` (`paths.BOUNDARIES`), or the data folder itself (`paths.DATA`: every data
  table, .csv or .geojson);
- other chapters whose stored outputs that code reads (a name such as `mentougou.ipynb`);
- requirements.txt (a changed pin can change any result).

It hashes them, compares with the hashes recorded at the previous build
(_build/.jupyter_cache/inputs.json), and removes the cached execution of exactly the chapters
whose inputs changed, so that the build re-executes those and reuses the rest.

    python scripts/exec_cache.py            # clear stale entries, record the inputs' hashes
    python scripts/exec_cache.py --explain  # print each chapter's inputs
"""
from __future__ import annotations

import ast
import hashlib
import json
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "aicluster"
CACHE = ROOT / "_build" / ".jupyter_cache"
RECORD = "inputs.json"


def _module_imports(source: str, package_relative: bool) -> set[str]:
    """Names of aicluster modules imported by `source` (`package_relative`: `from . import x`)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("aicluster.")}
            found |= {"__init__" for a in node.names if a.name == "aicluster"}
        elif isinstance(node, ast.ImportFrom):
            if node.module == "aicluster" or (package_relative and node.level == 1 and not node.module):
                found |= {a.name for a in node.names} | {"__init__"}
            elif node.module and node.module.startswith("aicluster."):
                found |= {node.module.split(".")[1], "__init__"}
            elif package_relative and node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if (PACKAGE / f"{m}.py").exists()}


def modules_of(code: str) -> set[str]:
    """The aicluster modules `code` needs, following imports inside the package."""
    todo, seen = _module_imports(code, package_relative=False), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo |= _module_imports((PACKAGE / f"{name}.py").read_text(encoding="utf-8"),
                                package_relative=True) - seen
    return seen


def _path_constants() -> dict[str, str]:
    """`aicluster.paths` constants naming one data file: {"BOUNDARIES": "beijing_districts.geojson"}."""
    text = (PACKAGE / "paths.py").read_text(encoding="utf-8")
    return dict(re.findall(r'^(\w+) = DATA / "([^"]+)"$', text, re.M))


def data_files() -> list[Path]:
    return sorted(p for p in (ROOT / "data").rglob("*") if p.is_file())


def chapters() -> list[Path]:
    return sorted((ROOT / "chapters").glob("*.ipynb"))


def code_of(notebook: Path) -> str:
    nb = nbformat.read(notebook, as_version=4)
    # IPython magics and shell lines are not Python: drop them before parsing.
    lines = [line for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()
             if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def inputs(notebook: Path) -> list[Path]:
    """Every file whose change can change `notebook`'s outputs, besides its own code."""
    code = code_of(notebook)
    modules = modules_of(code)
    texts = [code] + [(PACKAGE / f"{m}.py").read_text(encoding="utf-8") for m in modules if m != "paths"]
    joined = "\n".join(texts)
    found = {ROOT / "requirements.txt"} | {PACKAGE / f"{m}.py" for m in modules}
    every = re.search(r"\bpaths\.DATA\b", joined) is not None
    constants = {name for const, name in _path_constants().items() if re.search(rf"\bpaths\.{const}\b", joined)}
    for path in data_files():
        table = path.suffix in (".csv", ".geojson")
        if (every and table) or path.name in constants or re.search(rf"\b{re.escape(path.name)}\b", joined):
            found.add(path)
    for other in chapters():
        if other != notebook and re.search(rf"\b{re.escape(other.name)}\b", joined):
            found.add(other)
    return sorted(found)


def digest(paths: list[Path]) -> dict[str, str]:
    return {p.relative_to(ROOT).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def clear_stale(cache_dir: Path = CACHE, notebooks: list[Path] | None = None) -> list[str]:
    """Remove the cached execution of every chapter whose inputs changed since the last call;
    record the current hashes; return the chapters cleared."""
    notebooks = chapters() if notebooks is None else notebooks
    record_file = cache_dir / RECORD
    before = json.loads(record_file.read_text(encoding="utf-8")) if record_file.exists() else {}
    now = {nb.relative_to(ROOT).as_posix(): digest(inputs(nb)) for nb in notebooks}
    stale = [name for name in now if before.get(name) != now[name]]
    if (cache_dir / "global.db").exists() and stale:
        from jupyter_cache import get_cache

        cache = get_cache(str(cache_dir))
        for record in cache.list_cache_records():
            if Path(record.uri).resolve().relative_to(ROOT).as_posix() in stale:
                cache.remove_cache(record.pk)
    cache_dir.mkdir(parents=True, exist_ok=True)
    record_file.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return stale


def main(argv: list[str]) -> None:
    if argv == ["--explain"]:
        for nb in chapters():
            print(nb.relative_to(ROOT))
            for path in inputs(nb):
                print("   ", path.relative_to(ROOT))
        return
    stale = clear_stale()
    print("execution cache: re-execute " + (", ".join(stale) if stale else "nothing")
          + " (inputs changed or never recorded)")


if __name__ == "__main__":
    main(sys.argv[1:])
