"""Write the set-up cell, the first cell of every chapter notebook, from one template.

The cell lets a chapter run outside the book's repository (Colab, a downloaded notebook): it
fetches the repository's archive (package and data), installs the pinned requirements with pip
and puts the fetched package on the import path. Inside a clone of the repository it does
nothing and prints nothing, so stored outputs and nbval are unaffected. It is tagged
`remove-cell`, so readers of the HTML and PDF books never see it.

The repository URL and branch come from `_config.yml` (`repository.url`, `repository.branch`),
the one place they are set. The environment variable AICLUSTER_BOOK_URL replaces the URL when
the cell runs (a mirror, or a local copy in tests/test_outside_repo.py).

    python scripts/setup_cell.py           # write or update the cell in chapters/*.ipynb,
                                           # the URL in README.md and CITATION.cff
    python scripts/setup_cell.py --check   # fail if any notebook's first cell differs

Adding the cell shifts the execution counts of the cells after it; they are renumbered as a
fresh run numbers them (1, 2, ... in order), so stored outputs stay equal to a fresh run.
After a merge conflict in a notebook, take either side and run this script again.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
CELL_ID = "book-setup"
TAGS = ["remove-cell"]

TEMPLATE = '''\
# Set-up for running this notebook outside the book's repository (Colab, a
# downloaded copy): fetch the book's package and data, install the pinned
# packages. Inside a clone of the repository it does nothing.
import os, sys
from pathlib import Path


def _setup_book(url, branch):
    here = Path.cwd().resolve()
    if any((d / "aicluster/paths.py").is_file() for d in (here, *here.parents)):
        return  # inside the repository: `make book` or Binder installed it all
    import subprocess, tarfile, urllib.request
    url = os.environ.get("AICLUSTER_BOOK_URL", url)  # a mirror or a local copy
    repo = here / "aicluster-book"
    if not (repo / "aicluster/paths.py").is_file():
        archive = f"{{url}}/archive/refs/heads/{{branch}}.tar.gz"
        print("Fetching the book's package and data from", archive)
        safe = {{"filter": "data"}} if hasattr(tarfile, "data_filter") else {{}}
        try:
            with urllib.request.urlopen(archive, timeout=120) as response, \\
                    tarfile.open(fileobj=response, mode="r|gz") as tar:
                for member in tar:  # drop the archive's top folder (book-main/)
                    member.name = member.name.partition("/")[2]
                    if member.name and (member.isfile() or member.isdir()):
                        tar.extract(member, repo, **safe)
        except OSError as error:
            raise RuntimeError(
                f"Cannot fetch {{archive}} ({{error}}). Without network access, "
                f"clone {{url}} and open this notebook in its chapters/ folder."
            ) from None
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    subprocess.run(pip + ["-r", str(repo / "requirements.txt")], check=True)
    if str(repo) not in sys.path:
        sys.path.insert(0, str(repo))  # the package `aicluster`, next to data/
    if "google.colab" in sys.modules:  # Chinese in the figures needs a CJK font
        subprocess.run("apt-get -qq update && apt-get -qq install -y "
                       "fonts-noto-cjk", shell=True, check=True)
    from importlib.metadata import version
    stale = [m for m in ("numpy", "pandas", "scipy", "matplotlib", "shapely")
             if m in sys.modules and sys.modules[m].__version__ != version(m)]
    if stale:
        raise RuntimeError(f"{{stale}} were loaded before this cell installed "
                           "other versions: restart the kernel (Colab: Runtime"
                           " > Restart session) and run the notebook again.")


_setup_book("{url}", "{branch}")'''


def repository() -> tuple[str, str]:
    """The repository URL and branch, from _config.yml (the one place they are set)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"].rstrip("/"), config["repository"].get("branch", "main")


def source() -> str:
    url, branch = repository()
    return TEMPLATE.format(url=url, branch=branch)


def notebooks() -> list[Path]:
    return sorted(CHAPTERS.glob("*.ipynb"))


def with_setup_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """`nb` with the set-up cell first (added or updated) and execution counts renumbered."""
    if nb.cells and nb.cells[0].get("id") == CELL_ID:
        nb.cells.pop(0)
    cell = nbformat.v4.new_code_cell(source(), id=CELL_ID, metadata={"tags": list(TAGS)})
    nb.cells.insert(0, cell)
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue  # Jupyter does not execute empty cells: they keep no count
        count += 1
        cell.execution_count = count
        for out in cell.outputs:
            if out.output_type == "execute_result":
                out.execution_count = count
    return nb


def github(url: str) -> tuple[str, str]:
    """(owner, name) of a GitHub repository URL."""
    parts = url.rstrip("/").split("/")
    if len(parts) != 5 or parts[2] != "github.com":
        raise ValueError(f"repository.url {url!r} is not https://github.com/OWNER/NAME "
                         "(the launch buttons and the set-up cell assume GitHub)")
    return parts[3], parts[4]


def readme_block() -> str:
    url, branch = repository()
    owner, name = github(url)
    return (f"Repository: <{url}> (branch `{branch}`).\n"
            f"Binder: <https://mybinder.org/v2/gh/{owner}/{name}/{branch}?urlpath=lab/tree/chapters>\n")


README_BLOCK = re.compile(r"(<!-- repository:[^\n]*-->\n)(.*?)(<!-- /repository -->)", re.S)
CFF_URL = re.compile(r'^repository-code: ".*"$', re.M)


def sync_url() -> list[str]:
    """Rewrite README.md's repository lines and CITATION.cff's repository-code from _config.yml;
    return the files changed."""
    url, _ = repository()
    changed = []
    for path, pattern, repl in (
            (ROOT / "README.md", README_BLOCK, lambda m: m.group(1) + readme_block() + m.group(3)),
            (ROOT / "CITATION.cff", CFF_URL, lambda m: f'repository-code: "{url}"')):
        text = path.read_text(encoding="utf-8")
        new, n = pattern.subn(repl, text)
        if n != 1:
            raise ValueError(f"{path.name}: expected one repository block, found {n}")
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path.name)
    return changed


def problems(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0] if nb.cells else None
    if first is None or first.get("id") != CELL_ID:
        return [f"{path.name}: the first cell is not the set-up cell (id {CELL_ID!r})"]
    out = []
    if first.source != source():
        out.append(f"{path.name}: the set-up cell differs from scripts/setup_cell.py's template")
    if first.metadata.get("tags") != TAGS:
        out.append(f"{path.name}: the set-up cell's tags are {first.metadata.get('tags')}, not {TAGS}")
    if first.outputs:
        out.append(f"{path.name}: the set-up cell has stored outputs")
    return out


def problems_all() -> list[str]:
    return [p for path in notebooks() for p in problems(path)]


def write(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    new = nbformat.writes(with_setup_cell(nbformat.reads(text, as_version=4)))
    if not new.endswith("\n"):
        new += "\n"
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        found = problems_all()
        print("\n".join(found) or "every chapter starts with the set-up cell")
        return 1 if found else 0
    for path in notebooks():
        print(("updated " if write(path) else "unchanged ") + str(path.relative_to(ROOT)))
    for name in sync_url():
        print(f"updated {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
