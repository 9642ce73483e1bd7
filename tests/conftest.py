import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_module(relative_path: str):
    """A script of the repository (benchmarks/, scripts/) imported as a module, for its helpers."""
    import importlib.util
    path = ROOT / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
BUILD = ROOT / "_build"


def chapter_functions(notebook: str, names, **globals_):
    """Functions defined in a chapter's code cells, for tests of the chapter's own wording.

    Runs only the chapter's top-level imports and the ``def`` statements of ``names`` (not the
    analysis), in a namespace that ``globals_`` completes (e.g. a module the chapter imports
    under another name in a cell that also computes).  Returns ``{name: function}``.
    """
    import ast
    import json

    nb = json.loads((ROOT / "chapters" / notebook).read_text(encoding="utf-8"))
    keep = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if source.lstrip().startswith(("%", "!")):
            continue
        for node in ast.parse(source).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) or (
                    isinstance(node, ast.FunctionDef) and node.name in names):
                keep.append(node)
    found = {n.name for n in keep if isinstance(n, ast.FunctionDef)}
    missing = set(names) - found
    if missing:
        raise LookupError(f"{notebook} defines no function {sorted(missing)}")
    namespace = dict(globals_)
    exec(compile(ast.Module(keep, type_ignores=[]), notebook, "exec"), namespace)
    return {name: namespace[name] for name in names}


@pytest.fixture(scope="session")
def html_dir() -> Path:
    index = BUILD / "html" / "index.html"
    if not index.exists():
        pytest.fail(f"{index} is missing: build the book first (`make book`, which `make test` runs)")
    return index.parent


@pytest.fixture(scope="session")
def student_dir() -> Path:
    index = BUILD / "student" / "html" / "index.html"
    if not index.exists():
        pytest.fail(f"{index} is missing: build it first (`make book-student`, which `make test` runs)")
    return index.parent


@pytest.fixture(scope="session")
def pdf_path() -> Path:
    pdf = BUILD / "latex" / "book.pdf"
    if not pdf.exists():
        pytest.fail(f"{pdf} is missing: build the book first (`make book`, which `make test` runs)")
    return pdf


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return Path(os.environ.get("AICLUSTER_SEEDS", ROOT.parent / "shared" / "seeds"))
