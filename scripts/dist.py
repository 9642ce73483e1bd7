"""Write the versioned release archive of the book (`make dist`, after `make book`).

    python scripts/dist.py OUTDIR

writes OUTDIR/aicluster-book-VERSION.tar.gz holding, under aicluster-book-VERSION/:
  html/        the HTML site (with html/book.pdf, the copy the pages link to)
  book.pdf     the PDF book
  notebooks/   the chapter notebooks with their stored outputs
  SHA256SUMS   the SHA-256 of every other file of the archive (`sha256sum -c SHA256SUMS`)
and OUTDIR/aicluster-book-VERSION.tar.gz.sha256 for the archive itself. VERSION is the
package's (pyproject.toml), which CITATION.cff repeats. The archive is reproducible: files in
sorted order, owner root, modification time SOURCE_DATE_EPOCH, no gzip timestamp.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import sys
import tarfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"


def version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def contents(build: Path = BUILD, chapters: Path = ROOT / "chapters") -> dict[str, Path]:
    """Archive path -> file, for everything the release holds; fails if the book is not built."""
    html, pdf = build / "html", build / "latex" / "book.pdf"
    for needed in (html / "index.html", pdf, html / "book.pdf"):
        if not needed.is_file():
            raise SystemExit(f"{needed} is missing: run `make book` first")
    files = {f"html/{p.relative_to(html).as_posix()}": p
             for p in sorted(html.rglob("*")) if p.is_file() and ".doctrees" not in p.parts}
    files["book.pdf"] = pdf
    files.update({f"notebooks/{p.name}": p for p in sorted(chapters.glob("*.ipynb"))})
    return files


def manifest(files: dict[str, Path]) -> str:
    return "".join(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}\n"
                   for name, path in sorted(files.items()))


def write(outdir: Path, files: dict[str, Path], name: str) -> Path:
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    members = {**{n: p.read_bytes() for n, p in files.items()},
               "SHA256SUMS": manifest(files).encode()}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for member in sorted(members):
            info = tarfile.TarInfo(f"{name}/{member}")
            info.size, info.mtime, info.mode = len(members[member]), epoch, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(members[member]))
    outdir.mkdir(parents=True, exist_ok=True)
    archive = outdir / f"{name}.tar.gz"
    tmp = archive.with_suffix(".gz.tmp")  # nothing half-written under the final name
    tmp.write_bytes(gzip.compress(raw.getvalue(), compresslevel=9, mtime=0))
    tmp.replace(archive)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    (outdir / f"{archive.name}.sha256").write_text(f"{digest}  {archive.name}\n", encoding="utf-8")
    return archive


def main(argv: list[str]) -> None:
    outdir = Path(argv[0]) if argv else ROOT / "dist"
    archive = write(outdir, contents(), f"aicluster-book-{version()}")
    print(f"{archive} ({archive.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main(sys.argv[1:])
