"""The chapter 'Haidian's AI buildings': Chinese quotations verbatim, section labels present."""
from __future__ import annotations

import json
import re

import pytest

from aicluster import paths

CHAPTER = paths.ROOT / "chapters" / "haidian_buildings.ipynb"


def _prose() -> str:
    nb = json.loads(CHAPTER.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def test_chinese_quotations_are_verbatim_in_the_commentary(seeds_dir):
    files = sorted(seeds_dir.glob("004_*.txt")) if seeds_dir.is_dir() else []
    if not files:
        pytest.skip(f"seed 004 not found in {seeds_dir}: set AICLUSTER_SEEDS to the seeds directory")
    raw = files[0].read_text(encoding="utf-8")
    text = (raw, raw.replace("\n", ""))
    quotes = re.findall(r"“([^”]*[\u4e00-\u9fff][^”]*)”", _prose())
    missing = [q for q in quotes if not any(q in t for t in text)]
    assert len(quotes) >= 5
    assert "步行就能面试,下楼就能交流" in quotes
    assert not missing, missing


def test_sections_carry_their_labels():
    prose = _prose()
    for label in ("haidian-map", "haidian-buildings-table", "haidian-distances"):
        assert f"({label})=\n## " in prose, label
