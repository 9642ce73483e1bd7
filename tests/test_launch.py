"""Launch paths: Binder's configuration agrees with the book's own, the repository URL is set in
one place (`repository` in _config.yml) and everything that names it agrees, and every chapter
starts with the same set-up cell, which is silent inside the repository."""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT

spec = importlib.util.spec_from_file_location("setup_cell", ROOT / "scripts" / "setup_cell.py")
setup_cell = importlib.util.module_from_spec(spec)
spec.loader.exec_module(setup_cell)
BINDER = ROOT / "binder"


def entries(path) -> list[str]:
    """Non-comment, non-blank lines (the format of apt.txt and requirements.txt)."""
    lines = (line.partition("#")[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def test_binder_runs_the_python_the_pins_were_made_with():
    runtime = entries(BINDER / "runtime.txt")
    assert runtime == ["python-3.11"]
    header = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()[0]
    assert "Python 3.11" in header, header
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'requires-python = ">=3.11"' in pyproject


def test_binder_installs_the_pins_the_fonts_and_the_package():
    assert entries(BINDER / "requirements.txt") == ["-r ../requirements.txt"]
    root_apt, binder_apt = entries(ROOT / "apt.txt"), entries(BINDER / "apt.txt")
    assert set(binder_apt) <= set(root_apt), set(binder_apt) - set(root_apt)
    assert "fonts-noto-cjk" in binder_apt  # aicluster.style refuses to draw Chinese without it
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK), "binder/postBuild must be executable"
    assert re.search(r"^python -m pip install --no-deps -e \.$", post.read_text(encoding="utf-8"), re.M)
    # With binder/ present, repo2docker ignores root-level configuration: none may linger there.
    stray = [n for n in ("runtime.txt", "postBuild", "environment.yml", "setup.py")
             if (ROOT / n).exists()]
    assert stray == [], f"ignored by Binder because binder/ exists: {stray}"


def test_the_repository_url_is_set_once_and_agrees_everywhere():
    url, branch = setup_cell.repository()
    owner, name = setup_cell.github(url)
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["repository-code"] == url
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert setup_cell.readme_block() in readme, "README.md: run scripts/setup_cell.py"
    assert f"mybinder.org/v2/gh/{owner}/{name}/{branch}" in readme
    assert setup_cell.problems_all() == [], "run scripts/setup_cell.py"
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["launch_buttons"]["binderhub_url"] == "https://mybinder.org"


def test_the_url_can_change_in_one_place(tmp_path, monkeypatch):
    """Changing repository.url changes the cell, README and CITATION.cff, through the script."""
    for name in ("README.md", "CITATION.cff"):
        (tmp_path / name).write_text((ROOT / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "_config.yml").write_text(
        "repository:\n  url: https://github.com/someone/fork\n  branch: draft\n", encoding="utf-8")
    monkeypatch.setattr(setup_cell, "ROOT", tmp_path)
    assert sorted(setup_cell.sync_url()) == ["CITATION.cff", "README.md"]
    assert 'repository-code: "https://github.com/someone/fork"' in (tmp_path / "CITATION.cff").read_text()
    assert "mybinder.org/v2/gh/someone/fork/draft" in (tmp_path / "README.md").read_text()
    assert '_setup_book("https://github.com/someone/fork", "draft")' in setup_cell.source()
    assert setup_cell.sync_url() == []  # idempotent


def test_a_non_github_url_is_refused():
    with pytest.raises(ValueError, match="not https://github.com/OWNER/NAME"):
        setup_cell.github("https://gitlab.com/a/b")


def test_every_chapter_starts_with_the_same_hidden_setup_cell():
    import nbformat

    for path in setup_cell.notebooks():
        nb = nbformat.read(path, as_version=4)
        assert nb.cells[0].source == setup_cell.source(), path.name
        assert nb.cells[0].metadata["tags"] == ["remove-cell"], path.name
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1)), f"{path.name}: counts {counts}"


def test_the_setup_cell_is_silent_inside_the_repository():
    code = setup_cell.source() + "\nimport aicluster.paths\nprint('ok', aicluster.paths.ROOT)"
    env = {k: v for k, v in os.environ.items() if k != "AICLUSTER_BOOK_URL"}
    env["AICLUSTER_BOOK_URL"] = "http://127.0.0.1:9"  # would fail loudly if it fetched anything
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "chapters", env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"ok {ROOT}\n" and run.stderr == ""
    assert not (ROOT / "chapters" / "aicluster-book").exists()


def test_the_setup_cell_explains_when_it_cannot_fetch(tmp_path):
    env = dict(os.environ, AICLUSTER_BOOK_URL="http://127.0.0.1:9")  # nothing listens there
    run = subprocess.run([sys.executable, "-c", setup_cell.source()], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "Cannot fetch http://127.0.0.1:9/archive/refs/heads/" in run.stderr
    assert "clone http://127.0.0.1:9 and open this notebook in its chapters/ folder" in run.stderr


def test_every_top_level_pin_is_used():
    """A pin that no other pin requires must be used by the book itself (imported, or run as a
    tool); otherwise it is dead weight in every fresh environment (itables was)."""
    import re
    from importlib import metadata

    from packaging.requirements import Requirement

    def norm(name):
        return re.sub(r"[-_.]+", "-", name).lower()

    pins = [norm(line.split("==")[0]) for line in entries(ROOT / "requirements.txt") if "==" in line]
    required = set()
    for pin in pins:
        for spec in metadata.distribution(pin).requires or []:
            req = Requirement(spec)
            if not req.marker or req.marker.evaluate({"extra": ""}):
                required.add(norm(req.name))
    # How the book uses each top-level pin: an import, or the tool's name where it is run.
    usage = {"jupyter-book": "jupyter-book", "nbval": "--nbval", "sphinx-exercise": "sphinx_exercise",
             "myst-nb": "myst_nb", "scikit-learn": "sklearn", "sphinxcontrib-bibtex": "sphinxcontrib.bibtex",
             "ruff": "[tool.ruff]", "pystemmer": "import Stemmer"}
    code = "\n".join(p.read_text(encoding="utf-8", errors="replace")
                     for folder in ("aicluster", "scripts", "tests", "benchmarks", "chapters")
                     for p in (ROOT / folder).rglob("*")
                     if p.suffix in (".py", ".ipynb") and p.name != "test_launch.py")
    code += "".join((ROOT / n).read_text(encoding="utf-8") for n in ("Makefile", "_config.yml", "pyproject.toml"))
    unused = []
    for pin in sorted(set(pins) - required):
        pattern = (re.escape(usage[pin]) if pin in usage
                   else rf"\b(import|from) {re.escape(pin.replace('-', '_'))}\b")
        if not re.search(pattern, code):
            unused.append(pin)
    assert unused == [], f"pinned in requirements.txt but used nowhere: {unused}"
