"""Scale: the data check and the heaviest per-place computation with k times today's places.

    .venv/bin/python benchmarks/bench_scale.py [k ...]      (default: 10 100)

For each k, data/ is copied to a temporary folder and every row of places.csv is repeated k
times with new ids (``<id>_x<j>``), each copy moved by a random distance of up to half its
precision radius (at most 300 m, fixed seed), so every copy is valid and no two coincide. In a fresh child
process each (so peak memory is its own) it runs

- the build's data check (``aicluster.buildcheck.check_data``, without the article texts), and
- ``haidian.simulate_nearest_distance`` on the Haidian AI sites and universities/institutes of
  the scaled table (the chapter's 4,000 draws), which allocated draws x sites x institutions x 2
  floats at once before it was chunked,

and prints wall time and peak resident memory (ru_maxrss). Claims, events and organisation
links are not scaled: their ids (C000-C999, ...) allow at most 1,000 rows, fewer than 10x.
Results go to stdout (JSON lines); timings are not asserted anywhere.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from aicluster import geo  # noqa: E402

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from aicluster import buildcheck, evidence, geo, haidian
data, what = Path(sys.argv[1]), sys.argv[2]
t = time.perf_counter()
out = {"what": what}
try:
    if what == "check":
        buildcheck.check_data(data, data / "no-seeds")
        out["rows"] = len(evidence.load_places(data))
    else:
        places = evidence.load_places(data).to_crs(geo.METRIC)
        sites = haidian.of_kinds(places, haidian.AI_SITE_KINDS)
        sites = sites[sites["district"] == "haidian"]
        inst = haidian.of_kinds(places, ("university", "institute"))
        inst = inst[inst["district"] == "haidian"]
        out["sites"], out["institutions"] = len(sites), len(inst)
        haidian.simulate_nearest_distance(sites, inst)
    out["ok"] = True
except Exception as err:
    out["ok"], out["error"] = False, f"{type(err).__name__}: {err}"[:400]
out["seconds"] = round(time.perf_counter() - t, 2)
out["peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(out))
"""


def scaled_data(k: int, into: Path) -> Path:
    data = into / "data"
    shutil.copytree(ROOT / "data", data)
    with open(data / "places.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    copies = [r[:] for r in body]
    rng = np.random.default_rng(16)
    lon, lat, radius = (header.index(c) for c in ("lon", "lat", "precision_m"))
    districts = geo.load_districts(data / "beijing_districts.geojson").set_index("district_id")
    inside = [districts.geometry[r[header.index("district")]].contains(
        shapely.Point(float(r[lon]), float(r[lat]))) for r in body]
    for j in range(1, k):
        for r, within in zip(body, inside):
            # A distinct, valid point: moved by up to half its precision radius (at most 300 m),
            # so it stays within its district give or take its radius, as the check requires
            # (a place already outside its district, within its radius, is not moved).
            dist = min(int(r[radius]) / 2, 300) * np.sqrt(rng.uniform()) * within
            angle = rng.uniform(0, 2 * np.pi)
            y = float(r[lat]) + dist * np.sin(angle) / 111_320
            x = float(r[lon]) + dist * np.cos(angle) / (111_320 * np.cos(np.radians(y)))
            row = [f"{r[0]}_x{j}", *r[1:]]
            row[lon], row[lat] = f"{x:.6f}", f"{y:.6f}"
            copies.append(row)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *copies])
    (data / "places.csv").write_text(buf.getvalue(), encoding="utf-8")
    _add_keys(data, [r[0] for r in copies[len(body):]])
    return data


def _add_keys(data: Path, new_ids: list[str]) -> None:
    """Every place needs a display key: copies get the next free numbers of their district's
    letter, from 100 up (the key form allows three digits, enough for the 500-place limit; a
    larger copy keeps the file as it is and is refused by the row limit of places.csv)."""
    path = data / "place_keys.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    letter_of = {r["place_id"].split("_", 1)[0]: r["key"][0] for r in rows}
    counts: dict[str, int] = {}
    added = []
    for pid in new_ids:
        letter = letter_of[pid.split("_", 1)[0]]
        counts[letter] = counts.get(letter, 99) + 1
        if counts[letter] > 999:
            return
        added.append({"place_id": pid, "key": f"{letter}{counts[letter]}"})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["place_id", "key"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows + added)
    path.write_text(buf.getvalue(), encoding="utf-8")


def run(k: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        data = scaled_data(k, Path(tmp))
        results = []
        for what in ("check", "simulate"):
            proc = subprocess.run([sys.executable, "-c", CHILD, str(data), what, str(ROOT)],
                                  capture_output=True, text=True, timeout=3600)
            line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "{}"
            result = json.loads(line) if line.startswith("{") else {"ok": False,
                                                                    "error": proc.stderr[-400:]}
            results.append({"k": k, **result})
        return results


def main(argv: list[str]) -> None:
    for k in [int(a) for a in argv] or [10, 100]:
        t = time.perf_counter()
        for result in run(k):
            print(json.dumps(result), flush=True)
        print(json.dumps({"k": k, "total_seconds": round(time.perf_counter() - t, 1)}),
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
