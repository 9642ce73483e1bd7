"""Benchmark the book build (`make bench`): writes benchmarks/results.json and the appendix page.

1. Build times, the book vs a *baseline book* made on the fly: the same configuration and
   table of contents (whatever chapters `_toc.yml` lists), every notebook replaced by one that
   keeps its title and only runs ``pass`` -- the irreducible cost of Sphinx, the theme and one
   kernel start per notebook (benchmarks/bookcopy.py). For each book, in a fresh copy:
   - cold HTML: `make html` in a fresh copy with no ``_build`` (a fresh clone): scripts/exec_cache.py
     uses the stored outputs of every chapter whose code and inputs are those they were stored
     from (chapters/stored_outputs.json; the baseline's `pass` notebooks are stored the same way
     first, so both books are compared alike), then ``jupyter-book build --all``;
   - cold HTML, re-executed: the same with ``exec_cache.py --all`` (`make html REEXECUTE=1`):
     every notebook executed;
   - warm HTML: the same command again with nothing changed (no ``--all``);
   - PDF: ``--all --builder pdflatex`` right after, with the execution cache warm, as `make book`
     builds it.
   Builds go through scripts/offline.sh, as `make book` does. Each time is the best of
   BENCH_REPEATS runs (default 1). Per-notebook execution times and what the warm build re-read
   are parsed from the logs: they say where the extra time goes.
2. The point-pattern module vs pointpats and, when R is installed, vs R spatstat at n = 50 to
   5,000 (benchmarks/bench_pointpattern.py, run as is; the spatstat comparison is kept in
   benchmarks/pointpattern_spatstat.json and copied into the results).
3. Page weight and requests of every page in the table of contents, opened in headless
   Chromium (offline, as tests/test_built_html.py does): the bytes of every response (HTML with
   the maps' inlined data, scripts, styles, fonts, images) and the number of requests.

4. Rebuilds after an edit, in the built book: one chapter's prose, then one data file; for each,
   the chapters that `make html` re-executes (scripts/exec_cache.py, then the build) and the
   build's time, also as a multiple of the baseline's warm build.

Run from the repository root: ``python benchmarks/bench_build.py`` (``make bench``);
``--render`` only rewrites docs/benchmarks.md from benchmarks/results.json;
``--spatstat`` copies benchmarks/pointpattern_spatstat.json (after
``python benchmarks/bench_pointpattern.py --spatstat-only``) into the results, then renders;
``--skip-pointpattern`` keeps the previous point-pattern numbers. No timed assertions anywhere:
the numbers are reported, with the machine and its load, not tested.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bookcopy  # noqa: E402

ROOT = bookcopy.ROOT
RESULTS = ROOT / "benchmarks" / "results.json"
PAGE = ROOT / "docs" / "benchmarks.md"  # for contributors, not in the book
POINTPATTERN_JSON = ROOT / "benchmarks" / "results" / "pointpattern.json"
SPATSTAT_JSON = ROOT / "benchmarks" / "pointpattern_spatstat.json"
FLAGS = ["-n", "-W", "--keep-going"]
GOALS = {"cold_html": 2.0, "warm_html": 1.2}
PAGE_LIMIT_BYTES = 1_000_000
WARM_REPEATS = 3
# What a chapter's kernel imports before its first line of work (aicluster.maps pulls in
# geopandas, folium and matplotlib): timed once, as the per-notebook share of a cold build.
CHAPTER_IMPORTS = "import aicluster, aicluster.maps, aicluster.evidence, aicluster.display"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


# -- the machine -------------------------------------------------------------------------------
def machine() -> dict:
    cpu = _first_match(Path("/proc/cpuinfo"), r"^model name\s*:\s*(.+)$") or platform.processor()
    mem_kb = _first_match(Path("/proc/meminfo"), r"^MemTotal:\s*(\d+) kB")
    os_name = _first_match(Path("/etc/os-release"), r'^PRETTY_NAME="?([^"\n]+)"?') or platform.platform()
    return {"cpu": cpu, "logical_cpus": os.cpu_count(),
            "ram_gib": round(int(mem_kb) / 2**20, 1) if mem_kb else None,
            "os": os_name, "kernel": platform.release(), "python": platform.python_version(),
            "versions": _versions()}


def _first_match(path: Path, pattern: str) -> str | None:
    try:
        m = re.search(pattern, path.read_text(encoding="utf-8", errors="replace"), re.M)
    except OSError:
        return None
    return m.group(1).strip() if m else None


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version
    out = {}
    for name in ("jupyter-book", "sphinx", "myst-nb", "sphinx-book-theme", "pointpats"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- builds ------------------------------------------------------------------------------------
def build(root: Path, builder: str, full: bool, strict: bool = True,
          reexecute: bool = False) -> dict:
    """What `make html` / `make pdf` run: scripts/exec_cache.py (the data check and the stale
    chapters executed in parallel, into the cache), then the Sphinx build; timed together."""
    cmd = [str(root / "scripts" / "offline.sh"), bookcopy.jupyter_book(), "build", str(root),
           "--builder", builder, *(FLAGS if strict else ["-n", "--keep-going"])]
    if full:
        cmd.insert(4, "--all")
    t0 = time.perf_counter()
    pre = _exec_cache_run(root, reexecute)
    pre_seconds = time.perf_counter() - t0
    result = subprocess.run(cmd, cwd=root, env=bookcopy.build_env(root), capture_output=True,
                            text=True) if pre.returncode == 0 else pre
    seconds = time.perf_counter() - t0
    log = pre.stdout + pre.stderr + result.stdout + result.stderr
    kind = "reexecute" if reexecute else "full" if full else "warm"
    (root / f"_build_{builder}_{kind}.log").write_text(log, encoding="utf-8")
    return {"seconds": round(seconds, 2), "exec_cache_seconds": round(pre_seconds, 2),
            "returncode": result.returncode, "executed": _executed(log, root),
            "reread": _reread(log), "stored_used": _stored_used(log)}


def _exec_cache_run(root: Path, reexecute: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([str(root / "scripts" / "offline.sh"), sys.executable,
                           str(root / "scripts" / "exec_cache.py"),
                           *(["--all"] if reexecute else [])], cwd=root,
                          env=bookcopy.build_env(root), capture_output=True, text=True)


def _stored_used(log: str) -> list[str]:
    """The chapters whose stored outputs scripts/exec_cache.py used instead of executing them."""
    return sorted(re.findall(r"^execution cache: use the stored outputs of (\S+\.ipynb) ", log,
                             re.M))


def _executed(log: str, root: Path) -> dict:
    """Seconds each notebook took to execute, from scripts/exec_cache.py's log (and myst-nb's,
    should Sphinx execute one itself)."""
    found = {p: float(s) for p, s in re.findall(
        r"^execution cache: executed (\S+\.ipynb) in ([\d.]+) s$", log, re.M)}
    found |= {Path(p).resolve().relative_to(root.resolve()).as_posix(): float(s)
              for p, s in re.findall(r"^(\S+\.(?:ipynb|md)): Executed notebook in ([\d.]+) "
                                     r"seconds", log, re.M)}
    return found


def _reread(log: str) -> str | None:
    m = re.search(r"updating environment: (?:\x1b\[[\d;]*m)?(.*?)(?:\x1b|\n)", log)
    return m.group(1).strip() if m else None


def bench_book(root: Path, repeats: int, strict: bool) -> dict:
    runs = {"cold_html": [], "reexecute_html": [], "warm_html": [], "pdf": []}
    for repeat in range(repeats):
        if repeat == 0:  # once: minutes, and what it measures (execution) is not a goal
            shutil.rmtree(root / "_build", ignore_errors=True)
            runs["reexecute_html"].append(build(root, "html", full=True, strict=strict,
                                                reexecute=True))
        shutil.rmtree(root / "_build", ignore_errors=True)
        runs["cold_html"].append(build(root, "html", full=True, strict=strict))
        for _ in range(WARM_REPEATS):  # a few seconds each, and the noisiest number
            runs["warm_html"].append(build(root, "html", full=False, strict=strict))
        runs["pdf"].append(build(root, "pdflatex", full=True, strict=strict))
    return {kind: min(rs, key=lambda r: r["seconds"]) for kind, rs in runs.items()}


# -- edit scenarios: what a rebuild re-executes ------------------------------------------------


def _edit_prose(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    last_md = [c for c in nb.cells if c.cell_type == "markdown"][-1]
    last_md.source += "\n\nA sentence added by the benchmark."
    nbformat.write(nb, path)


def _edit_data(path: Path) -> None:
    """Other bytes, the same table: the first header field quoted (as CSV allows)."""
    text = path.read_text(encoding="utf-8")
    first, rest = text.split(",", 1)
    path.write_text(f'"{first}",' + rest, encoding="utf-8")


# Scenario -> (the file edited, the edit). Examples: one chapter's prose; a data file one chapter
# reads; the claims ledger, which the chapters that load the whole evidence base read.
EDITS = {"edit one chapter's prose": ("chapters/jingxi.ipynb", _edit_prose),
         "edit one data file": ("data/district_areas_official.csv", _edit_data),
         "edit the claims ledger": ("data/claims.csv", _edit_data)}


def readers(root: Path, rel: str) -> list[str]:
    """The chapters whose recorded inputs (scripts/exec_cache.py, last run) include `rel`."""
    record = json.loads((root / "_build" / ".jupyter_cache" / "inputs.json").read_text("utf-8"))
    return sorted(nb for nb, entry in record.items() if rel in entry["inputs"])


def edit_scenarios(root: Path, baseline_warm: float) -> dict:
    """In the built book `root` (inputs recorded, cache warm): after each edit, what `make html`
    re-executes and how long the build takes, also as a multiple of the baseline's warm build."""
    out = {}
    for name, (rel, edit) in EDITS.items():
        read_by = readers(root, rel)
        edit(root / rel)
        r = build(root, "html", full=True)  # as `make html`: exec_cache.py, then build --all
        out[name] = {"edited": rel, "returncode": r["returncode"], "readers": read_by,
                     "re_executed": sorted(r["executed"]), "seconds": r["seconds"],
                     "exec_cache_seconds": r["exec_cache_seconds"],
                     "vs_baseline_warm": round(r["seconds"] / baseline_warm, 2)}
    return out


def noise_note(before: list[float], after: list[float], repeats: int) -> str | None:
    """A warning on the page when other jobs loaded the machine as the benchmark started (the
    load average after it includes the benchmark's own last builds, so it says nothing of
    other jobs)."""
    cpus = os.cpu_count() or 1
    if before[0] <= 0.5 * cpus:
        return None
    return (f"The machine was loaded when the benchmark started (load average {before[0]:.2f} "
            f"on {cpus} logical CPUs), by other jobs sharing it: times and ratios are noisy "
            "(the two books are built one after the other, not under identical load). Re-run "
            "on an idle machine" + (", or with BENCH_REPEATS=3," if repeats < 3 else "")
            + " for firmer numbers.")


def store_baseline(root: Path) -> None:
    """Store the baseline's `pass` notebooks as `make outputs` stores the book's, so that a cold
    build of either uses stored outputs alike (chapters/stored_outputs.json)."""
    subprocess.run([sys.executable, "scripts/store_outputs.py"], cwd=root,
                   env=bookcopy.build_env(root), check=True, capture_output=True)


def ratios(book: dict, baseline: dict) -> dict:
    return {kind: round(book[kind]["seconds"] / baseline[kind]["seconds"], 2) for kind in book}


# -- pages -------------------------------------------------------------------------------------
class _Frames(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.srcdoc = 0

    def handle_starttag(self, tag, attrs):
        if tag == "iframe":
            self.srcdoc += len(dict(attrs).get("srcdoc", "") or "")


def page_weights(root: Path) -> list[dict]:
    """Bytes and requests of every page of the table of contents (built HTML in root/_build)."""
    import functools
    import http.server
    import threading

    from playwright import sync_api as playwright

    html_dir = root / "_build" / "html"
    pages = [p.relative_to(root).with_suffix(".html").as_posix() for p in bookcopy.toc_files(root)]
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    out = []
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name in pages:
                out.append(_weigh(browser, base, name, html_dir))
            browser.close()
    finally:
        server.shutdown()
    return out


SETTLE_MS = 180_000


def _until_no_request_pending(page, pending: set) -> None:
    deadline = time.monotonic() + SETTLE_MS / 1000
    while pending:
        if time.monotonic() > deadline:
            raise TimeoutError(f"requests still pending: {[r.url for r in pending]}")
        page.wait_for_timeout(50)  # lets Playwright deliver the requests' events


def _weigh(browser, base: str, name: str, html_dir: Path) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    responses, requests, outside = [], [], []

    def route(r):
        if r.request.url.startswith(base) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    pending = set()

    def started(req):
        requests.append(req.url)
        pending.add(req)

    def finished(req):
        responses.append(req)
        pending.discard(req)

    page.on("request", started)
    page.on("requestfinished", finished)
    page.on("requestfailed", lambda req: pending.discard(req))
    # Conditions, not network idleness under a fixed timeout (which a loaded machine misses):
    # the page and every frame loaded (the maps' frames scrolled into view first), then no
    # request of the page still in flight.
    page.goto(f"{base}/{name}", wait_until="load", timeout=SETTLE_MS)
    for frame in page.query_selector_all("iframe"):
        frame.scroll_into_view_if_needed(timeout=SETTLE_MS)
    for frame in page.frames:
        frame.wait_for_load_state("load", timeout=SETTLE_MS)
    _until_no_request_pending(page, pending)
    sizes, gzipped = {}, {}
    for req in responses:
        if req.url.startswith(base) and req.response() is not None:
            body = req.response().body()
            sizes[req.url] = len(body)
            gzipped[req.url] = len(gzip.compress(body, 6, mtime=0))
    context.close()
    parser = _Frames()
    text = (html_dir / name).read_text(encoding="utf-8")
    parser.feed(text)
    by_kind = {}
    for url, size in sizes.items():
        kind = _kind(url)
        by_kind[kind] = by_kind.get(kind, 0) + size
    total = sum(sizes.values())
    shared = sum(v for u, v in sizes.items() if _shared(base, u))
    return {"page": name, "requests": len(requests), "bytes_total": total,
            "bytes_shared_assets": shared, "bytes_own": total - shared,
            "bytes_total_gzip": sum(gzipped.values()),
            "bytes_html": len(text.encode("utf-8")), "bytes_inlined_maps": parser.srcdoc,
            "maps": text.count('class="bookmap"'), "bytes_by_kind": by_kind,
            "largest": sorted(((v, u[len(base):].split("?")[0]) for u, v in sizes.items()),
                              reverse=True)[:3],
            "requests_outside": outside, "under_limit": total < PAGE_LIMIT_BYTES,
            "own_under_limit": total - shared < PAGE_LIMIT_BYTES}


def _shared(base: str, url: str) -> bool:
    """Theme, vendored and search assets: the same file on every page (cached after the first)."""
    path = url[len(base):].split("?")[0]
    return path.startswith(("/_static/", "/vendor/")) or path in ("/searchindex.js",)


def _kind(url: str) -> str:
    path = url.split("?")[0]
    for kind, exts in {"html": (".html", "/"), "javascript": (".js",), "css": (".css",),
                       "font": (".woff", ".woff2", ".ttf", ".otf"),
                       "image": (".png", ".svg", ".jpg", ".ico", ".gif")}.items():
        if path.endswith(exts):
            return kind
    return "other"


def import_seconds(root: Path, repeats: int = 3) -> float:
    """Seconds a fresh Python needs for the chapters' imports, beyond starting Python."""
    def best(code):
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=bookcopy.build_env(root))
            times.append(time.perf_counter() - t0)
        return min(times)
    return round(best(CHAPTER_IMPORTS) - best("pass"), 2)


# -- point patterns ----------------------------------------------------------------------------
def pointpattern(skip: bool) -> dict | None:
    if not skip:
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_pointpattern.py")],
                       check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if not POINTPATTERN_JSON.exists():
        old = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
        return old.get("pointpattern")
    data = json.loads(POINTPATTERN_JSON.read_text(encoding="utf-8"))
    return {name: {"n": case["n"], "window_vertices": case["window_vertices"],
                   "aicluster_seconds": {c: case[f"aicluster_{c}"]["seconds"]
                                         for c in ("isotropic", "translation", "none")},
                   "pointpats_seconds_n_jobs_1": case["pointpats_k_test_n_jobs_1"]["seconds"],
                   "pointpats_over_aicluster": case["speedup_vs_pointpats_n_jobs_1"]}
            for name, case in data["cases"].items()} | {"nsim": data["nsim"],
                                                         "notes": data["notes"]}


def pointpattern_spatstat() -> dict | None:
    """The engine against R spatstat (benchmarks/pointpattern_spatstat.json), if measured."""
    if not SPATSTAT_JSON.exists():
        return None
    data = json.loads(SPATSTAT_JSON.read_text(encoding="utf-8"))
    keep = ("benchmark", "rows", "first_call", "growth_exponent_time_per_simulation",
            "growth_exponent_cpu_time_per_simulation", "notes", "machine")
    return {k: data[k] for k in keep if k in data}


# -- the appendix page -------------------------------------------------------------------------
def render(results: dict) -> str:
    m, b = results["machine"], results["build"]
    lines = [
        "# Build benchmarks (for contributors)",
        "",
        "These numbers come from `make bench` (`benchmarks/bench_build.py`), which writes "
        "`benchmarks/results.json`; this page is generated from that file "
        "(`python benchmarks/bench_build.py --render`). They describe one run on one machine: "
        "re-run `make bench` to measure yours.",
        "",
        "## The machine",
        "",
        "| Item | Value |",
        "| --- | --- |",
        f"| Measured | {results['measured_at']} |",
        f"| CPU | {_md(m['cpu'])}, {m['logical_cpus']} logical CPUs |",
        f"| Memory | {m['ram_gib']} GiB |",
        f"| System | {_md(m['os'])}, Linux {_md(m['kernel'])}, Python {m['python']} |",
        "| Software | " + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v) + " |",
        f"| Load average (1, 5, 15 min) before / after | {_load(results['load_before'])} / "
        f"{_load(results['load_after'])} |",
        f"| Runs (best of) | re-executed HTML 1, cold HTML and PDF {results['repeats']}, warm HTML "
        f"{results['repeats'] * WARM_REPEATS} |",
        "",
    ]
    if results.get("noise_note"):
        lines += [":::{note}", results["noise_note"], ":::", ""]
    lines += [
        "## Build time against the baseline book",
        "",
        "The *baseline book* has the same configuration and table of contents, with every "
        "notebook replaced by one that only runs `pass`: what Sphinx, the theme and the kernel "
        "starts cost with no chapter work. Goals: a cold build within "
        f"{GOALS['cold_html']:g}× the baseline, a warm rebuild within {GOALS['warm_html']:g}×.",
        "",
        "| Build | Book (s) | Baseline (s) | Ratio | Goal |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    names = {"cold_html": "Cold HTML, fresh clone (stored outputs used where current)",
             "reexecute_html": "Cold HTML, every notebook executed (`REEXECUTE=1`)",
             "warm_html": "Warm HTML (nothing changed)",
             "pdf": "PDF (execution cache warm)"}
    for kind, label in names.items():
        goal = GOALS.get(kind)
        verdict = "–" if goal is None else (f"≤ {goal:g}×: " + (
            "met" if b["ratios"][kind] <= goal else "**not met**"))
        lines.append(f"| {label} | {b['book'][kind]['seconds']:.1f} | "
                     f"{b['baseline'][kind]['seconds']:.1f} | {b['ratios'][kind]:.2f} | {verdict} |")
    cold = b["book"]["cold_html"]
    lines += ["", "Each build is what `make html` runs: `scripts/exec_cache.py` (the data check, "
              "then the chapters to execute, in parallel on the machine's cores, into the "
              "execution cache), then `jupyter-book build` (with `--all` for the cold builds, "
              "without for the warm one). The cold build starts from a fresh copy with no "
              "`_build`, as a fresh clone: `scripts/exec_cache.py` takes the stored outputs of "
              "each chapter whose code and inputs are those they were stored from "
              f"(`chapters/stored_outputs.json`); in this run it used the stored outputs of "
              f"{len(cold.get('stored_used', []))} chapters and executed "
              f"{len(cold['executed'])}. The baseline's `pass` notebooks are stored the same "
              "way before it is built. The re-executed build executes every notebook (`make html "
              "REEXECUTE=1`); where its extra time goes: seconds each notebook took to execute "
              "(`scripts/exec_cache.py`'s log; with two at a time, they overlap).", "",
              "| Notebook | Book (s) | Baseline (s) |", "| --- | ---: | ---: |"]
    book_exec = b["book"]["reexecute_html"]["executed"]
    base_exec = b["baseline"]["reexecute_html"]["executed"]
    for nb in sorted(set(book_exec) | set(base_exec)):
        lines.append(f"| `{nb}` | {book_exec.get(nb, 0):.1f} | {base_exec.get(nb, 0):.1f} |")
    lines += ["", f"Warm rebuild, what Sphinx re-read: book *{_md(b['book']['warm_html']['reread'])}*"
              f"; baseline *{_md(b['baseline']['warm_html']['reread'])}*.", ""]
    if results.get("edits"):
        lines += ["### Rebuilds after an edit", "",
                  "`make html` after one edit to the built book: `scripts/exec_cache.py` "
                  "re-executes the chapters whose code changed (prose is not code) or that read "
                  "the edited file at their last run (*readers*, from its record), then the "
                  "build re-reads every page (`--all`).", "",
                  "| Edit | File | Readers (recorded) | Chapters re-executed | Build (s) | "
                  "× baseline warm |",
                  "| --- | --- | --- | --- | ---: | ---: |"]
        for name, e in results["edits"].items():
            chapters = ", ".join(f"`{c}`" for c in e["re_executed"]) or "none"
            read_by = ", ".join(f"`{c}`" for c in e.get("readers", [])) or "none"
            lines.append(f"| {name} | `{e['edited']}` | {read_by} | {chapters} | "
                         f"{e['seconds']:.1f} | {e['vs_baseline_warm']:.2f} |")
        lines.append("")
    found = findings(b["book"], b["baseline"], b["ratios"], results["pages"],
                     results["chapter_import_seconds"])
    lines += ["### Findings", ""] + [f"- {_md_text(f)}" for f in found] + [""]
    lines += _render_pointpattern(results.get("pointpattern"))
    lines += _render_spatstat(results.get("pointpattern_spatstat"))
    lines += [
        "## Page weight and requests",
        "",
        "Every page of the table of contents, opened in headless Chromium with the network cut: "
        "all bytes received (the HTML with the maps' data inlined in their frames, scripts, "
        f"styles, fonts, images) and the number of requests. Goal: each page under "
        f"{PAGE_LIMIT_BYTES / 1e6:g} MB.",
        "",
        "| Page | Own (kB) | of which maps (kB) | Shared (kB) | Total (kB) | Gzip (kB) | "
        "Requests |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for p in results["pages"]:
        lines.append(f"| `{p['page']}` | {p['bytes_own'] / 1e3:,.0f}"
                     f"{'' if p['own_under_limit'] else ' (over 1 MB)'}"
                     f" | {p['bytes_inlined_maps'] / 1e3:,.0f} | "
                     f"{p['bytes_shared_assets'] / 1e3:,.0f} | {p['bytes_total'] / 1e3:,.0f} | "
                     f"{p['bytes_total_gzip'] / 1e3:,.0f} | {p['requests']} |")
    lines += ["", "*Own*: the page's HTML (with the maps' data inlined in their frames) and its "
              "figures. *Shared*: theme, vendored and search files, the same on every page. "
              "*Gzip*: all bytes, compressed as a web server would send them."]
    return "\n".join(lines) + "\n"


def _render_pointpattern(pp: dict | None) -> list[str]:
    if not pp:
        return ["## Point patterns against pointpats", "", "Not measured in this run.", ""]
    lines = ["## Point patterns against pointpats", "",
             f"The same global L-function envelope test (MAD, {pp['nsim']} CSR simulations) with "
             "`aicluster.pointpattern` and with pointpats' `k_test` (one process). pointpats has "
             "no edge correction, so the like-for-like comparison is the column *none*; "
             "*isotropic* is the spatstat-validated estimator the book uses.", "",
             "| Pattern (points) | pointpats (s) | aicluster, none (s) | "
             "aicluster, isotropic (s) | Ratio, none | Ratio, isotropic |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, c in pp.items():
        if not isinstance(c, dict):
            continue
        lines.append(f"| {name} ({c['n']}) | {c['pointpats_seconds_n_jobs_1']:.2f} | "
                     f"{c['aicluster_seconds']['none']:.2f} | "
                     f"{c['aicluster_seconds']['isotropic']:.2f} | "
                     f"{c['pointpats_over_aicluster']['none']:.1f} | "
                     f"{c['pointpats_over_aicluster']['isotropic']:.1f} |")
    lines += ["", "*Ratio*: pointpats' time over aicluster's (above 1: aicluster is faster)."]
    return lines + [""]


def _render_spatstat(sp: dict | None) -> list[str]:
    if not sp:
        return []
    lines = ["## Point patterns against R spatstat", "",
             "The 999-simulation global L test (MAD, isotropic correction, fixed n) on the same "
             "CSR pattern in the unit square, with spatstat's default r grid: "
             "`aicluster.pointpattern.global_envelope_test` and spatstat's `mad.test(X, Lest, "
             "nsim = 999, fix.n = TRUE, correction = \"isotropic\", use.theo = TRUE)`, each in "
             "its own process, side by side in one run "
             "(`python benchmarks/bench_pointpattern.py --spatstat-only`, also run by `make "
             "bench`). Loading the libraries is outside both timings. Peak memory is the "
             "process's maximum resident set size.", "",
             "| n | Simulations | aicluster (s) | spatstat (s) | Ratio (wall) | Ratio (CPU) | "
             "aicluster peak (MB) | spatstat peak (MB) | Same statistic |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in sp["rows"]:
        a, b = row["aicluster"], row["spatstat"]
        lines.append(f"| {row['n']:,} | {row['nsim']} | {a['seconds']:.2f} | {b['seconds']:.2f} | "
                     f"{row['spatstat_over_aicluster']:.2f} | "
                     f"{row['spatstat_over_aicluster_cpu']:.2f} | {a['peak_mb']:.0f} | "
                     f"{b['peak_mb']:.0f} | {'yes' if row['same_T_obs'] else '**no**'} |")
    g, gc = sp["growth_exponent_time_per_simulation"], sp["growth_exponent_cpu_time_per_simulation"]
    rows = sp["rows"]
    top, below = rows[-1], rows[-2]

    def last_step(who):  # the exponent between the two largest n
        ratio = (top[who]["seconds"] / top["nsim"]) / (below[who]["seconds"] / below["nsim"])
        return math.log(ratio) / math.log(top["n"] / below["n"])

    rmax = sorted({round(min(0.25, math.sqrt(1000 / (math.pi * r["n"]))), 3) for r in rows})
    lines += ["", "*Ratio*: spatstat's time over aicluster's (above 1: aicluster is faster). "
              f"Time per simulation grows as n^{g['aicluster']} for aicluster and "
              f"n^{g['spatstat']} for spatstat (CPU time: n^{gc['aicluster']} and "
              f"n^{gc['spatstat']}; slope of log time on log n over these {len(rows)} n), and "
              f"between n = {below['n']:,} and {top['n']:,} as n^{last_step('aicluster'):.2f} "
              f"and n^{last_step('spatstat'):.2f}. spatstat's default r_max is "
              + " to ".join(f"{v:g}" for v in rmax)
              + " here, so the pairs closer than r_max, which both count, grow as n²; at small "
              "n each simulation's fixed costs dominate, spatstat's more than aicluster's, "
              "which flattens spatstat's overall slope.", ""]
    first = sp.get("first_call")
    if first:
        cold, warm = first["cold_cache"], first["warm_cache"]
        lines += ["What a fresh process (a chapter's kernel) pays for the compiled pair kernel: "
                  f"importing `aicluster.pointpattern` {warm['import_seconds']:.2f} s; its first "
                  f"K function {cold['first_k_seconds']:.1f} s when numba's cache is empty "
                  f"(compilation, once per install or edit of `aicluster/_pairkernel.py`) and "
                  f"{warm['first_k_seconds']:.2f} s when it is filled (importing numba and "
                  "loading the cached kernel).", ""]
    return lines


def _md(text) -> str:
    return re.sub(r"([\\`*_{}\[\]<>|$])", r"\\\1", str(text))


def _md_text(text) -> str:
    return str(text).replace("|", "\\|")


def _load(values) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def write_page(results: dict) -> None:
    PAGE.write_text(render(results), encoding="utf-8")


# -- main --------------------------------------------------------------------------------------
def findings(book: dict, baseline: dict, rat: dict, pages: list[dict], imports: float) -> list[str]:
    """Plain statements read off the measurements (the profile of the builds)."""
    out = []
    cold = book["cold_html"]
    out.append(
        f"Cold HTML from a fresh clone: the book takes {cold['seconds']:.1f} s, "
        f"{rat['cold_html']:.2f}× the baseline (goal {GOALS['cold_html']:g}×: "
        f"{'met' if rat['cold_html'] <= GOALS['cold_html'] else 'not met'}); it used the stored "
        f"outputs of {len(cold.get('stored_used', []))} chapters and executed "
        f"{len(cold['executed'])}, so its extra time is Sphinx reading and writing the book's "
        "larger pages (figures, maps, tables).")
    extra = book["reexecute_html"]["seconds"] - baseline["reexecute_html"]["seconds"]
    executed = book["reexecute_html"]["executed"]
    if executed:
        slowest = max(executed, key=executed.get)
        n = len(executed)
        out.append(
            f"Cold HTML, every notebook executed: the book takes {extra:.1f} s more than the "
            f"baseline ({rat['reexecute_html']:.2f}×). Its {n} "
            f"notebooks take {sum(executed.values()):.1f} s of execution, run "
            f"{os.cpu_count()} at a time by scripts/exec_cache.py in "
            f"{book['reexecute_html'].get('exec_cache_seconds', 0):.1f} s (with the data "
            f"check), against {sum(baseline['reexecute_html']['executed'].values()):.1f} s for "
            f"the `pass` notebooks in "
            f"{baseline['reexecute_html'].get('exec_cache_seconds', 0):.1f} s "
            f"(slowest: `{slowest}`, {executed[slowest]:.1f} s, which bounds the parallel "
            f"execution from below). Of the execution, about {imports:.1f} s "
            f"per notebook ({n * imports:.1f} s in all) is importing geopandas, folium, "
            "matplotlib and pyproj in each fresh kernel; the rest is the chapters' own work "
            "(drawing and saving figures and static maps, loading and checking the evidence). "
            "The baseline's kernels import nothing, so this cost, which every chapter that draws "
            "a map pays, counts against the ratio.")
    warm = book["warm_html"]
    out.append(
        f"Warm HTML: Sphinx re-read *{warm['reread']}* and executed {len(warm['executed'])} "
        "notebooks, in the book and in the baseline alike: a no-change rebuild is "
        "scripts/exec_cache.py finding nothing to execute (hashing each chapter's recorded "
        "inputs), then Python start-up, imports (Sphinx, myst-nb, and aicluster.buildcheck's data "
        f"and font checks, paid by both books) and loading the pickled environment. Ratio {rat['warm_html']:.2f}"
        f" (best of {WARM_REPEATS} runs); differences of a second are within the noise of a "
        "loaded machine.")
    own_max = max(pages, key=lambda p: p["bytes_own"])
    shared = max(p["bytes_shared_assets"] for p in pages)
    big = sorted({(v, u) for p in pages for v, u in p["largest"] if u.startswith(("/_static", "/vendor"))},
                 reverse=True)[:3]
    out.append(
        f"Pages: what is particular to a page (its HTML with the maps' data inlined, its figures) "
        f"is at most {own_max['bytes_own'] / 1e6:.2f} MB (`{own_max['page']}`), "
        f"{'under' if own_max['bytes_own'] <= 1e6 else 'over'} the 1 MB goal; "
        f"but every page also loads up to {shared / 1e6:.2f} MB of theme and vendored assets, "
        "the same files on every page (cached by the browser after the first): "
        + ", ".join(f"`{u}` ({v / 1e6:.2f} MB)" for v, u in big)
        + ". So a first visit weighs more than 1 MB on every page, the baseline's included; "
        "served compressed, a page costs the gzip column.")
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--render", action="store_true", help="only rewrite the appendix page")
    ap.add_argument("--skip-pointpattern", action="store_true")
    ap.add_argument("--spatstat", action="store_true",
                    help="copy benchmarks/pointpattern_spatstat.json into the results and render")
    ap.add_argument("--repeats", type=int, default=int(os.environ.get("BENCH_REPEATS", "1")))
    args = ap.parse_args(argv)
    if args.spatstat:
        results = json.loads(RESULTS.read_text(encoding="utf-8"))
        results["pointpattern_spatstat"] = pointpattern_spatstat()
        RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n",
                           encoding="utf-8")
        args.render = True
    if args.render:
        write_page(json.loads(RESULTS.read_text(encoding="utf-8")))
        print(f"wrote {PAGE.relative_to(ROOT)}")
        return
    before = load()
    with tempfile.TemporaryDirectory(prefix="aicluster-bench-") as tmp:
        book_root = bookcopy.copy_book(Path(tmp) / "book")
        base_root = bookcopy.copy_book(Path(tmp) / "baseline")
        bookcopy.make_baseline(base_root)
        store_baseline(base_root)
        print(f"building the book and the baseline book ({args.repeats} repeat(s)) in {tmp}")
        book = bench_book(book_root, args.repeats, strict=True)
        # The baseline is not strict: its `pass` notebooks glue nothing and write no figure, so
        # other pages' references to them only warn there.
        baseline = bench_book(base_root, args.repeats, strict=False)
        for name, res in (("book", book), ("baseline", baseline)):
            failed = {k: v["returncode"] for k, v in res.items() if v["returncode"]}
            if failed and name == "book":
                sys.exit(f"the book build failed: {failed}; see the logs in {book_root}")
        rat = ratios(book, baseline)
        print("build times (s), book / baseline:", json.dumps(
            {k: [book[k]["seconds"], baseline[k]["seconds"], rat[k]] for k in rat}), flush=True)
        edits = edit_scenarios(book_root, baseline["warm_html"]["seconds"])
        print("edits:", json.dumps(edits), flush=True)
        pages = page_weights(book_root)
        imports = import_seconds(book_root)
    pp = pointpattern(args.skip_pointpattern)
    after = load()
    results = {
        "measured_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(), "load_before": before, "load_after": after,
        "repeats": args.repeats,
        "noise_note": noise_note(before, after, args.repeats),
        "build": {"book": book, "baseline": baseline, "ratios": rat, "goals": GOALS},
        "chapter_import_seconds": imports,
        "edits": edits,
        "pointpattern": pp,
        "pointpattern_spatstat": pointpattern_spatstat(),
        "pages": pages,
    }
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_page(results)
    print(f"\nwrote {RESULTS.relative_to(ROOT)} and {PAGE.relative_to(ROOT)}")
    for kind, r in rat.items():
        print(f"{kind:10s} book {book[kind]['seconds']:7.1f} s  baseline "
              f"{baseline[kind]['seconds']:7.1f} s  ratio {r:.2f}"
              + (f"  (goal ≤ {GOALS[kind]:g})" if kind in GOALS else ""))
    for p in pages:
        print(f"{p['page']:40s} {p['bytes_total'] / 1e3:9,.0f} kB ({p['bytes_own'] / 1e3:7,.0f} kB "
              f"own)  {p['requests']:3d} requests")
    for line in findings(book, baseline, rat, pages, imports):
        print("-", line)


if __name__ == "__main__":
    main()
