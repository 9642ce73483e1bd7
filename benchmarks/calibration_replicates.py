"""Independent replicates of the L test's type-I rows of calibration_pointpattern.py.

    python benchmarks/calibration_replicates.py ROW SEED NREP     (ROW: l or l_fixed)

Repeats the row ``csr/ROW`` of ``benchmarks/pointpattern_calibration.json`` -- the whole
procedure on CSR patterns in the true region D, with the window re-estimated in every pattern
(``l``) or fixed at D (``l_fixed``) -- with another random stream (``default_rng(SEED)``;
SEED ``20261129,0,3`` is the committed ``csr/l_fixed`` row's own stream, ``20261129,0,1`` that
of ``csr/l``), using the calibration script's own setting, statistics and ``procedure_p``.  Prints one JSON line: the
rejections at 5 %, the standard error at the nominal rate, how the observed statistic ranks among
its simulations (``rank_counts[k]``: repetitions with exactly k simulated values above it, k <
10), and how many repetitions a tie decided (the observed value tied with simulated ones across
the rejection boundary: ties count against the data).  A few minutes per 600 repetitions; not
run by ``make``: it checks whether a rate away from 5 % is the test's or the stream's.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import calibration_pointpattern as cal  # noqa: E402

from aicluster import pointpattern as pp  # noqa: E402


def main(row: str, seed: list[int], nrep: int) -> dict:
    hd, inst, loc = cal.setting()
    n = len(loc)
    stats, core_of = cal.statistics(hd, inst)
    D = core_of(loc)
    if row == "l_fixed":
        stat, alt = (lambda x: np.max(pp.l_function(x, D, cal.R_WALK) - cal.R_WALK)), "greater"

        def null(w, x):
            return lambda g: pp.csr(D, n, g)
    elif row == "l":
        stat, alt = stats["l"]

        def null(w, x):
            return lambda g: pp.csr(w, n, g)
    else:
        raise SystemExit(f"ROW must be l or l_fixed, got {row!r}")
    rng = np.random.default_rng(seed)
    ranks, decided_by_ties, rejected = [], 0, 0
    for _ in range(nrep):
        p, t, sims = cal.procedure_p(pp.csr(D, n, rng), stat, alt, core_of, null, rng)
        sims = np.asarray(sims)
        above, tied = int(np.sum(sims > t)), int(np.sum(sims == t))
        rejected += p <= 0.05
        decided_by_ties += above <= 4 < above + tied
        ranks.append(above)
    return {"row": f"csr/{row}", "seed": seed, "nrep": nrep, "rejected": int(rejected),
            "rate": rejected / nrep, "se_at_nominal": math.sqrt(0.05 * 0.95 / nrep),
            "rank_counts": [ranks.count(k) for k in range(10)],
            "decided_by_ties": decided_by_ties}


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    print(json.dumps(main(sys.argv[1], [int(v) for v in sys.argv[2].split(",")], int(sys.argv[3]))))
