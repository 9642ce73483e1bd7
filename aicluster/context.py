"""Map context layers (rail, water) and the one display key of every place.

The context layers are derived files made by ``scripts/make_context.py``:

- ``data/context_rail.geojson``: rail-transit lines drawn as *ordered station polylines* (not
  track geometry) and station points, from OpenStreetMap (ODbL 1.0, "© OpenStreetMap
  contributors");
- ``data/context_water.geojson``: the Yongding river and lakes/reservoirs, from Natural Earth
  1:10m (public domain).

``load_context()`` reads and validates both and raises :class:`ContextError` naming the file,
the feature (1-based) and the property at fault. ``place_keys()`` reads ``data/place_keys.csv``
(one short key per place, e.g. H01, M03, W02) so that every map, table and chapter shows the
same key for the same place.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from . import paths

RAIL = paths.DATA / "context_rail.geojson"
WATER = paths.DATA / "context_water.geojson"
PLACE_KEYS = paths.DATA / "place_keys.csv"

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
NE_ATTRIBUTION = "Natural Earth"
RAIL_META = {
    "source": "OpenStreetMap via github.com/BoyInTheSun/beijing-subway-gtfs "
              "(data/osm/route.json, data/osm/station.json, gtfs/stops.txt)",
    "licence": "ODbL-1.0",
    "attribution": OSM_ATTRIBUTION,
    "crs": "EPSG:4326",
    "lines_drawn_as": "ordered station polylines (straight segments between stops)",
}
WATER_META = {
    "source": "Natural Earth 1:10m (rivers_lake_centerlines, lakes) via "
              "github.com/martynafford/natural-earth-geojson",
    "licence": "public domain (Natural Earth); CC0-1.0 (GeoJSON conversion)",
    "attribution": NE_ATTRIBUTION,
    "crs": "EPSG:4326",
}
LAYERS = {
    RAIL: {"rail_line": ("line_id", "kind", "name_zh", "name_en", "colour", "drawn_as"),
           "rail_station": ("osm_node", "kind", "name_zh", "name_en")},
    WATER: {"river": ("name_en", "name_zh"), "lake": ("name_en", "name_zh")},
}
GEOMETRY = {"rail_line": ("LineString",), "rail_station": ("Point",),
            "river": ("LineString", "MultiLineString"),
            "lake": ("Polygon", "MultiPolygon")}
REQUIRED_META = ("source", "source_commit", "licence", "attribution", "crs")
# Rough box around Beijing: a point outside it is a swapped or mistyped coordinate.
BEIJING_BOX = (115.3, 39.4, 117.6, 41.1)
KEY_FORM = re.compile(r"[HMWB]\d{2,3}")  # two digits today; three leave room for 500 places
KEY_PREFIX = {"haidian": "H", "mentougou": "M", "shijingshan": "W"}


CHECKED_FILES = (RAIL.name, WATER.name, PLACE_KEYS.name)


class ContextError(ValueError):
    pass


def check_files(data_dir, place_ids) -> None:
    """Validate the context layers and the place keys in `data_dir` (the build's data check)."""
    data_dir = Path(data_dir)
    load_context(data_dir / RAIL.name, data_dir / WATER.name)
    place_keys(data_dir / PLACE_KEYS.name, place_ids=place_ids)


@dataclass
class Context:
    lines: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    rivers: gpd.GeoDataFrame
    lakes: gpd.GeoDataFrame
    meta: dict


def _read_collection(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ContextError(f"{path}: cannot read GeoJSON: {err}") from err
    meta = data.get("metadata") or {}
    missing = [k for k in REQUIRED_META if not meta.get(k)]
    if missing:
        raise ContextError(f"{path}: metadata lacks {missing} (source, licence, attribution)")
    if meta["crs"] != "EPSG:4326":
        raise ContextError(f"{path}: metadata crs is {meta['crs']!r}, expected EPSG:4326")
    return data


def _check_feature(path, layers, number, feat) -> None:
    props = feat.get("properties") or {}
    layer = props.get("layer")
    if layer not in layers:
        raise ContextError(f"{path}: feature {number}: layer {layer!r} not one of "
                           f"{sorted(layers)}")
    for key in layers[layer]:
        if props.get(key) in (None, "") and key != "name_en":
            raise ContextError(f"{path}: feature {number}: property {key!r} is empty")
    geom = feat.get("geometry") or {}
    if geom.get("type") not in GEOMETRY[layer]:
        raise ContextError(f"{path}: feature {number}: geometry {geom.get('type')!r} for layer "
                           f"{layer!r}")
    for lon, lat in _coordinates(geom["coordinates"]):
        if not (BEIJING_BOX[0] <= lon <= BEIJING_BOX[2] and BEIJING_BOX[1] <= lat <= BEIJING_BOX[3]):
            raise ContextError(f"{path}: feature {number}: coordinate ({lon}, {lat}) outside "
                               "Beijing (lon, lat order, WGS-84 expected)")


def _coordinates(nested):
    if nested and isinstance(nested[0], (int, float)):
        yield nested[0], nested[1]
    else:
        for part in nested:
            yield from _coordinates(part)


def load_layer(path: Path) -> tuple[gpd.GeoDataFrame, dict]:
    """One context file, validated, as a GeoDataFrame (EPSG:4326) and its metadata."""
    data = _read_collection(path)
    layers = LAYERS[RAIL] if "rail" in Path(path).name else LAYERS[WATER]
    features = data.get("features") or []
    if not features:
        raise ContextError(f"{path}: no features")
    for number, feat in enumerate(features, start=1):
        _check_feature(path, layers, number, feat)
    gdf = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    return gdf, data["metadata"]


def load_context(rail=RAIL, water=WATER) -> Context:
    """Both context files, validated and split by layer."""
    rail_gdf, rail_meta = load_layer(rail)
    water_gdf, water_meta = load_layer(water)

    def part(gdf, layer):
        return gdf[gdf["layer"] == layer].reset_index(drop=True)

    return Context(lines=part(rail_gdf, "rail_line"), stations=part(rail_gdf, "rail_station"),
                   rivers=part(water_gdf, "river"), lakes=part(water_gdf, "lake"),
                   meta={"rail": rail_meta, "water": water_meta})


def attribution_text(ctx: Context | None = None) -> str:
    """The credit line every map that shows the context layers must carry."""
    return f"Rail: {OSM_ATTRIBUTION} (ODbL); water: {NE_ATTRIBUTION}"


# -- place keys -------------------------------------------------------------------------------
def place_keys(path=PLACE_KEYS, place_ids=None) -> dict[str, str]:
    """place_id -> key (H01, M01, W01 ...), validated: unique ids and keys, the key's letter
    matching the place's district prefix (hd_/mt_/sjs_), and, when `place_ids` is given,
    exactly one key for each place."""
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as err:
        raise ContextError(f"{path}: cannot read: {err}") from err
    keys: dict[str, str] = {}
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        pid, key = (row.get("place_id") or "").strip(), (row.get("key") or "").strip()
        if not pid:
            raise ContextError(f"{path}: row {number}, column place_id: empty")
        if not KEY_FORM.fullmatch(key):
            raise ContextError(f"{path}: row {number}, column key: {key!r} is not a letter "
                               "H/M/W followed by two or three digits")
        expected = {"hd": "H", "mt": "M", "sjs": "W"}.get(pid.split("_", 1)[0])
        if expected and key[0] != expected:
            raise ContextError(f"{path}: row {number}, column key: {key!r} should start with "
                               f"{expected} for {pid}")
        if pid in keys:
            raise ContextError(f"{path}: row {number}, column place_id: {pid!r} repeated")
        if key in seen:
            raise ContextError(f"{path}: row {number}, column key: {key!r} already used in row "
                               f"{seen[key]}")
        keys[pid], seen[key] = key, number
    if place_ids is not None:
        missing = sorted(set(place_ids) - set(keys))
        extra = sorted(set(keys) - set(place_ids))
        if missing or extra:
            raise ContextError(f"{path}: places without a key {missing}; keys for unknown "
                               f"places {extra}")
    return keys


def with_keys(places, path=PLACE_KEYS):
    """`places` (all places or a subset) with a `key` column; every place must have a key."""
    keys = place_keys(path)
    missing = sorted(set(places["place_id"]) - set(keys))
    if missing:
        raise ContextError(f"{path}: places without a key {missing}")
    out = places.copy()
    out["key"] = out["place_id"].map(keys)
    return out


# -- data package ---------------------------------------------------------------------------
def _geojson_resource(name, path, title, description, licences, sources, note):
    return {"name": name, "path": path, "format": "geojson", "mediatype": "application/geo+json",
            "encoding": "utf-8", "type": "json", "title": title, "description": description,
            "licenses": licences, "sources": sources, "note": note}


ODBL = {"name": "ODbL-1.0", "title": "Open Data Commons Open Database License 1.0",
        "path": "https://opendatacommons.org/licenses/odbl/1-0/"}
PUBLIC_DOMAIN = {"name": "CC0-1.0", "title": "Natural Earth: public domain (GeoJSON conversion "
                 "CC0 1.0)", "path": "https://www.naturalearthdata.com/about/terms-of-use/"}
DATAPACKAGE_RESOURCES = [
    _geojson_resource(
        "context_rail", "context_rail.geojson", "Rail transit context layer",
        "Rail lines as ordered station polylines (layer rail_line: line_id, kind, name_zh, "
        "name_en, colour, drawn_as, derived_from) and station points (layer rail_station: "
        "osm_node, kind, name_zh, name_en), WGS-84. Made by scripts/make_context.py.",
        [ODBL], [{"title": "OpenStreetMap via BoyInTheSun/beijing-subway-gtfs",
                  "path": "https://github.com/BoyInTheSun/beijing-subway-gtfs"}],
        "© OpenStreetMap contributors. Lines are straight segments between stops, not tracks."),
    _geojson_resource(
        "context_water", "context_water.geojson", "Water context layer",
        "The Yongding river (layer river) and lakes (layer lake) in the study area, WGS-84, "
        "from Natural Earth 1:10m. Made by scripts/make_context.py.",
        [PUBLIC_DOMAIN], [{"title": "Natural Earth via martynafford/natural-earth-geojson",
                           "path": "https://github.com/martynafford/natural-earth-geojson"}],
        "1:10 million scale: positions good to a few hundred metres to about 1 km."),
    {"name": "place_keys", "path": "place_keys.csv", "title": "Place keys",
     "description": "The one display key of each place (H = Haidian, M = Mentougou, "
                    "W = Shijingshan/West Beijing), the same in every map, table and chapter. Columns "
                    "place_id (a place_id of places.csv, unique) and key ([HMW] and two digits, "
                    "unique); checked by aicluster.context.place_keys (no schema here: the "
                    "evidence schemas in aicluster/evidence.py describe the evidence tables).",
     "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
     "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
                   "path": "https://creativecommons.org/licenses/by/4.0/"}]},
]
