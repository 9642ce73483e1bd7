"""Sphinx extension: check every file in ``data/`` before any chapter runs.

Registered in ``_config.yml`` (``sphinx.extra_extensions``). On ``config-inited`` -- the first
event of a build, before myst-nb reads (and executes) any notebook -- it loads every table the
chapters read, with the same checks the chapters' loaders apply:

- every table of :data:`aicluster.evidence.SCHEMAS` (the evidence tables through
  :func:`aicluster.evidence.load_all`, which also checks references and declared sums; the others,
  e.g. ``district_areas_official``, through :func:`aicluster.evidence.load_table`);
- the district boundaries (:func:`aicluster.geo.load_districts`);
- every other ``.csv``/``.geojson`` file in ``data/``: refused, since nothing would check it
  (give it a schema in ``aicluster.evidence.SCHEMAS``);
- when the article texts are available (``AICLUSTER_SEEDS``, see ``tests/conftest.py``), that every
  ``quote_zh`` is verbatim in its source; without them this check is skipped with a notice.

A problem stops the build with :class:`BadData`, whose message is the loader's: file, row and
column of each problem. ``python -m aicluster.buildcheck`` runs the same checks without Sphinx.

It also checks, at the same point, that the fonts the figures (matplotlib) and the PDF (xelatex)
need are installed, naming the Debian package to install when one is missing; and, when a chapter
raises while myst-nb executes it, it replaces Sphinx's "please report this bug" text with what to
do (``build-finished`` carries the exception).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sphinx.errors import SphinxError
from sphinx.util import logging

from . import context, evidence, geo, identities, paths  # identities registers its table
from .evidence import EvidenceError, Problem

logger = logging.getLogger(__name__)
QUOTE_COLUMN = "quote_zh"


# Fonts the PDF's LaTeX preamble (_config.yml) selects, and the Debian package of each.
LATEX_FONTS = {"Noto Serif CJK SC": "fonts-noto-cjk", "Noto Sans CJK SC": "fonts-noto-cjk",
               "Noto Sans Mono CJK SC": "fonts-noto-cjk", "FreeSerif": "fonts-freefont-otf",
               "FreeSans": "fonts-freefont-otf", "FreeMono": "fonts-freefont-otf"}


class BadData(SphinxError):
    category = "Bad input in data/ (no chapter was executed)"


class MissingFont(SphinxError):
    category = "Missing font (no chapter was executed)"


class ChapterFailed(SphinxError):
    category = "A chapter raised an error while it was executed (the build stopped)"


def seeds_dir() -> Path:
    """Where the article texts are: $AICLUSTER_SEEDS, else ../shared/seeds next to the repo."""
    return Path(os.environ.get("AICLUSTER_SEEDS", paths.ROOT.parent / "shared" / "seeds"))


def check_data(data_dir: Path | str | None = None, seeds: Path | str | None = None) -> list[str]:
    """Load and check everything in `data_dir`; raise EvidenceError on the first failing check.

    Returns notes on checks that could not run (e.g. no article texts)."""
    data_dir = Path(data_dir) if data_dir is not None else paths.DATA
    _check_no_unchecked_files(data_dir)
    ev = evidence.load_all(data_dir)  # also loads the boundaries, to place each place
    identities.load_identities(data_dir, ev=ev)  # the book's assumed identities (issue 12)
    for name in evidence.SCHEMAS:
        if name not in evidence.EVIDENCE_TABLES:
            evidence.load_table(name, data_dir)
    _check_boundaries(data_dir)
    _check_context(data_dir, ev)
    seeds = Path(seeds) if seeds is not None else seeds_dir()
    if not seeds.is_dir():
        return [f"article texts not found in {seeds} (set AICLUSTER_SEEDS): "
                "quotes were not checked against their sources"]
    check_quotes(ev, seeds, data_dir)
    return []


def _check_no_unchecked_files(data_dir: Path) -> None:
    known = ({t.file for t in evidence.SCHEMAS.values()} | {evidence.BOUNDARIES_FILE}
             | set(context.CHECKED_FILES))
    # Case-insensitive suffix: EXTRA.CSV is a data file too (and on a case-insensitive file
    # system a reader could open it); a known name in other case is refused as well.
    unchecked = sorted(p.name for p in data_dir.glob("*")
                       if p.suffix.lower() in (".csv", ".geojson", ".json", ".tsv")
                       and p.name not in known and p.name != "datapackage.json")
    evidence._raise_if([Problem(_name(data_dir / n), None, (),
                                "no schema checks this file: add its table to "
                                "aicluster.evidence.SCHEMAS") for n in unchecked])


def _check_context(data_dir: Path, ev: evidence.Evidence) -> None:
    """The map context layers and the place keys (aicluster.context) load and validate."""
    try:
        context.check_files(data_dir, ev.places["place_id"])
    except context.ContextError as err:
        evidence._raise_if([Problem(_name(data_dir), None, (), str(err))])


def _check_boundaries(data_dir: Path) -> None:
    """The boundaries load, and hold each district of the vocabulary once, every field given."""
    path = data_dir / evidence.BOUNDARIES_FILE
    name = _name(path)
    try:
        districts = geo.load_districts(path)
    except Exception as err:  # BoundaryError, or not readable as GeoJSON at all
        raise EvidenceError([Problem(name, None, (), f"bad boundaries ({err})")]) from None
    problems = [Problem(name, None, (col,), f"feature with code {code!r}: {col} is empty")
                for col in geo.BOUNDARY_COLUMNS if col != "geometry"
                for code, value in zip(districts["code"], districts[col])
                if not isinstance(value, str) or not value.strip()]
    found = sorted(v for v in districts["district_id"] if isinstance(v, str))
    if not problems and found != sorted(evidence.DISTRICT_IDS):
        problems.append(Problem(name, None, ("district_id",),
                                f"district ids {found} are not Beijing's 16 districts "
                                f"{sorted(evidence.DISTRICT_IDS)}"))
    evidence._raise_if(problems)


def check_quotes(ev: evidence.Evidence, seeds: Path, data_dir: Path) -> None:
    """Every quote_zh occurs verbatim in its source's text (line breaks of the capture ignored)."""
    texts, problems = {}, []
    sources_file = _name(data_dir / evidence.SCHEMAS["sources"].file)
    for i, row in enumerate(ev.sources.itertuples()):
        path = seeds / row.file
        if path.is_file():
            raw = path.read_text(encoding="utf-8")
            texts[row.source_id] = (raw, raw.replace("\n", ""))
        else:
            problems.append(Problem(sources_file, i + 2, ("file",),
                                    f"article text {row.file!r} not found in {seeds}"))
    evidence._raise_if(problems)
    for name in evidence.EVIDENCE_TABLES:
        df = getattr(ev, name)
        if QUOTE_COLUMN not in df.columns:
            continue
        file = _name(data_dir / evidence.SCHEMAS[name].file)
        for i, (sid, quote) in enumerate(zip(df["source_id"], df[QUOTE_COLUMN])):
            raw, joined = texts[sid]
            if quote not in raw and quote not in joined:
                problems.append(Problem(file, i + 2, (QUOTE_COLUMN,),
                                        f"{quote!r} is not verbatim in the text of {sid}"))
    evidence._raise_if(problems)


def _name(path: Path) -> str:
    return evidence._display(path)


def _check_before_build(app, config) -> None:
    data_dir = Path(app.srcdir) / "data"
    try:
        notes = check_data(data_dir)
    except EvidenceError as err:
        raise BadData(f"{err}\nFix the data file(s) named above and build again.") from None
    for note in notes:
        logger.info(f"[aicluster.buildcheck] {note}")
    logger.info(f"[aicluster.buildcheck] data/ checked: {len(evidence.SCHEMAS)} tables, boundaries")


def missing_latex_fonts(families=None) -> list[str]:
    """The font families (default: LATEX_FONTS) that fontconfig, hence xelatex, cannot find."""
    families = list(LATEX_FONTS) if families is None else families
    if shutil.which("fc-list") is None:
        return list(families)
    return [f for f in families
            if not subprocess.run(["fc-list", f"{f}:", "family"], capture_output=True,
                                  text=True).stdout.strip()]


def _check_fonts(app, config) -> None:
    from . import style

    try:
        style.ensure_cjk_font()
    except style.MissingCJKFont as err:
        raise MissingFont(str(err)) from None


def _check_latex_fonts(app) -> None:
    if app.builder.name != "latex":
        return
    missing = missing_latex_fonts()
    if missing:
        packages = sorted({LATEX_FONTS[f] for f in missing})
        raise MissingFont(
            f"xelatex needs the font(s) {', '.join(missing)}, which fontconfig cannot find. "
            f"Install them with: sudo apt-get install {' '.join(packages)} (or run `make apt` as "
            "root), then build again.")


def _explain_chapter_failure(app, exception) -> None:
    """Say which chapter failed, why, and what to do (instead of "report this to Sphinx")."""
    from myst_nb.core.execute.base import ExecutionError

    if not isinstance(exception, ExecutionError):
        return
    path = Path(str(exception))
    try:
        shown = path.resolve().relative_to(Path(app.srcdir).resolve()).as_posix()
    except ValueError:
        shown = str(path)
    cause = exception.__cause__
    detail = f"{type(cause).__name__}: {cause}" if cause is not None else ""
    raise ChapterFailed(
        f"{shown} failed.\n{detail}\n"
        f"What to do: run the chapter on its own to see the whole traceback,\n"
        f"  .venv/bin/python scripts/store_outputs.py {shown}\n"
        "(or open it in Jupyter), fix the code (chapter logic lives in aicluster/, with tests in "
        "tests/), and build again. A MissingCJKFont error means: sudo apt-get install "
        "fonts-noto-cjk.") from exception


def setup(app):
    app.connect("config-inited", _check_fonts, priority=90)
    app.connect("config-inited", _check_before_build, priority=100)  # before anything reads
    app.connect("builder-inited", _check_latex_fonts)  # still before any chapter is read
    app.connect("build-finished", _explain_chapter_failure)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    try:
        for note in check_data(sys.argv[1] if len(sys.argv) > 1 else None):
            print("note:", note)
    except EvidenceError as err:
        sys.exit(f"{err}")
    print("data/ is valid")
