"""Calibration and power of the point-pattern chapter's tests, each repeating the whole procedure.

The chapter (``chapters/point_patterns.ipynb``) tests the distinct AI-building locations in an
urban-core window that is *estimated from the locations* (Ripley-Rasson hull clipped to
Haidian), and re-estimates that window in every simulated pattern.  This script checks that the
procedure is calibrated and measures its power, by repeating all of it (window, null
simulations, p-value) on patterns whose truth is known:

* **type-I error**: patterns of n points drawn under each null -- uniform in a fixed convex
  region D (the chapter's observed core), and the Thomas process fitted to the data, simulated
  in D -- must be rejected at 5 % about 5 % of the time (within Monte Carlo error);
* **why the L test is conservative**: the same L test with the true region D as its window
  (not re-estimated; ``csr/l_fixed/fixed``) beside the chapter's (``csr/l/csr``), with more
  repetitions, so that their difference says whether the window's estimation is the cause;
* **power**: Thomas patterns with tighter clusters (for the clustering tests), and patterns
  attracted to the institutions (density proportional to exp(-distance / b)) for the proximity
  tests.

Writes ``benchmarks/pointpattern_calibration.json``, which the chapter reads.
Run: ``python benchmarks/calibration_pointpattern.py`` (about 20 minutes on one busy core), or in
parallel: ``--part=0/2`` and ``--part=1/2`` in two processes, then the plain command to collect.
"""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aicluster import clusterstats as cs  # noqa: E402
from aicluster import geo, haidian  # noqa: E402
from aicluster import pointpattern as pp  # noqa: E402
from aicluster import ppinference as ppi  # noqa: E402

OUT = ROOT / "benchmarks" / "pointpattern_calibration.json"
PARTS = ROOT / "benchmarks" / "results"  # scratch files of parallel parts (not committed)
SEED = 20261129
NREP = 200       # repetitions of the whole procedure per scenario
NREP_L_NULL = 2400  # the L test under CSR, window re-estimated and fixed: their difference (MC SE 0.44 points at 5 %)
NREP_CLUSTER_NULL = 400  # the type-I row of the cluster null: MC SE about 1 point at 5 %
NREP_CLUSTER_POWER = 66  # its power row (each repetition refits the process: slow)
NSIM = 99        # null simulations inside each repetition
R_WALK = np.arange(0.0, 1500.0 + 1e-9, 25.0)
TIGHT_SCALE_M = 150.0   # sigma of the tighter Thomas clusters (power of the clustering tests)
ATTRACTION_B_M = 300.0  # density exp(-d / b) in the distance d to the nearest institution


def setting():
    districts = geo.load_districts().to_crs(geo.METRIC).set_index("district_id")
    hd = districts.geometry["haidian"]
    places = haidian.haidian_places()
    sites = haidian.of_kinds(places, haidian.AI_SITE_KINDS)
    inst = haidian.xy(haidian.of_kinds(places, haidian.INSTITUTION_KINDS))
    locations, _ = cs.distinct_locations(haidian.xy(sites))
    return hd, inst, locations


def statistics(hd, inst):
    def core_of(x):
        return ppi.estimated_window(x, hd)

    return {
        "ce": (lambda x: pp.clark_evans(x, core_of(x)).R, "less"),
        "l": (lambda x: np.max(pp.l_function(x, core_of(x), R_WALK) - R_WALK), "greater"),
        "prox": (lambda x: ppi.distance_ratio(x, inst, core_of(x), cell=100.0), "less"),
    }, core_of


def attracted(window, inst, n, b, rng):
    """n points in window with density proportional to exp(-distance to institution / b)."""
    out = np.empty((0, 2))
    while len(out) < n:
        cand = pp.csr(window, 4 * n, rng)
        keep = rng.uniform(size=len(cand)) < np.exp(-ppi.nearest_target_distance(cand, inst) / b)
        out = np.vstack([out, cand[keep]])
    return out[:n]


def procedure_p(x, stat, alt, core_of, null, rng):
    """The chapter's procedure on pattern x: window from x, NSIM null patterns simulated in it
    (``null(window, x)`` returns the simulator), each with its own window; the p-value, the
    observed statistic and the simulated ones."""
    w = core_of(x)
    simulate = null(w, x)
    sims = [stat(simulate(rng)) for _ in range(NSIM)]
    t_obs = stat(x)
    return ppi.mc_p_value(t_obs, sims, alt), t_obs, sims


def rate(runs, alpha=0.05):
    """Rejection rate at alpha with its MC SE; the 95 % quantiles of the observed statistic
    (over repetitions) and of the simulated ones (pooled), whose mismatch shows whether the
    null patterns behave as the data do under the null."""
    ps = np.asarray([p for p, _, _ in runs])
    share = float(np.mean(ps <= alpha))
    return {"rejection_rate": share, "mc_se": math.sqrt(share * (1 - share) / len(ps)),
            "nrep": len(ps),
            "t_obs_q95": float(np.quantile([t for _, t, _ in runs], 0.95)),
            "t_sim_q95": float(np.quantile(np.concatenate([s for _, _, s in runs]), 0.95))}


def data_key(n, region, fit) -> str:
    """A short hash of what the scenarios depend on in the data: n, the region and the fit."""
    import hashlib
    text = f"{n}|{region.wkt if hasattr(region, 'wkt') else region!r}|{fit!r}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def main():
    hd, inst, loc = setting()
    n = len(loc)
    stats, core_of = statistics(hd, inst)
    D = core_of(loc)
    # the L test in the true region D, not re-estimated: the same test with a known window
    stats["l_fixed"] = (lambda x: np.max(pp.l_function(x, D, R_WALK) - R_WALK), "greater")
    fit = ppi.fit_cluster(loc, D, "thomas", r=R_WALK)
    # ``--part k/m`` runs every m-th row (from row k) into its own file, so that m processes
    # can share the work; a run without it collects their rows (and those of an interrupted
    # run with the same settings) and computes only what is missing.
    part = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--part=")), None)
    k_part, m_part = (int(v) for v in part.split("/")) if part else (0, 1)
    PARTS.mkdir(parents=True, exist_ok=True)
    out = PARTS / f"{OUT.stem}.part{k_part}.json" if part else OUT
    # Results are reused only for the same settings AND the same data: the region D and the
    # fitted process depend on the stored coordinates, so a change in places.csv re-runs all.
    setting_key = data_key(n, D, fit)
    done = {}
    for f in [OUT, *sorted(PARTS.glob(OUT.stem + ".part*.json"))]:
        if f.exists():
            old = json.loads(f.read_text(encoding="utf-8"))
            if ((old.get("nrep"), old.get("nsim"), old.get("seed"), old.get("data_key"))
                    == (NREP, NSIM, SEED, setting_key)):
                done |= old.get("scenarios", {})
    row = -1
    def csr_null(w, x):
        return lambda g: pp.csr(w, n, g)

    def fixed_null(w, x):  # CSR in the true region D, whatever the pattern
        return lambda g: pp.csr(D, n, g)

    def cluster_null(w, x):  # the process is refitted to each pattern, as in the chapter
        try:
            f = ppi.fit_cluster(x, w, "thomas", r=R_WALK)
        except ValueError:  # no cluster process fits better than Poisson: the null is CSR
            return csr_null(w, x)
        return lambda g: ppi.simulate_cluster(f, w, g, n=n)

    scenarios = {
        "csr": lambda g: pp.csr(D, n, g),
        "thomas_fitted": lambda g: ppi.simulate_cluster(fit, D, g, n=n),
        "thomas_tight": lambda g: ppi.simulate_cluster(
            ppi.ClusterFit("thomas", fit.kappa, TIGHT_SCALE_M, fit.mu, 0.0), D, g, n=n),
        "attracted": lambda g: attracted(D, inst, n, ATTRACTION_B_M, g),
    }
    # (test, null) pairs run in each scenario; the cluster null refits the process each time,
    # so it is run with fewer repetitions
    plan = {
        "csr": [("ce", "csr"), ("l", "csr"), ("prox", "csr"), ("l_fixed", "fixed")],
        "thomas_fitted": [("prox", "csr"), ("prox", "cluster")],
        "thomas_tight": [("ce", "csr"), ("l", "csr")],
        "attracted": [("prox", "csr"), ("prox", "cluster")],
    }
    results = {"n": n, "nrep": NREP, "nsim": NSIM, "seed": SEED, "data_key": setting_key,
               "tight_scale_m": TIGHT_SCALE_M, "attraction_b_m": ATTRACTION_B_M,
               "fit": {"kappa_per_km2": fit.kappa * 1e6, "scale_m": fit.scale, "mu": fit.mu},
               "notes": ["Keys are scenario/test/null. rejection_rate is the share of "
                         "repetitions with p <= 0.05, mc_se its binomial standard error.",
                         "t_obs_q95 is the 95 % quantile of the observed statistic over the "
                         "repetitions (about nrep values: noisy), t_sim_q95 that of all "
                         "simulated statistics pooled.",
                         "csr/l_fixed/fixed: the L test with the true region as its window, "
                         "no re-estimation: an exact Monte Carlo test (ties count against the data), for comparison."],
               "scenarios": {}}
    for s_index, (name, draw) in enumerate(scenarios.items()):
        for t_index, (test, null_name) in enumerate(plan[name]):
            key = f"{name}/{test}/{null_name}"
            row += 1
            if part and row % m_part != k_part:
                continue
            null = {"csr": csr_null, "fixed": fixed_null, "cluster": cluster_null}[null_name]
            nrep = (NREP_L_NULL if name == "csr" and test.startswith("l") else NREP
                    if null_name != "cluster" else NREP_CLUSTER_NULL
                    if name == "thomas_fitted" else NREP_CLUSTER_POWER)
            if (key in done and done[key].get("nrep") == nrep
                    and ("t_sim_q95" in done[key] or not test.startswith("l"))):
                results["scenarios"][key] = done[key]
                continue
            rng = np.random.default_rng([SEED, s_index, t_index])  # one stream per row
            stat, alt = stats[test]
            t0 = time.perf_counter()
            runs = [procedure_p(draw(rng), stat, alt, core_of, null, rng) for _ in range(nrep)]
            results["scenarios"][key] = rate(runs) | {"seconds": round(time.perf_counter() - t0)}
            print(key, results["scenarios"][key], flush=True)
            out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    if not part:
        for f in PARTS.glob(OUT.stem + ".part*.json"):
            f.unlink()
    print("written", out)


if __name__ == "__main__":
    main()
