"""The point-pattern chapter's check that its verdicts do not depend on the seed, stored.

The chapter runs its family of Monte Carlo tests (``run_family``) with seed 1 and reports it.
Re-running the whole family with four more seeds shows that the verdicts do not depend on the
seed, but takes minutes (up to 9,999 simulations per test, each re-estimating its window), so
``scripts/seed_check.py`` runs the five seeds in parallel processes and stores, for every seed
and test, the Holm-adjusted p-value and the verdict in ``benchmarks/pointpattern_seeds.json``.

The file is keyed by a hash of what its results depend on: the data (site locations,
institutions, district), the chapter's parameters, the code of the statistics modules
(:func:`code_fingerprint`: comments and docstrings do not count), and the
seed-1 results themselves -- which the chapter recomputes, so any change to the family's code
that changes a result also changes the key.  :func:`load` refuses a file whose key differs, with
a message naming the command that regenerates it.
"""
from __future__ import annotations

import ast
import hashlib
import json

import numpy as np

from . import atomic, paths

SEEDS_FILE = paths.ROOT / "benchmarks" / "pointpattern_seeds.json"
REGENERATE = "python scripts/seed_check.py"
#: Modules whose code the results depend on (the chapter's own code is covered by seed 1).
MODULES = ("pointpattern.py", "ppinference.py")


def _plain(value):
    """JSON-ready: numpy scalars and arrays as Python values, geometries as WKB hex."""
    if hasattr(value, "wkb_hex"):
        return value.wkb_hex
    if isinstance(value, np.ndarray):
        return {"shape": list(value.shape),
                "sha256": hashlib.sha256(np.ascontiguousarray(value, float).tobytes())
                .hexdigest()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def verdict_record(verdicts: dict) -> dict:
    """``{test: [Holm p, decision]}`` from the chapter's ``decisions(res)`` (plain values)."""
    return {k: [float(p), str(d)] for k, (p, d) in verdicts.items()}


def code_fingerprint(source: str) -> str:
    """Hash of a module's code: its syntax tree without docstrings, so that comments,
    docstrings and layout do not count, but any change to what runs does."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree).encode("utf-8")).hexdigest()


def key(data: dict, params: dict, seed1: dict) -> str:
    """Hash of the data, parameters, statistics modules' code and the seed-1 verdicts."""
    sources = {m: code_fingerprint((paths.ROOT / "aicluster" / m).read_text(encoding="utf-8"))
               for m in MODULES}
    text = json.dumps({"data": _plain(data), "params": _plain(params), "modules": sources,
                       "seed1": seed1}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def save(seeds: dict, key_: str, path=SEEDS_FILE) -> None:
    """Write ``{seed: verdict record}`` under ``key_`` (atomically)."""
    record = {"key": key_, "regenerate": REGENERATE,
              "notes": ["seeds maps each seed to {test: [Holm-adjusted p-value, decision]}; "
                        "decision is reject, retain or unsettled (within two Monte Carlo "
                        "standard errors of alpha)."],
              "seeds": {str(s): r for s, r in seeds.items()}}
    atomic.write_text(path, json.dumps(record, indent=1, ensure_ascii=False) + "\n")


def load(key_: str, path=SEEDS_FILE) -> dict:
    """The stored ``{seed: verdict record}``; raises if missing or computed for other inputs."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuntimeError(f"{path.name} is missing: run `{REGENERATE}` "
                           "(a few minutes) and re-run this notebook") from None
    if record.get("key") != key_:
        raise RuntimeError(
            f"{path.name} was computed for other data, parameters or code (key "
            f"{record.get('key')}, expected {key_}): run `{REGENERATE}` (a few minutes, "
            "the seeds in parallel) and re-run this notebook")
    return {int(s): r for s, r in record["seeds"].items()}
