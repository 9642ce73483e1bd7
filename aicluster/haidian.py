"""Haidian's AI sites and its universities and institutes, in a metric CRS.

Shared by the chapters "Haidian's AI buildings" and "Do AI firms cluster?": which places count
as AI sites or as knowledge institutions is decided here, once, and the distance from each site to
the nearest institution is computed here, once, in EPSG:4548 (never Web Mercator).
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from . import evidence
from .geo import METRIC

AI_SITE_KINDS = ("ai_building",)
"""Point sites: single office buildings (or one campus address) the sources place AI firms in."""
AI_AREA_KINDS = ("ai_hub", "ai_district", "historic_hub")
"""Areas (hubs, pilot districts, the old electronics street): mapped, not used as points."""
INSTITUTION_KINDS = ("university", "institute")
"""Universities and research institutes: the 'knowledge' side of the walking-distance argument."""


def haidian_places(places: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Haidian's places from ``data/places.csv``, projected to EPSG:4548 (metres)."""
    places = evidence.load_places() if places is None else places
    return places[places["district"] == "haidian"].to_crs(METRIC).reset_index(drop=True)


def of_kinds(places: gpd.GeoDataFrame, kinds) -> gpd.GeoDataFrame:
    """The places whose ``kind`` is one of ``kinds``, in file order."""
    return places[places["kind"].isin(kinds)].reset_index(drop=True)


def xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Point coordinates as an (n, 2) array (metres when ``frame`` is metric)."""
    if frame.crs is None or not frame.crs.is_projected:
        raise ValueError("xy() needs a projected (metric) frame; use .to_crs(aicluster.geo.METRIC)")
    return np.column_stack([frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()])


def nearest(points: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance from each point to its nearest target and that target's row index (KD-tree)."""
    points, targets = np.asarray(points, float), np.asarray(targets, float)
    if targets.ndim != 2 or len(targets) == 0:
        raise ValueError("nearest() needs at least one target point")
    dist, idx = cKDTree(targets).query(points, k=1)
    return np.asarray(dist, float), np.asarray(idx, int)


def nearest_institution(sites: gpd.GeoDataFrame, institutions: gpd.GeoDataFrame) -> pd.DataFrame:
    """For each site: the nearest university or institute, its distance in metres, and the
    larger of the two coordinates' precision radii (an honest bound on the distance's error)."""
    dist, idx = nearest(xy(sites), xy(institutions))
    inst = institutions.iloc[idx].reset_index(drop=True)
    return pd.DataFrame({
        "place_id": sites["place_id"].to_numpy(),
        "nearest_id": inst["place_id"].to_numpy(),
        "nearest_en": inst["name_en"].to_numpy(),
        "nearest_zh": inst["name_zh"].to_numpy(),
        "distance_m": dist,
        "uncertainty_m": np.maximum(sites["precision_m"].to_numpy(float),
                                    inst["precision_m"].to_numpy(float)),
    })


def firms_by_place(organisations: pd.DataFrame | None = None) -> pd.DataFrame:
    """Organisations the sources put at each place: one row per place with a count and the
    names (English and Chinese, '; '-joined in file order)."""
    orgs = evidence.load_organisations() if organisations is None else organisations
    located = orgs[orgs["place_id"].notna() & (orgs["place_id"] != "")]
    grouped = located.groupby("place_id", sort=False)
    return pd.DataFrame({
        "n_organisations": grouped.size(),
        "organisations_en": grouped["name_en"].agg("; ".join),
        "organisations_zh": grouped["name_zh"].agg("; ".join),
    }).reset_index()
