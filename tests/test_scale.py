"""Scale: ten times today's places pass the data check; a hundred times (and the 100,000 rows of
issue 16) stop the build at the data check, before any chapter, with a clear message; the
heaviest per-place computation is chunked (same result) and bounded.

Timings and peak memory are measured by benchmarks/bench_scale.py, never asserted here.
"""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from aicluster import buildcheck, evidence, geo, haidian, paths


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench_scale", paths.ROOT / "benchmarks" / "bench_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("k", [1, 10])
def test_k_times_the_places_pass_the_data_check(k, tmp_path):
    data = _bench().scaled_data(k, tmp_path)
    buildcheck.check_data(data, tmp_path / "no-seeds")
    assert len(evidence.load_places(data)) == 50 * k <= evidence.MAX_PLACES


@pytest.mark.parametrize("k", [11, 100, 2000])
def test_a_hundred_times_the_places_stop_the_build_before_any_chapter(k, tmp_path):
    data = _bench().scaled_data(k, tmp_path)
    with pytest.raises(evidence.EvidenceError,
                       match=rf"places.csv: more than {evidence.MAX_PLACES:,} data rows, the "
                             r"most the book's computations are sized for"):
        buildcheck.check_data(data, tmp_path / "no-seeds")


@pytest.fixture(scope="module")
def haidian_points():
    places = evidence.load_places().to_crs(geo.METRIC)
    return (haidian.of_kinds(places, haidian.AI_SITE_KINDS),
            haidian.of_kinds(places, ("university", "institute")))


def test_the_simulation_is_the_same_in_chunks(haidian_points, monkeypatch):
    sites, inst = haidian_points
    whole = haidian.simulate_nearest_distance(sites, inst, n=500)
    monkeypatch.setattr(haidian, "CHUNK_ELEMENTS", 2 * len(sites) * len(inst) * 7)  # 7 draws
    chunked = haidian.simulate_nearest_distance(sites, inst, n=500)
    assert chunked.equals(whole)


def test_the_simulation_holds_a_bounded_array(haidian_points, monkeypatch):
    sites, inst = haidian_points
    largest = []
    real_norm = np.linalg.norm

    def norm(x, *args, **kwargs):
        largest.append(x.size)
        return real_norm(x, *args, **kwargs)

    monkeypatch.setattr(haidian.np.linalg, "norm", norm)
    monkeypatch.setattr(haidian, "CHUNK_ELEMENTS", 10_000)
    haidian.simulate_nearest_distance(sites, inst, n=400)
    assert max(largest) <= max(10_000, 2 * len(sites) * len(inst))


def test_too_many_simulated_distances_are_refused_clearly(haidian_points, monkeypatch):
    sites, inst = haidian_points
    monkeypatch.setattr(haidian, "MAX_SIMULATED_PAIRS", 1000)
    with pytest.raises(ValueError, match=r"simulate_nearest_distance: 4,000 draws x 12 sites x "
                                         r"\d+ institutions = [\d,]+ distances, more than the "
                                         r"1,000"):
        haidian.simulate_nearest_distance(sites, inst)
