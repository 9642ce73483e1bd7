"""No text in the data can run code: the whole book, built from data full of attacks.

A copy of the book (benchmarks/bookcopy.py, as tests/test_buildcheck.py builds its end-to-end
cases) gets every payload below in every free-text column of every data table -- and in the
district names of the boundaries -- spread over the rows so that each column holds each payload.
The copy is then built once, strictly (HTML, `-n -W --keep-going`), and:

- the build succeeds (escaped text raises no warning), and no payload ran: none of the files
  the payloads would create exists (Jinja in MyST substitutions, in the notebook kernel through
  folium/branca's second template pass, LaTeX \\write18/\\input);
- every chapter page, opened in headless Chromium with no network, runs no payload script
  (window.__pwned stays unset on the page and in every map's iframe) and shows no element a
  payload would make (<img onerror>, <svg onload>, a link, an abbreviation);
- each payload is shown as literal text somewhere in the book: on a page or in a map's tooltip.
- the LaTeX the PDF is made from (Sphinx's latex builder on the same copy, reusing the
  executed notebooks) holds no payload as a command, and one xelatex pass over it (shell escape
  off) typesets each payload as text: the \\input payload names a bait file whose text must not
  appear, and no file is created. (One pass, not the full latexmk cycle of `make pdf`: enough to
  typeset every page, and it keeps the cost reasonable.)

Cost: one full HTML build of the copy, a latex build from its execution cache and one xelatex
pass (about five minutes on two cores); it runs in `make test` with the other end-to-end builds.
"""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import load_module

from aicluster import evidence, paths

ROOT = paths.ROOT


bookcopy = load_module("benchmarks/bookcopy.py")


BAIT_TEXT = "BAIT-FILE-WAS-INPUT"


def bait(sentinel: Path) -> Path:
    """A .tex file next to the sentinel folder: if an \\input payload ran, its text would be
    typeset."""
    return sentinel.parent / "bait.tex"


def payloads(sentinel: Path) -> list[str]:
    """The attacks. Those that would create a file create one in `sentinel` (a directory)."""
    s = sentinel.as_posix()
    return [
        # Jinja: MyST's substitution extension, and branca's second pass over map scripts.
        f"{{{{ cycler.__init__.__globals__.os.system('touch {s}/jinja-myst') }}}}",
        f"{{{{ self.__init__.__globals__.__builtins__.__import__('os').mkdir('{s}/jinja-map') }}}}",
        "Tsinghua {{ 6 + 7 }} {% if 1 %}jinja-if{% endif %}",
        # Raw HTML: a script, event handlers.
        "<script>window.__pwned='script'</script>",
        "<img src=x onerror=\"window.__pwned='img'\">",
        "<svg onload=\"window.__pwned='svg'\"></svg>",
        # Markdown and MyST markup.
        "[a link](javascript:window.__pwned='link')",
        "{abbr}`AI (artificial intelligence)`",
        # LaTeX (the PDF) and mathtext (matplotlib).
        f"\\input{{{bait(sentinel).with_suffix('').as_posix()}}} "
        f"\\immediate\\write18{{touch {s}/latex-shell}}",
        "US$5 and $x^2$ dollars",
    ]


# Literal text of each payload as a reader would see it (innerText collapses whitespace).
def _visible(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def free_text_columns(table: evidence.Table) -> list[str]:
    """String columns with no vocabulary and no fixed form, other than the words of a quote
    that state its number or date (they must occur in the quote and are read as numbers)."""
    return [c for c, f in table.fields.items()
            if f.type == "string" and f.enum is None
            and (f.pattern is None or f.pattern == r"[^\r\n]+")
            and not c.endswith("_in_quote") and not c.endswith("_url") and c != "url"]


def _spread(values: list[str], attacks: list[str], limit: int | None = None) -> list[str]:
    """Append the attacks to the values, round robin, so every attack lands in the column (the
    original text is shortened if the column has a length limit). An attack longer than the
    limit cannot be stored in the column (the loader refuses it: test_evidence) and lands only
    in the other columns (an event's 40-character timeline label, title_short_en)."""
    out = list(values)
    if limit is not None:
        attacks = [a for a in attacks if len(a) <= limit]
    for j, attack in enumerate(attacks):
        i = j % len(out)
        keep = out[i] if limit is None else out[i][: max(0, limit - len(attack) - 1)]
        out[i] = f"{keep} {attack}" if keep else attack
    return out


def poison(data: Path, attacks: list[str]) -> dict[str, list[str]]:
    """Put the attacks into every free-text column of data/; returns {file: columns}."""
    touched = {}
    for table in evidence.SCHEMAS.values():
        path = data / table.file
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        header, body = rows[0], rows[1:]
        columns = free_text_columns(table)
        for col in columns:
            k = header.index(col)
            # An optional column gets the attacks in its filled cells only: whether it is empty
            # can carry meaning (qualifier_zh is empty exactly when a claim is exact).
            rows_hit = [r for r in body if r[k]] or body
            limit = table.fields[col].max_length
            for r, value in zip(rows_hit, _spread([r[k] for r in rows_hit], attacks, limit)):
                r[k] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([header, *body])
        path.write_text(out.getvalue(), encoding="utf-8")
        touched[table.file] = columns
    gj_path = data / evidence.BOUNDARIES_FILE
    gj = json.loads(gj_path.read_text(encoding="utf-8"))
    for col in ("name_en", "name_zh"):
        names = _spread([f["properties"][col] for f in gj["features"]], attacks)
        for feature, name in zip(gj["features"], names):
            feature["properties"][col] = name
    gj_path.write_text(json.dumps(gj, ensure_ascii=False), encoding="utf-8")
    touched[evidence.BOUNDARIES_FILE] = ["name_en", "name_zh"]
    return touched


def _run(root: Path, builder: str) -> subprocess.CompletedProcess:
    env = bookcopy.build_env(root)
    env["AICLUSTER_SEEDS"] = str(root / "no-seeds")  # quotes now hold payloads: not verbatim
    return subprocess.run([bookcopy.jupyter_book(), "build", str(root), "--builder", builder,
                           "-n", "-W", "--keep-going"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=3600)


@pytest.fixture(scope="module")
def poisoned_book(tmp_path_factory):
    base = tmp_path_factory.mktemp("payloads")
    sentinel = base / "sentinel"
    sentinel.mkdir()
    bait(sentinel).write_text(BAIT_TEXT + "\n", encoding="utf-8")
    root = bookcopy.copy_book(base / "book")
    attacks = payloads(sentinel)
    touched = poison(root / "data", attacks)
    html = _run(root, "html")
    return {"root": root, "sentinel": sentinel, "attacks": attacks, "touched": touched,
            "html": html}


def test_every_free_text_column_is_attacked(poisoned_book):
    touched = poisoned_book["touched"]
    assert set(touched) == {t.file for t in evidence.SCHEMAS.values()} | {
        evidence.BOUNDARIES_FILE}
    assert {"name_en", "name_zh", "note"} <= set(touched["places.csv"])
    assert {"qualifier_zh", "quote_zh", "gloss_en", "unit", "unit_en"} <= set(
        touched["claims.csv"])
    assert {"title_zh", "title_en", "outlet_en", "covers"} <= set(touched["sources.csv"])


def test_the_poisoned_book_builds_and_no_payload_ran(poisoned_book):
    result = poisoned_book["html"]
    log = result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, log
    assert list(poisoned_book["sentinel"].iterdir()) == [], "a payload created a file"


PWNED_JS = """() => {
  const found = [];
  const check = (w, where) => {
    if (w.__pwned !== undefined) found.push(where + ': ' + w.__pwned);
    const d = w.document;
    for (const sel of ['img[onerror]', 'svg[onload]', 'a[href^="javascript"]', 'abbr']) {
      if (d.querySelector(sel)) found.push(where + ': ' + sel);
    }
  };
  check(window, 'page');
  document.querySelectorAll('iframe').forEach((f, i) => {
    try { check(f.contentWindow, 'iframe ' + i); } catch (e) { found.push('iframe ' + i + ': ' + e); }
  });
  return found;
}"""

TOOLTIPS_JS = """() => Array.from(document.querySelectorAll('iframe.bookmap')).flatMap(f => {
  const w = f.contentWindow, tips = [];
  const collect = layer => {
    const tip = layer.getTooltip && layer.getTooltip();
    if (tip) {
      const div = w.document.createElement('div');
      div.innerHTML = tip.getContent();
      tips.push(div.textContent);
    }
    if (layer.getLayers) layer.getLayers().forEach(collect);
  };
  Object.keys(w).filter(k => /^(circle_marker|geo_json)_/.test(k) && w[k] && w[k].getLatLng
                              !== undefined || /^geo_json_[0-9a-f]+$/.test(k))
    .forEach(k => collect(w[k]));
  const control = w.document.querySelector('.leaflet-control-layers');
  const legend = w.document.querySelector('.bookmap-legend');
  return [...tips, control ? control.textContent : '', legend ? legend.textContent : ''];
})"""


# Conditions, not a fixed wait: every image of a document has loaded or failed (so its onload or
# onerror handler is queued; a payload's <img onerror> among them) ...
IMAGES_SETTLED_JS = """() => document.readyState === 'complete'
  && Array.from(document.images).every(img => img.complete)"""
# ... and the tasks queued before now, such handlers included, have run.
NEXT_TASK_JS = "() => new Promise(resolve => setTimeout(resolve, 0))"


def test_no_payload_runs_in_a_browser_and_each_shows_as_text(poisoned_book):
    from test_built_html import ARGS, CHROMIUM, serve  # the offline browser set-up
    from playwright import sync_api as playwright

    if poisoned_book["html"].returncode != 0:
        pytest.fail("the poisoned book did not build")
    site = poisoned_book["root"] / "_build" / "html"
    pages = sorted(p.relative_to(site).as_posix() for p in (site / "chapters").glob("*.html"))
    shown, ran = [], []
    with serve(site) as base, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        for name in ["index.html", *pages]:
            page.goto(f"{base}/{name}", wait_until="load")
            for frame in page.frames:  # the page and its maps' frames
                frame.wait_for_load_state("load")
                frame.wait_for_function(IMAGES_SETTLED_JS)
                frame.evaluate(NEXT_TASK_JS)
            ran += [f"{name}: {hit}" for hit in page.evaluate(PWNED_JS)]
            shown.append(page.evaluate("() => document.body.innerText"))
            shown += page.evaluate(TOOLTIPS_JS)
        browser.close()
    assert ran == [], ran
    text = _visible(" ".join(shown))
    missing = [a for a in poisoned_book["attacks"] if _visible(a) not in text]
    assert missing == [], f"not shown as literal text anywhere: {missing}"
    assert list(poisoned_book["sentinel"].iterdir()) == []


def test_the_latex_holds_no_payload_as_a_command(poisoned_book):
    root = poisoned_book["root"]
    if poisoned_book["html"].returncode != 0:
        pytest.fail("the poisoned book did not build")
    result = _run(root, "latex")  # reuses the execution cache of the HTML build
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    tex = (root / "_build" / "latex" / "book.tex").read_text(encoding="utf-8")
    sentinel = poisoned_book["sentinel"].as_posix()
    # how Sphinx writes the path as text (its LaTeX writer marks hyphens as \sphinxhyphen{})
    in_tex = sentinel.replace("_", r"\_").replace("-", r"\sphinxhyphen{}")
    assert r"\textbackslash{}immediate\textbackslash{}write18\{touch " + in_tex in tex, (
        "the LaTeX payload did not reach book.tex as text")
    bait_path = bait(poisoned_book["sentinel"]).with_suffix("").as_posix()
    for command in (r"\input{" + bait_path, r"\input{" + bait_path.replace("_", r"\_"),
                    r"\write18{", r"$x^2$"):
        assert command not in tex, f"{command!r} is live in book.tex"
    assert r"US\$5 and \$x\textasciicircum{}2\$ dollars" in tex


def test_the_pdf_shows_the_payloads_as_text(poisoned_book):
    """One xelatex pass over the poisoned book.tex (shell escape off, as Sphinx runs it): no file
    created, nothing \\input, and the PDF's text holds the payloads verbatim."""
    import shutil

    latex = poisoned_book["root"] / "_build" / "latex"
    if not (latex / "book.tex").is_file() or shutil.which("xelatex") is None:
        pytest.skip("no book.tex (the latex test failed) or no xelatex")
    result = subprocess.run(["xelatex", "-no-shell-escape", "-interaction=nonstopmode",
                             "book.tex"], cwd=latex, capture_output=True, text=True,
                            timeout=1800)
    assert (latex / "book.pdf").is_file(), result.stdout[-3000:]
    log = (latex / "book.log").read_text(encoding="utf-8", errors="replace")
    assert BAIT_TEXT not in log and "bait.tex" not in log, "\\input read the bait file"
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "book.pdf", "-"], cwd=latex,
                          capture_output=True, text=True, check=True).stdout
    flat = _visible(text).replace("‐", "-")
    assert BAIT_TEXT not in flat, "\\input read the bait file"
    for attack in ("<script>window.__pwned='script'</script>", "US$5 and $x^2$ dollars",
                   "\\immediate\\write18{touch"):
        assert attack.replace("'", "’") in flat.replace("'", "’"), attack
    assert list(poisoned_book["sentinel"].iterdir()) == []
