"""`make dist`: the release archive holds the HTML site, the PDF and the notebooks, with a SHA-256
manifest that matches every file, a checksum file for the archive, and the same bytes each time."""
from __future__ import annotations

import hashlib
import importlib.util
import tarfile
import tomllib

import pytest
import yaml

import aicluster
from conftest import BUILD, ROOT

spec = importlib.util.spec_from_file_location("dist", ROOT / "scripts" / "dist.py")
dist = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dist)


def test_one_version_everywhere():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert dist.version() == project["version"] == str(cff["version"]) == aicluster.__version__


def test_an_unbuilt_book_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="run `make book` first"):
        dist.contents(build=tmp_path)


@pytest.fixture(scope="module")
def release(tmp_path_factory, html_dir, pdf_path):
    out = tmp_path_factory.mktemp("dist")
    name = f"aicluster-book-{dist.version()}"
    archive = dist.write(out, dist.contents(), name)
    again = dist.write(out / "again", dist.contents(), name)
    return archive, again, name


def test_archive_holds_site_pdf_and_notebooks_with_a_matching_manifest(release):
    archive, _, name = release
    with tarfile.open(archive) as tar:
        data = {m.name.removeprefix(f"{name}/"): tar.extractfile(m).read() for m in tar if m.isfile()}
    assert {"html/index.html", "html/book.pdf", "book.pdf", "SHA256SUMS"} <= set(data)
    notebooks = {f"notebooks/{p.name}" for p in (ROOT / "chapters").glob("*.ipynb")}
    assert notebooks and notebooks <= set(data)
    assert data["book.pdf"] == (BUILD / "latex" / "book.pdf").read_bytes() == data["html/book.pdf"]
    listed = dict(reversed(line.split("  ", 1)) for line in data.pop("SHA256SUMS").decode().splitlines())
    assert set(listed) == set(data), set(listed) ^ set(data)
    bad = [n for n, content in data.items() if hashlib.sha256(content).hexdigest() != listed[n]]
    assert bad == []


def test_archive_checksum_file_and_reproducibility(release):
    archive, again, _ = release
    digest, name = (archive.parent / f"{archive.name}.sha256").read_text().split()
    assert name == archive.name and digest == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert archive.read_bytes() == again.read_bytes()
