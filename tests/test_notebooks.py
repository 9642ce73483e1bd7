"""Stored notebook outputs: present, deterministic in form, and free of run-specific values."""
import json
import re
from pathlib import Path

import pytest

CHAPTERS = sorted((Path(__file__).resolve().parent.parent / "chapters").glob("*.ipynb"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_outputs_are_stored(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c.get("execution_count") for c in code), f"{path.name}: run `make outputs`"
    assert any(c.get("outputs") for c in code)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_run_specific_values_in_outputs(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r" at 0x[0-9a-f]{6,}", text), "a memory address leaked into an output"
    assert '"iopub.execute_input"' not in text, "execution timings are stored"
    nb = json.loads(text)
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            assert out.get("name") != "stderr", f"{path.name}: stderr output {out.get('text')!r}"
            assert out.get("output_type") != "error"


def test_every_chapter_is_in_the_toc():
    toc = (Path(__file__).resolve().parent.parent / "_toc.yml").read_text(encoding="utf-8")
    for path in CHAPTERS:
        assert f"chapters/{path.stem}" in toc, f"{path.name} is not in _toc.yml"
