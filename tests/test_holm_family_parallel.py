"""ppinference.holm_family with its statistics computed in worker processes gives exactly the
results of one process (the patterns are drawn in the parent, in order)."""
import numpy as np
import pytest
from shapely.geometry import box

from aicluster import pointpattern as pp
from aicluster import ppinference as ppi

SQUARE = box(0, 0, 1000, 1000)
R = np.arange(0.0, 201.0, 25.0)


def family(n=12):
    gen = np.random.default_rng(3)
    observed = pp.csr(SQUARE, n, gen)
    observed[:4] = observed[0] + gen.uniform(-20, 20, (4, 2))  # a clump: some tests reject

    def core_of(x):  # a window re-estimated from each pattern, as in the chapter
        return ppi.estimated_window(x, SQUARE)

    return {  # closures, which a spawned process could not unpickle
        "l": (lambda x: np.max(pp.l_function(x, core_of(x), R) - R), observed,
              lambda g: pp.csr(SQUARE, n, g), "greater"),
        "ce": (lambda x: pp.clark_evans(x, core_of(x)).R, observed,
               lambda g: pp.csr(SQUARE, n, g), "less"),
        "edge": (lambda x: x, 1.645, lambda g: g.normal(), "greater"),
    }


def run(processes):
    tests = family()
    rngs = {k: np.random.default_rng([7, i]) for i, k in enumerate(tests)}
    return ppi.holm_family(tests, rngs, nsim=99, max_nsim=495, processes=processes)


def test_parallel_statistics_give_the_same_tests_as_one_process():
    one, two = run(1), run(2)
    assert list(one) == list(two)
    for k in one:
        assert one[k].observed == two[k].observed
        np.testing.assert_array_equal(one[k].simulated, two[k].simulated)
    assert one["edge"].nsim > 99  # the sequential extension ran, in both


def test_processes_must_be_positive():
    with pytest.raises(ValueError, match="processes"):
        ppi.holm_family(family(), {}, processes=0)
