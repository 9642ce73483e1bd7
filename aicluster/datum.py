"""China's coordinate datums: WGS-84, GCJ-02 ("Mars coordinates") and BD-09.

GCJ-02 is the obfuscated datum that Chinese law requires of published maps (Amap/Gaode,
Tencent, Google Maps in mainland China); BD-09 is Baidu's further offset of GCJ-02.
WGS-84 is the datum of GPS and OpenStreetMap. The forward WGS-84 -> GCJ-02 transform is the
widely reimplemented formula (Krasovsky 1940 ellipsoid constants); it has no closed-form
inverse, so GCJ-02 -> WGS-84 is solved by fixed-point iteration to below 1e-9 degrees.

All functions take and return (lon, lat) in decimal degrees and accept scalars or arrays.
Outside mainland China GCJ-02 equals WGS-84 (the offset is not applied).
"""
from __future__ import annotations

import numpy as np

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0  # Baidu's constant
DATUMS = ("WGS-84", "GCJ-02", "BD-09")


def out_of_china(lon, lat):
    """True where the GCJ-02 offset is not applied (the usual rough bounding box)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon, lat):
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _restore(like, lon, lat):
    if np.ndim(like) == 0:
        return float(lon), float(lat)
    return lon, lat


def wgs84_to_gcj02(lon, lat):
    lon0, lat0 = np.asarray(lon, float), np.asarray(lat, float)
    dlon, dlat = _delta(lon0, lat0)
    outside = out_of_china(lon0, lat0)
    return _restore(lon, np.where(outside, lon0, lon0 + dlon), np.where(outside, lat0, lat0 + dlat))


def gcj02_to_wgs84(lon, lat, tol=1e-10, max_iter=30):
    """Invert wgs84_to_gcj02 by fixed-point iteration (converges to < 1e-9 deg in ~5 steps)."""
    glon, glat = np.asarray(lon, float), np.asarray(lat, float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = np.asarray(flon) - glon, np.asarray(flat) - glat
        wlon, wlat = wlon - elon, wlat - elat
        if np.all(np.abs(elon) < tol) and np.all(np.abs(elat) < tol):
            break
    return _restore(lon, wlon, wlat)


def gcj02_to_bd09(lon, lat):
    x, y = np.asarray(lon, float), np.asarray(lat, float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return _restore(lon, z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006)


def bd09_to_gcj02(lon, lat):
    x, y = np.asarray(lon, float) - 0.0065, np.asarray(lat, float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return _restore(lon, z * np.cos(theta), z * np.sin(theta))


def bd09_to_wgs84(lon, lat):
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon, lat):
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def to_wgs84(lon, lat, datum: str):
    """Convert coordinates published in `datum` ('WGS-84', 'GCJ-02' or 'BD-09') to WGS-84."""
    if datum == "WGS-84":
        return _restore(lon, np.asarray(lon, float), np.asarray(lat, float))
    if datum == "GCJ-02":
        return gcj02_to_wgs84(lon, lat)
    if datum == "BD-09":
        return bd09_to_wgs84(lon, lat)
    raise ValueError(f"unknown datum {datum!r}; expected one of {DATUMS}")


def gcj02_offset_metres(lon, lat):
    """East and north displacement (metres) of GCJ-02 relative to WGS-84 at WGS-84 points."""
    from pyproj import Geod

    lon0, lat0 = np.asarray(lon, float), np.asarray(lat, float)
    glon, glat = wgs84_to_gcj02(lon0, lat0)
    geod = Geod(ellps="WGS84")
    az, _, dist = geod.inv(lon0, lat0, np.asarray(glon), np.asarray(glat))
    az = np.radians(az)
    return dist * np.sin(az), dist * np.cos(az)
