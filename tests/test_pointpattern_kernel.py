"""The compiled pair kernel (aicluster._pairkernel) against the numpy engine it replaces.

The kernel finds close pairs with a cell list and sums their weights in compiled loops; the numpy
engine finds them with a KD-tree and sums by bincount.  Same pair test, same distances, same bins,
same weights term by term: only the order of the sums differs, so the K sums agree to 1e-12.
"""

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from aicluster import pointpattern as pp


def _clustered(win, n, rng, spread):
    """n points around 6 parents (Gaussian, sd ``spread``), kept if inside the window."""
    parents = pp.csr(win, 6, rng)
    out = np.empty((0, 2))
    while len(out) < n:
        cand = parents[rng.integers(0, 6, 4 * n)] + spread * rng.standard_normal((4 * n, 2))
        cand = cand[shapely.contains_xy(win.geom, cand[:, 0], cand[:, 1])]
        out = np.vstack([out, cand])[:n]
    return out


def _patterns(win, kind, m, n, seed):
    rng = np.random.default_rng(seed)
    if kind == "random":
        return pp.csr(win, m * n, rng).reshape(m, n, 2)
    x0, y0, x1, y1 = win.bounds
    return np.stack([_clustered(win, n, rng, 0.03 * (x1 - x0)) for _ in range(m)])


RECT = box(-1.0, 2.0, 3.0, 3.5)
POLY = Polygon([(0, 0), (10, 0), (10, 4), (6, 4), (6, 9), (0, 9)],
               [[(2, 2), (3, 2), (3, 3), (2, 3)]])


def _agree(pats, win, r, correction):
    fast = pp._k_sums(pats, win, r, correction)
    slow = pp._k_sums(pats, win, r, correction, compiled=False)
    assert fast.shape == slow.shape == (len(pats), len(r))
    assert np.all(fast >= 0) and fast[:, -1].min() > 0  # pairs were found
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=0)


@pytest.mark.parametrize("kind", ["random", "clustered"])
@pytest.mark.parametrize("correction", ["isotropic", "translation", "none"])
def test_kernel_equals_numpy_engine_in_a_rectangle(kind, correction):
    win = pp._window(RECT)
    pats = _patterns(win, kind, 5, 400, 11)
    pats[0, :5] = [[-1.0, 2.0], [3.0, 3.5], [-1.0, 2.7], [1.0, 2.0], [3.0, 2.0]]  # corners, sides
    for r in (np.linspace(0.0, 0.375, 513), np.linspace(0.0, 1.4, 101),
              np.array([0.0, 0.01, 0.05, 0.2, 0.21, 0.6])):  # even grids, an uneven one
        _agree(pats, win, r, correction)


@pytest.mark.parametrize("kind", ["random", "clustered"])
def test_kernel_equals_numpy_engine_in_a_polygon_without_correction(kind):
    # in a polygon (with a hole) the kernel serves the uncorrected sums; the isotropic and
    # translation weights of a polygon stay with the numpy engine
    win = pp._window(POLY)
    pats = _patterns(win, kind, 4, 300, 12)
    _agree(pats, win, np.linspace(0.0, 2.0, 257), "none")


def test_kernel_keeps_spatstats_strict_rule_at_the_top_of_the_grid():
    # a pair at exactly r_max is not counted (closepairs: dx^2 + dy^2 < rmax^2); the grid's
    # last value is a distance the pattern realises exactly
    win = pp._window(box(0.0, 0.0, 1.0, 1.0))
    pts = np.array([[0.25, 0.5], [0.5, 0.5], [0.75, 0.5], [0.1, 0.1]])
    for corr in ("none", "isotropic", "translation"):
        top = pp._k_sums(pts[None], win, np.array([0.1, 0.25]), corr)[0]
        beyond = pp._k_sums(pts[None], win, np.array([0.1, 0.25, 0.26]), corr)[0]
        assert top[-1] == 0.0, corr
        assert beyond[1] > 0 and beyond[1] == beyond[2], corr


def test_kernel_bins_distances_on_grid_values_as_searchsorted():
    # points on a lattice: many distances equal grid values exactly (d <= r_k counts at r_k)
    win = pp._window(box(0.0, 0.0, 1.0, 1.0))
    g = np.arange(0.05, 1.0, 0.1)
    pts = np.array([(x, y) for x in g for y in g])
    for r in (np.linspace(0.0, 0.3, 7), np.linspace(0.0, 0.3, 513)):
        for corr in ("none", "isotropic"):
            _agree(pts[None], win, r, corr)


def test_kernel_handles_coincident_points_and_tiny_patterns():
    # duplicates (d = 0, counted from r = 0 on), two-point patterns, all points in one cell
    win = pp._window(box(0.0, 0.0, 1.0, 1.0))
    dup = np.array([[[0.3, 0.3], [0.3, 0.3], [0.0, 0.0], [0.0, 0.0], [0.31, 0.3]]])
    for corr in ("none", "isotropic", "translation"):
        _agree(dup, win, np.linspace(0.0, 0.2, 21), corr)
        _agree(np.array([[[0.1, 0.1], [0.2, 0.15]]]), win, np.linspace(0.0, 0.3, 31), corr)


def test_envelope_test_is_unchanged_by_the_kernel(monkeypatch):
    # the whole global test (observed curve and 99 simulated ones) in a rectangle, both engines
    win = box(0.0, 0.0, 2.0, 1.0)
    pts = pp.csr(win, 120, np.random.default_rng(3))
    options = [dict(), dict(fix_n=False, test="dclf", correction="translation")]
    fast = [pp.global_envelope_test(pts, win, nsim=99, rng=4, **o) for o in options]
    original = pp._k_sums
    monkeypatch.setattr(pp, "_k_sums", lambda *a, **k: original(*a, **k, compiled=False))
    slow = [pp.global_envelope_test(pts, win, nsim=99, rng=4, **o) for o in options]
    for f, s in zip(fast, slow):
        np.testing.assert_allclose(f.simulated, s.simulated, rtol=1e-12, atol=0)
        assert f.T_obs == pytest.approx(s.T_obs, rel=1e-12)
        assert f.p_value == s.p_value


def test_fast_acos_is_within_one_unit_in_the_last_place_of_acos():
    from aicluster._pairkernel import fast_acos

    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(0.0, 1.0, 200_000), rng.uniform(0.49, 0.51, 20_000),
                        1.0 - rng.uniform(0.0, 1e-6, 20_000), [0.0, 0.5, 1.0, 5e-324, 1e-300]])
    ours = np.array([fast_acos(v) for v in x])
    exact = np.arccos(x)
    ulp = np.spacing(exact)
    assert np.all(np.abs(ours - exact) <= np.maximum(ulp, np.spacing(1e-300)))
    assert fast_acos(1.0) == 0.0 and fast_acos(0.0) == np.arccos(0.0)


@pytest.mark.parametrize("module", ["aicluster.pointpattern", "aicluster._pairkernel"])
def test_without_numba_the_import_fails_with_a_clear_message(module):
    # numba is a pinned requirement: its absence is an error that names it, not a silent
    # fallback to another engine
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'numba' or name.startswith('numba.'):\n"
        "            raise ModuleNotFoundError(\"No module named 'numba'\")\n"
        "sys.meta_path.insert(0, Hide())\n"
        f"import {module}\n"
    )
    from conftest import ROOT

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode != 0
    assert "ImportError: aicluster.pointpattern needs numba (pinned in requirements.txt)" in out.stderr
