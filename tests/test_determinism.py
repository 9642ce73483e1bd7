"""Rebuilds are byte-identical: run after `make book` (as `make test` does).

- the figures the build wrote to figures/ are the committed ones, byte for byte (git HEAD);
- no PNG the book ships (figures/, the HTML site, stored notebook outputs) carries a text or time
  chunk: no timestamp, no software version;
- every chapter, executed again by the build, gives exactly its stored outputs -- images and
  HTML included, which nbval does not compare (it skips image/png) -- apart from the glue
  records myst-nb moves out of the executed copy;
- the PDF's dates are SOURCE_DATE_EPOCH from the Makefile, not the time of the build.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from aicluster import style
from conftest import BUILD, ROOT

FIGURES = ROOT / "figures"
# Chunks that carry text (tEXt, zTXt, iTXt: matplotlib writes "Software: Matplotlib version ...")
# or a time (tIME), or EXIF (eXIf, which may hold a date).
FORBIDDEN_CHUNKS = {b"tEXt", b"zTXt", b"iTXt", b"tIME", b"eXIf"}
GLUE_MIME = "application/papermill.record/"


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks, i = [], 8
    while i < len(data):
        (length,) = struct.unpack(">I", data[i:i + 4])
        chunks.append(data[i + 4:i + 8])
        i += 12 + length
    return chunks


def toc_notebooks() -> list[Path]:
    import importlib.util
    spec = importlib.util.spec_from_file_location("bookcopy", ROOT / "benchmarks" / "bookcopy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.toc_notebooks(ROOT)


def git(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True)


@pytest.fixture(scope="module")
def in_git():
    if shutil.which("git") is None or git("rev-parse", "HEAD").returncode != 0:
        pytest.skip("not a git checkout: nothing committed to compare the figures with")


# -- figures -----------------------------------------------------------------------------------
def test_built_figures_are_the_committed_ones(in_git, html_dir):
    committed = set(git("ls-tree", "--name-only", "HEAD", "figures/").stdout.decode().split())
    on_disk = {f"figures/{p.name}" for p in FIGURES.iterdir() if p.is_file()}
    assert on_disk == committed, (
        f"not committed: {sorted(on_disk - committed)}; committed but not made: "
        f"{sorted(committed - on_disk)}")
    changed = [name for name in sorted(on_disk)
               if git("cat-file", "blob", f"HEAD:{name}").stdout != (ROOT / name).read_bytes()]
    assert not changed, (f"the build did not reproduce the committed bytes of {changed}: a "
                         "figure is not deterministic (or a chapter changed and its figure was "
                         "not committed)")


def _shipped_pngs(html_dir):
    yield from ((p.relative_to(ROOT).as_posix(), p.read_bytes()) for p in FIGURES.glob("*.png"))
    yield from ((p.relative_to(ROOT).as_posix(), p.read_bytes()) for p in html_dir.rglob("*.png")
                if "vendor" not in p.parts)  # vendored Leaflet icons are third-party files
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            for out in cell.get("outputs", []):
                if "image/png" in out.get("data", {}):
                    yield f"{path.name} cell {i}", base64.b64decode(out["data"]["image/png"])


def text_keys(data: bytes) -> list[bytes]:
    """The keywords of a PNG's tEXt chunks."""
    keys, i = [], 8
    while i < len(data):
        (length,) = struct.unpack(">I", data[i:i + 4])
        if data[i + 4:i + 8] == b"tEXt":
            keys.append(data[i + 8:i + 8 + length].split(b"\0", 1)[0])
        i += 12 + length
    return keys


def test_pngs_carry_no_timestamp_or_software_version(html_dir):
    # One text chunk is allowed: the figure's smallest font size (aicluster.style.png_bytes),
    # which depends only on the figure.
    allowed = style.MIN_FONT_KEY.encode()
    found = {name: sorted(c.decode() for c in set(png_chunks(data)) & FORBIDDEN_CHUNKS
                          if c != b"tEXt" or set(text_keys(data)) - {allowed})
             for name, data in _shipped_pngs(html_dir)}
    assert found, "no PNG found"
    bad = {name: chunks for name, chunks in found.items() if chunks}
    assert not bad, f"PNG metadata chunks (save figures with aicluster.style): {bad}"


def test_svgs_carry_no_date_or_version(html_dir):
    for path in [*FIGURES.glob("*.svg"), *(html_dir / "_images").glob("*.svg")]:
        text = path.read_text(encoding="utf-8")
        assert "<dc:date>" not in text and not re.search(r"Matplotlib v\d", text), path


# -- notebook outputs --------------------------------------------------------------------------
def _outputs(nb: dict) -> list:
    """Outputs of each code cell, without myst-nb's glue records."""
    return [[o for o in cell.get("outputs", [])
             if not any(k.startswith(GLUE_MIME) for k in o.get("data", {}))]
            for cell in nb["cells"] if cell["cell_type"] == "code"]


@pytest.mark.parametrize("path", toc_notebooks(), ids=lambda p: p.name)
def test_the_build_reproduces_the_stored_outputs(path, html_dir):
    executed = BUILD / "jupyter_execute" / path.relative_to(ROOT)
    assert executed.is_file(), f"{executed} is missing: build with `make book`"
    stored = _outputs(json.loads(path.read_text(encoding="utf-8")))
    again = _outputs(json.loads(executed.read_text(encoding="utf-8")))
    assert len(stored) == len(again)
    for i, (a, b) in enumerate(zip(stored, again)):
        assert a == b, (f"{path.name}, code cell {i}: the build's outputs differ from the stored "
                        "ones (run scripts/store_outputs.py; if they differ again, something in "
                        "the output is not deterministic)")


# -- the PDF -----------------------------------------------------------------------------------
def test_pdf_dates_come_from_source_date_epoch(pdf_path):
    epoch = int(re.search(r"^export SOURCE_DATE_EPOCH := (\d+)$",
                          (ROOT / "Makefile").read_text(encoding="utf-8"), re.M).group(1))
    expected = dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    info = subprocess.run(["pdfinfo", "-isodates", str(pdf_path)], check=True,
                          capture_output=True, text=True).stdout
    dates = dict(re.findall(r"^(CreationDate|ModDate):\s+(\S+)", info, re.M))
    assert dates, f"no date in the PDF:\n{info}"
    for key, value in dates.items():
        assert value.startswith(expected), f"{key} {value} is not SOURCE_DATE_EPOCH ({expected})"


# -- glued outputs: every map lives there ------------------------------------------------------
def _glued_html(path: Path) -> dict[str, str]:
    """{glue name: text/html} of a stored notebook's glue records (maps are glued)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = {}
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get(GLUE_MIME + "text/html")
            if html is not None:
                name = out.get("metadata", {}).get("scrapbook", {}).get("name", "?")
                found[name] = "".join(html) if isinstance(html, list) else html
    return found


MAP_ID = re.compile(r'\b(?:map|circle_marker|geo_json|feature_group|tile_layer|layer_control|'
                    r'html_legend|tooltip)_[0-9a-f]{32}\b')


@pytest.mark.parametrize("path", toc_notebooks(), ids=lambda p: p.name)
def test_the_build_reproduces_the_glued_maps_and_their_ids(path, html_dir):
    """myst-nb moves glue records out of the executed notebook, so the test above cannot see them;
    the page the build wrote holds them. Each stored glued map (its element ids included) must
    be on the built page exactly: ids derived from the map, not from os.urandom."""
    glued = {name: html for name, html in _glued_html(path).items() if 'class="bookmap"' in html}
    if not glued:
        pytest.skip(f"{path.name} glues no map")
    page = (html_dir / path.relative_to(ROOT).with_suffix(".html")).read_text(encoding="utf-8")
    built_ids = set(MAP_ID.findall(page.replace("&quot;", '"')))
    for name, html in glued.items():
        stored_ids = set(MAP_ID.findall(html.replace("&quot;", '"')))
        assert stored_ids, f"{path.name}, glued map {name!r}: no element ids found"
        assert stored_ids <= built_ids, (
            f"{path.name}, glued map {name!r}: the build made other element ids than the stored "
            f"output ({sorted(stored_ids - built_ids)[:3]} ...): map ids are not deterministic")
        assert html in page, (f"{path.name}, glued map {name!r}: the built page does not hold the "
                              "stored map byte for byte (run scripts/store_outputs.py)")


def test_a_map_renders_the_same_in_two_processes(tmp_path):
    """Element ids come from the map's id and a counter (maps.stable_ids), so two Python
    processes with different hash seeds write the same map (cheap check, no build needed)."""
    script = tmp_path / "render.py"
    script.write_text(
        "import sys, geopandas as gpd\nfrom shapely.geometry import Point\n"
        "from aicluster import maps\n"
        "pts = gpd.GeoDataFrame({'name': ['a', 'b']}, geometry=[Point(116.3, 40.0), "
        "Point(116.31, 40.01)], crs='EPSG:4326')\n"
        "m = maps.BookMap('Two points', basemap=False)\n"
        "m.points(pts, name='Points', label_col='name')\n"
        "sys.stdout.write(m.html())\n", encoding="utf-8")
    import os
    import sys

    runs = [subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": seed,
                                            "PYTHONPATH": str(ROOT)}).stdout
            for seed in ("1", "2")]
    assert MAP_ID.search(runs[0].replace("&quot;", '"')), "no element id in the map"
    assert runs[0] == runs[1]


def test_text_keys_tell_the_font_record_from_a_software_tag():
    import io

    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.set_title("t")
    plain = io.BytesIO()
    fig.savefig(plain, format="png")  # matplotlib's default: a Software tEXt chunk
    ours = style.png_bytes(fig)
    plt.close(fig)
    assert b"Software" in text_keys(plain.getvalue())
    assert text_keys(ours) == [style.MIN_FONT_KEY.encode()]
