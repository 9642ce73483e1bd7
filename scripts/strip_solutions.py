"""Write the chapter notebooks without solutions, for a course (the student edition's notebooks).

Usage: python scripts/strip_solutions.py OUTDIR

For every notebook in chapters/: the ``{solution}`` blocks are removed from the markdown cells,
the code cells that only compute values quoted in solutions (every ``glue`` name in them is an
exercise value: ``ex_…`` or ``…_ex_…``) are removed, and all outputs are cleared (stored outputs
would show the solutions' numbers). The exercises themselves stay. Nothing in chapters/ changes.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = re.compile(r"```\{solution\}.*?\n```[ \t]*\n?", re.S)
GLUE_NAME = re.compile(r"""glue(?:_all)?\(\s*f?["']([^"']+)["']""")
EXERCISE_VALUE = re.compile(r"(^|_)ex_")


def is_solution_code(source: str) -> bool:
    """True for a code cell whose glued names are all exercise values (and there is one)."""
    names = GLUE_NAME.findall(source)
    return bool(names) and all(EXERCISE_VALUE.search(n) for n in names)


def strip(nb):
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = SOLUTION.sub("", cell.source)
        elif cell.cell_type == "code":
            if is_solution_code(cell.source):
                continue
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    nb.cells = cells
    return nb


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit(__doc__)
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        nb = strip(nbformat.read(path, as_version=4))
        nbformat.write(nb, out / path.name)
        print(f"wrote {out / path.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
