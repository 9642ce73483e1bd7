"""Datum conversions against published point pairs and their own inverses."""
import numpy as np
import pytest

from aicluster import datum

# (WGS-84 lon, lat) -> (GCJ-02 lon, lat): googollee/eviltransform test suite (Beijing, Shanghai,
# Shenzhen) and wandergis/coordtransform test/app.js.
WGS_GCJ = [
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
]
# GCJ-02 <-> BD-09: wandergis/coordtransform test/app.js.
GCJ_TO_BD = [((116.404, 39.915), (116.41036949371029, 39.92133699351021))]
BD_TO_GCJ = [((116.404, 39.915), (116.39762729119315, 39.90865673957631))]


@pytest.mark.parametrize("wgs,gcj", WGS_GCJ)
def test_wgs84_to_gcj02_matches_published_pairs(wgs, gcj):
    assert datum.wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-9)


@pytest.mark.parametrize("wgs,gcj", WGS_GCJ)
def test_gcj02_to_wgs84_inverts_published_pairs(wgs, gcj):
    assert datum.gcj02_to_wgs84(*gcj) == pytest.approx(wgs, abs=1e-8)


@pytest.mark.parametrize("gcj,bd", GCJ_TO_BD)
def test_gcj02_to_bd09(gcj, bd):
    assert datum.gcj02_to_bd09(*gcj) == pytest.approx(bd, abs=1e-9)


@pytest.mark.parametrize("bd,gcj", BD_TO_GCJ)
def test_bd09_to_gcj02(bd, gcj):
    assert datum.bd09_to_gcj02(*bd) == pytest.approx(gcj, abs=1e-9)


def test_round_trips_over_beijing_grid():
    lon, lat = np.meshgrid(np.linspace(115.4, 117.5, 25), np.linspace(39.4, 41.1, 25))
    back = datum.gcj02_to_wgs84(*datum.wgs84_to_gcj02(lon, lat))
    assert np.max(np.abs(back[0] - lon)) < 1e-8 and np.max(np.abs(back[1] - lat)) < 1e-8
    back = datum.bd09_to_wgs84(*datum.wgs84_to_bd09(lon, lat))
    # The BD-09 inverse is the standard approximate formula: good to ~1e-6 deg (0.1 m).
    assert np.max(np.abs(back[0] - lon)) < 2e-6 and np.max(np.abs(back[1] - lat)) < 2e-6


def test_offset_in_beijing_is_hundreds_of_metres_north_east():
    east, north = datum.gcj02_offset_metres(116.40, 39.90)
    assert 300 < east < 700 and 50 < north < 400


def test_no_offset_outside_china():
    assert datum.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


def test_to_wgs84_dispatch_and_unknown_datum():
    gcj = datum.wgs84_to_gcj02(116.3, 40.0)
    assert datum.to_wgs84(*gcj, "GCJ-02") == pytest.approx((116.3, 40.0), abs=1e-8)
    assert datum.to_wgs84(116.3, 40.0, "WGS-84") == (116.3, 40.0)
    with pytest.raises(ValueError, match="unknown datum"):
        datum.to_wgs84(116.3, 40.0, "Mars")
