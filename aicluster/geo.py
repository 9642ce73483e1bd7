"""District boundaries, metric projections and areas."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from . import paths

WGS84 = "EPSG:4326"
# CGCS2000 / 3-degree Gauss-Kruger CM 117E: China's national metric grid for Beijing.
METRIC = "EPSG:4548"
# UTM zone 50N (WGS-84), used for static maps so that they align with WGS-84 data.
UTM50N = "EPSG:32650"
STUDY_DISTRICTS = ("haidian", "shijingshan", "mentougou")
# Tolerance (m, in METRIC) to which scripts/make_boundaries.py simplifies the Amap outlines.
BOUNDARY_SIMPLIFY_M = 30.0
BOUNDARY_COLUMNS = ["code", "district_id", "name_zh", "name_en", "geometry"]


class BoundaryError(ValueError):
    pass


def load_districts(path=paths.BOUNDARIES) -> gpd.GeoDataFrame:
    """Beijing's 16 districts (WGS-84), validated; raises BoundaryError naming the problem."""
    gdf = gpd.read_file(path)
    missing = [c for c in BOUNDARY_COLUMNS if c not in gdf.columns]
    if missing:
        raise BoundaryError(f"{path}: missing column(s) {missing}")
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise BoundaryError(f"{path}: CRS is {gdf.crs}, expected WGS-84 (EPSG:4326)")
    for i, row in gdf.iterrows():
        where = f"{path}: feature {i + 1} (code {row['code']!r})"
        geom = row.geometry
        if not isinstance(geom, BaseGeometry) or geom.is_empty:  # a null geometry reads as NaN
            raise BoundaryError(f"{where}: the geometry is empty (a district needs its outline)")
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise BoundaryError(f"{where}: the geometry is a {geom.geom_type}, not a Polygon "
                                "or MultiPolygon")
        if not geom.is_valid:
            raise BoundaryError(f"{where}: invalid geometry")
    if gdf["code"].duplicated().any():
        raise BoundaryError(f"{path}: duplicate district codes")
    gdf["code"] = gdf["code"].astype(str)
    return gdf[BOUNDARY_COLUMNS].sort_values("code").reset_index(drop=True)


def district_areas_km2(districts: gpd.GeoDataFrame, crs: str = METRIC) -> pd.Series:
    """Planar area of each district in km^2, computed in a metric CRS (never Web Mercator)."""
    return districts.to_crs(crs).area / 1e6


def area_comparison(districts: gpd.GeoDataFrame, official: pd.DataFrame) -> pd.DataFrame:
    """Areas computed in EPSG:4548, UTM 50N and Web Mercator against the official figures."""
    table = districts[["code", "district_id", "name_zh", "name_en"]].copy()
    table["area_cgcs2000_km2"] = district_areas_km2(districts, METRIC).to_numpy()
    table["area_utm50n_km2"] = district_areas_km2(districts, UTM50N).to_numpy()
    table["area_webmercator_km2"] = district_areas_km2(districts, "EPSG:3857").to_numpy()
    official = official.assign(code=official["code"].astype(str))
    table = table.merge(official[["code", "area_km2"]].rename(
        columns={"area_km2": "area_official_km2"}), on="code", how="left")
    table["diff_pct"] = 100 * (table["area_cgcs2000_km2"] / table["area_official_km2"] - 1)
    table["webmercator_excess_pct"] = 100 * (
        table["area_webmercator_km2"] / table["area_cgcs2000_km2"] - 1)
    return table


def load_official_areas(path=paths.OFFICIAL_AREAS) -> pd.DataFrame:
    """The official district areas, read and checked by the evidence loader (the file's schema
    is ``district_areas_official`` in :data:`aicluster.evidence.SCHEMAS`)."""
    from . import evidence

    path = Path(path)
    table = evidence.SCHEMAS["district_areas_official"]
    if path.name != table.file:
        raise ValueError(f"{path}: the official areas are read from a file named {table.file}")
    return evidence.load_table(table.name, path.parent)
