"""Re-run the point-pattern chapter's family of tests with five seeds; store the verdicts.

Usage: python scripts/seed_check.py           # compute and write benchmarks/pointpattern_seeds.json
       python scripts/seed_check.py --check   # compute and compare with the stored file

The chapter (chapters/point_patterns.ipynb) reports its family of Monte Carlo tests with seed 1
and shows, from the stored file, that seeds 1 to 5 give the same verdicts (aicluster.seedcheck
explains the key).  The family is defined once, in the chapter: this script runs the chapter's
own code cells that define it (the set-up cell, the statistics, the family and the key; not the
rest of the analysis), then runs the seeds in parallel processes, one per core (about a minute
on two cores).
"""
from __future__ import annotations

import json
import os
import sys
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from aicluster import seedcheck  # noqa: E402

CHAPTER = ROOT / "chapters" / "point_patterns.ipynb"
# (a line that marks the cell, the line where the part to run stops or None): the cells that
# define the family, in the chapter's order.
CELLS = (("SEED = ", None), ("def core_of(", None),
         ("def run_family(", "tests = run_family(1)"),
         ("def seed_check_key(", "run_verdicts = seedcheck.load("))
NS: dict = {}  # the chapter's namespace; worker processes inherit it (fork)


def family_code(path: Path = CHAPTER) -> str:
    """The source of the chapter's cells that define the family (see :data:`CELLS`)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    parts = []
    for marker, stop in CELLS:
        found = [s for s in sources if marker in s]
        if len(found) != 1:
            raise LookupError(f"{path.name}: {len(found)} code cells contain {marker!r}; "
                              "expected one (update CELLS in scripts/seed_check.py)")
        src = found[0]
        if stop is not None:
            if stop not in src:
                raise LookupError(f"{path.name}: the cell with {marker!r} has no {stop!r}")
            src = src[:src.index(stop)]
        parts.append(src)
    return "\n\n".join(parts)


def _one_seed(seed: int) -> dict:
    return seedcheck.verdict_record(NS["decisions"](NS["run_family"](seed)))


def compute(processes: int | None = None) -> tuple[str, dict]:
    """The key and ``{seed: verdict record}`` for the chapter's seeds, seeds in parallel."""
    cwd = os.getcwd()
    os.chdir(CHAPTER.parent)  # the chapter runs from chapters/
    try:
        exec(compile(family_code(), str(CHAPTER), "exec"), NS)
    finally:
        os.chdir(cwd)
    NS["PROCESSES"] = 1  # the seeds run in parallel here, each in one process
    seeds = tuple(NS["SEEDS"])
    processes = processes or min(len(seeds), os.cpu_count() or 1)
    with get_context("fork").Pool(processes) as pool:
        records = dict(zip(seeds, pool.map(_one_seed, seeds, chunksize=1)))
    verdicts_1 = {k: tuple(v) for k, v in records[1].items()}
    return NS["seed_check_key"](verdicts_1), records


def main(argv: list[str]) -> int:
    key, records = compute()
    if "--check" in argv:
        stored = seedcheck.load(key)
        same = stored == records
        print("stored seed check matches a fresh run" if same
              else f"stored seed check differs from a fresh run: {stored} != {records}")
        return 0 if same else 1
    seedcheck.save(records, key)
    print(f"wrote {seedcheck.SEEDS_FILE.relative_to(ROOT)} (key {key})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
