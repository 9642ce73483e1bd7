"""A local wheelhouse made from the packages installed in the book's own environment.

The outside-the-repository test (tests/test_outside_repo.py) installs `requirements.txt` into a
fresh virtual environment with `pip --no-index --find-links WHEELHOUSE`, so that it needs no
network. pip cannot export installed packages as wheels, and the machine may have no pip cache,
so each installed distribution is packed back into a wheel from the files its RECORD lists (the
inverse of what pip did when it installed the wheel). Console scripts are left out (pip writes
them again from each package's entry points); other programs in bin/ go in the wheel's scripts.
Wheels are stored uncompressed (fast to write and to unpack); the wheelhouse is kept under
_build/ and rebuilt only when requirements.txt changes.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import shutil
import sysconfig
import zipfile
from importlib import metadata
from pathlib import Path

SITE = Path(sysconfig.get_paths()["purelib"]).resolve()
PREFIX = SITE.parents[2]  # <prefix>/lib/pythonX.Y/site-packages


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def _tag(dist_info: Path) -> str:
    tags = [line.split(":", 1)[1].strip() for line in
            (dist_info / "WHEEL").read_text(encoding="utf-8").splitlines() if line.startswith("Tag:")]
    if not tags:
        raise ValueError(f"{dist_info}/WHEEL names no tag")
    # A wheel with several tags lists them joined by dots in its file name (PEP 425).
    parts = [t.split("-") for t in tags]
    return "-".join(".".join(dict.fromkeys(p[i] for p in parts)) for i in range(3))


def repack(dist: metadata.Distribution, out: Path) -> Path:
    """Write `dist` (installed from a wheel) back into a wheel in `out`; return its path."""
    dist_info = Path(dist._path)  # noqa: SLF001 (the only way to the dist-info folder)
    name, version = _normal(dist.metadata["Name"]), dist.version
    data_dir = f"{name}-{version}.data"
    wheel = out / f"{name}-{version}-{_tag(dist_info)}.whl"
    scripts = {e.name for e in dist.entry_points if e.group in ("console_scripts", "gui_scripts")}
    record = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as zf:
        for row in csv.reader(io.StringIO((dist_info / "RECORD").read_text(encoding="utf-8"))):
            rel = row[0]
            if rel.endswith(".pyc") or rel.startswith(dist_info.name + "/"):
                continue  # bytecode is recompiled; the dist-info is rewritten below
            source = (SITE / rel).resolve()
            if rel.startswith("../"):  # a data file outside site-packages (share/jupyter/...)
                prefix_rel = source.relative_to(PREFIX)
                if prefix_rel.parts[0] == "bin" and prefix_rel.name in scripts:
                    continue  # console scripts: pip writes them again from entry_points.txt
                if prefix_rel.parts[0] == "bin":  # a program shipped as is (ruff's binary)
                    arcname = f"{data_dir}/scripts/{prefix_rel.name}"
                else:
                    arcname = f"{data_dir}/data/{prefix_rel.as_posix()}"
            else:
                arcname = rel
            if not source.is_file():
                continue
            data = source.read_bytes()
            info = zipfile.ZipInfo(arcname)
            info.external_attr = source.stat().st_mode << 16  # file type and mode: programs stay executable
            zf.writestr(info, data)
            record.append((arcname, _record_hash(data), str(len(data))))
        for meta in sorted(dist_info.iterdir()):
            if meta.name in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json") or meta.is_dir():
                continue
            data = meta.read_bytes()
            arcname = f"{dist_info.name}/{meta.name}"
            zf.writestr(arcname, data)
            record.append((arcname, _record_hash(data), str(len(data))))
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(record + [(f"{dist_info.name}/RECORD", "", "")])
        zf.writestr(f"{dist_info.name}/RECORD", buf.getvalue())
    return wheel


def build(requirements: Path, out: Path) -> Path:
    """A wheelhouse in `out` holding every distribution pinned in `requirements` (and pip's
    `wheel`), repacked from this environment; reused while `requirements` is unchanged."""
    stamp = out / "requirements.sha256"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    pins = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            pkg, _, version = line.partition("==")
            pins[_normal(pkg)] = version
    installed = {_normal(d.metadata["Name"]): d for d in metadata.distributions(path=[str(SITE)])}
    missing = [f"{p}=={v}" for p, v in pins.items() if p not in installed or installed[p].version != v]
    if missing:
        raise RuntimeError(f"pinned in {requirements} but not installed in {SITE}: {missing}")
    # `pip freeze` leaves out `wheel`, which sphinx-togglebutton requires: add the installed one.
    for pkg in [*pins, "wheel"]:
        repack(installed[pkg], out)
    stamp.write_text(digest)
    return out
