"""ruff over the package, the scripts, the tests and the benchmarks, with the settings of
pyproject.toml ([tool.ruff]); `make test` runs it with the rest of the suite."""
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_ruff_is_clean():
    ruff = Path(sys.executable).parent / "ruff"
    run = subprocess.run([str(ruff), "check", "--no-cache", "aicluster", "scripts", "tests", "benchmarks"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
