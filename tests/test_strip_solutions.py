"""scripts/strip_solutions.py: the notebooks for students keep the exercises, lose the solutions."""
import importlib.util
import json

from conftest import ROOT

spec = importlib.util.spec_from_file_location("strip_solutions",
                                              ROOT / "scripts" / "strip_solutions.py")
strip_solutions = importlib.util.module_from_spec(spec)
spec.loader.exec_module(strip_solutions)


def test_notebooks_without_solutions(tmp_path):
    strip_solutions.main([str(tmp_path)])
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        original = path.read_text(encoding="utf-8")
        stripped = json.loads((tmp_path / path.name).read_text(encoding="utf-8"))
        text = "".join("".join(c["source"]) for c in stripped["cells"])
        assert original.count("```{exercise}") == text.count("```{exercise}") > 0, path.name
        assert "{solution}" not in text, path.name
        assert all(not c.get("outputs") for c in stripped["cells"] if c["cell_type"] == "code")
        # What the solutions glue is not computed in the students' copy.
        assert "glue(\"mtg_ex_factor\"" not in text and "ex_buf500" not in text


def test_solution_code_is_recognised():
    assert strip_solutions.is_solution_code('glue("mtg_ex_factor", 2)\nglue("ex_buf500_p", 1)')
    assert not strip_solutions.is_solution_code('glue("mtg_ex_factor", 2)\nglue("mtg_total", 1)')
    assert not strip_solutions.is_solution_code("x = 1")
