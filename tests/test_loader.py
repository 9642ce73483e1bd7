"""One checked loader: chapters and the package read data/ only through aicluster.evidence (and
aicluster.geo's boundary loader, which the build check runs), never with a bare reader that
would accept what the check refuses."""
from __future__ import annotations

import ast
import json
import re
import shutil

import pytest

from aicluster import evidence, geo, paths

ROOT = paths.ROOT
BARE_READERS = re.compile(r"\b(read_csv|read_file|read_json|read_excel|read_table|np\.loadtxt|"
                          r"csv\.reader|csv\.DictReader|open\s*\()")
# Modules allowed to read data files directly: the loaders themselves.
LOADERS = {"evidence.py", "geo.py"}


def _setup_cell_source() -> str:
    """The notebooks' first cell (scripts/setup_cell.py): outside a clone it downloads the
    repository's archive; it reads no data file, and tests/test_launch.py checks it."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("setup_cell", ROOT / "scripts" / "setup_cell.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.source()


def _chapter_code():
    setup = _setup_cell_source().strip()
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "code" and "".join(cell["source"]).strip() != setup:
                yield f"{path.name} cell {i}", "".join(cell["source"])


@pytest.mark.parametrize("where, code", list(_chapter_code()), ids=lambda v: str(v)[:40])
def test_no_chapter_reads_a_data_file_itself(where, code):
    hits = [line for line in code.splitlines() if BARE_READERS.search(line)
            and not line.lstrip().startswith("#")]
    assert not hits, f"{where} reads a file without the checked loader: {hits}"


def test_the_package_reads_data_only_in_its_loaders():
    offenders = []
    for path in sorted((ROOT / "aicluster").glob("*.py")):
        if path.name in LOADERS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("read_csv", "read_file"):
                offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders, offenders


def test_official_areas_come_through_the_checked_loader(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(paths.DATA, data)
    path = data / "district_areas_official.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",430.77,", ",４３０.７７,", 1),
                    encoding="utf-8")
    with pytest.raises(evidence.EvidenceError, match=r"district_areas_official.csv, row \d+, "
                                                     r"column 'area_km2'"):
        geo.load_official_areas(path)
    assert geo.load_official_areas()["area_km2"].dtype == "float64"
