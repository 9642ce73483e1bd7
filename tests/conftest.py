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
