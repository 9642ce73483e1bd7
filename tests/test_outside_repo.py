"""A chapter runs outside the repository, in a fresh environment, with only the documented steps.

The steps are those of *Reproduce this book* for a downloaded notebook:

    python3.11 -m venv book-env
    book-env/bin/pip install ipykernel nbclient
    book-env/bin/jupyter execute --inplace study_area.ipynb

and the notebook's first cell (scripts/setup_cell.py) does the rest: it fetches the repository's
archive, installs `requirements.txt` with pip and imports the book's package from the archive.

No network: the archive is this checkout's tracked files served by a loopback HTTP server, at
the path GitHub uses (`/archive/refs/heads/<branch>.tar.gz`), its URL given to the cell through
AICLUSTER_BOOK_URL; pip installs from a local wheelhouse (`PIP_NO_INDEX`, `PIP_FIND_LINKS`,
pip's own settings, not the cell's) built from this environment's packages (tests/wheelhouse.py).
The chapter is the cheapest one that still draws a figure with Chinese text and a map.
The fresh environment installs ~140 pinned packages: expect a few minutes.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile

import nbformat
import pytest
import yaml

import wheelhouse
from conftest import BUILD, ROOT
from test_built_html import serve

CHAPTER = "study_area"


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    names = [n for n in listed.stdout.decode().split("\0") if n]
    return [n for n in names if (ROOT / n).is_file() and not (ROOT / n).is_symlink()]


def write_archive(site, branch: str) -> None:
    """This checkout's tracked files (as they are now) as GitHub serves a branch's archive."""
    target = site / "archive" / "refs" / "heads" / f"{branch}.tar.gz"
    target.parent.mkdir(parents=True)
    with tarfile.open(target, "w:gz") as tar:
        top = tarfile.TarInfo(f"book-{branch}")
        top.type, top.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(top)
        for name in tracked_files():
            tar.add(ROOT / name, arcname=f"book-{branch}/{name}", recursive=False)


def glued(nb) -> dict:
    """Every value the notebook glued (myst-nb scrapbook outputs), by name."""
    out = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            scrap = o.get("metadata", {}).get("scrapbook")
            if scrap:
                out[scrap["name"]] = o["data"]
    return out


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV", "JUPYTER", "AICLUSTER"))}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def wheels():
    return wheelhouse.build(ROOT / "requirements.txt", BUILD / "wheelhouse")


def test_a_downloaded_chapter_runs_in_a_fresh_environment(tmp_path, wheels):
    branch = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["branch"]
    site, downloads, venv = tmp_path / "site", tmp_path / "downloads", tmp_path / "book-env"
    write_archive(site, branch)
    downloads.mkdir()
    notebook = downloads / f"{CHAPTER}.ipynb"
    shutil.copy(ROOT / "chapters" / f"{CHAPTER}.ipynb", notebook)
    env = clean_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels), PIP_NO_COMPILE="1",
                    PIP_DISABLE_PIP_VERSION_CHECK="1", MPLCONFIGDIR=str(tmp_path / "mpl"),
                    MPLBACKEND="Agg", PYTHONHASHSEED="0")
    bin_ = venv / "bin"
    with serve(site) as base:
        env["AICLUSTER_BOOK_URL"] = base
        steps = [
            [sys.executable, "-m", "venv", str(venv)],
            [str(bin_ / "pip"), "install", "-q", "ipykernel", "nbclient"],
            # The startup timeout is a ceiling for a busy machine, not a pause.
            [str(bin_ / "jupyter"), "execute", "--inplace", "--startup_timeout=600", notebook.name],
        ]
        for step in steps:
            run = subprocess.run(step, cwd=downloads, env=env, capture_output=True, text=True,
                                 timeout=1800)
            assert run.returncode == 0, f"{step} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    fetched = downloads / "aicluster-book"
    assert (fetched / "aicluster" / "paths.py").is_file() and (fetched / "data").is_dir()
    executed = nbformat.read(notebook, as_version=4)
    stored = nbformat.read(ROOT / "chapters" / f"{CHAPTER}.ipynb", as_version=4)
    setup_out = "".join(o.get("text", "") for o in executed["cells"][0]["outputs"])
    assert "Fetching the book's package and data from " + base in setup_out
    errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []
    assert glued(executed) and glued(executed) == glued(stored), \
        "the fresh run glued other values than the stored notebook"
    # The figure of the chapter was written into the fetched copy, not into this checkout.
    assert any((fetched / "figures").glob("*.png"))


def test_the_archive_holds_what_the_setup_cell_needs(tmp_path):
    write_archive(tmp_path, "main")
    with tarfile.open(tmp_path / "archive/refs/heads/main.tar.gz") as tar:
        names = set(tar.getnames())
    for needed in ("requirements.txt", "aicluster/paths.py", "data/places.csv",
                   f"chapters/{CHAPTER}.ipynb"):
        assert f"book-main/{needed}" in names, needed
