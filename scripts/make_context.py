"""Regenerate the map context layers data/context_rail.geojson and data/context_water.geojson.

Rail (OpenStreetMap, ODbL 1.0, "© OpenStreetMap contributors"), from the public repository
BoyInTheSun/beijing-subway-gtfs (an export of OSM objects; WGS-84), commit RAIL_COMMIT:
- `data/osm/route.json`: route relations with their ordered `stop` members (stop positions);
- `gtfs/stops.txt`: the coordinates of those stop positions (location_type 0);
- `data/osm/station.json`: station nodes with `name`, `name:en`, `railway:position*` tags.
Processing:
1. one route relation per Beijing rail-transit line (ROUTES, one direction; where a stop member
   has no coordinate in stops.txt it is skipped, and the other direction is used instead when it
   resolves more stops); the line is drawn as the ORDERED STATION POLYLINE through its stop
   positions (not the track geometry, which the export does not hold); the ring of Line 10 is
   closed;
2. the two national railways of the Mentougou valley (Fengsha 丰沙线 and Mentougou-Datai 门大线)
   have no route relation in the export: their stations are ordered by OSM's
   `railway:position:exact:<line>` kilometre tags and drawn as station polylines too; stations
   whose tag names no line (门头沟, 色树坟, 大台) are put on the Datai line because their kilometre
   posts fall inside its sequence (an inference, recorded in data/README.md);
3. station points: every OSM station node in BBOX with a coordinate, keeping `name` and
   `name:en` and the node id.
The scraped `data/amap` and `data/ruubypay` folders of that repository are not read.

Water (Natural Earth, public domain), from martynafford/natural-earth-geojson (CC0 1.0 GeoJSON
conversion of Natural Earth 4.x), commit WATER_COMMIT: `10m/physical/ne_10m_rivers_lake_centerlines.7z`
(the Yongding 永定河 and its upstream Sanggan) and `ne_10m_lakes.7z` (lakes and reservoirs in BBOX).
Natural Earth 1:10 million: positions are good to a few hundred metres to ~1 km.

Usage (needs the two repositories as bare git dirs and the `7z` command, Debian p7zip-full):
    python scripts/make_context.py RAIL_GIT_DIR WATER_GIT_DIR
The book itself reads only the committed GeoJSON.
"""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import shapely
from shapely.geometry import LineString, mapping, shape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aicluster import context, paths  # noqa: E402

RAIL_REPO = "BoyInTheSun/beijing-subway-gtfs"
RAIL_COMMIT = "61f3e7a39e8bcb0e4f7bafe9897a4d7cdf8f882b"
WATER_REPO = "martynafford/natural-earth-geojson"
WATER_COMMIT = "0b9a6ceb0a7032713abd9460ac1e995a9c60cd1e"
# lon_min, lat_min, lon_max, lat_max: the city to its eastern suburbs and the Mentougou valley.
BBOX = (115.40, 39.70, 116.80, 40.25)
# line id -> (route relations to try, name_zh, name_en, colour from the OSM route tags)
ROUTES = {
    "L1": (("r1667139", "r1667140"), "1号线/八通线", "Line 1 / Batong"),
    "L2": (("r1667236", "r1667237"), "2号线", "Line 2"),
    "L4": (("r2083780", "r2083779"), "4号线/大兴线", "Line 4 / Daxing"),
    "L6": (("r4625140", "r4625141"), "6号线", "Line 6"),
    "L9": (("r2063278", "r2674583"), "9号线", "Line 9"),
    "L10": (("r1721075", "r1721076"), "10号线", "Line 10"),
    "L11": (("r13623625", "r13623627"), "11号线", "Line 11"),
    "L12": (("r18441519", "r18441518"), "12号线", "Line 12"),
    "L13": (("r1667376", "r1667375"), "13号线", "Line 13"),
    "L14": (("r4613036", "r4611276"), "14号线", "Line 14"),
    "L15": (("r2688948", "r1350597"), "15号线", "Line 15"),
    "L16": (("r7800400", "r8324249"), "16号线", "Line 16"),
    "L19": (("r13625326", "r13625325"), "19号线", "Line 19"),
    "CP": (("r2111424", "r2111425"), "昌平线", "Changping Line"),
    "S1": (("r8008814", "r8008812"), "S1线", "Line S1"),
    "XJ": (("r8008876", "r8303695"), "西郊线", "Xijiao Line"),
    "L18": (("r20010805", "r20010820"), "18号线", "Line 18"),
}
RING = {"L2", "L10"}
# National railways of the valley: (line id, name_zh, name_en, position-tag suffix)
VALLEY_LINES = (
    ("FS", "丰沙铁路（车站连线）", "Fengsha Railway (station polyline)", "丰沙:上"),
    ("MD", "门大铁路（车站连线）", "Mentougou–Datai Railway (station polyline)", "大台"),
)
# Lines whose OSM route relation carries no colour tag: our own choice, to tell them apart.
FALLBACK_COLOURS = {"S1": "#B35A1F", "XJ": "#E4007F"}
UNNAMED_POSITION_TO_DATAI = ("门头沟", "色树坟", "大台")
WATER_NAMES = ("Yongding",)
NAMES_ZH = {"Yongding": "永定河", "Guanting Shuiku": "官厅水库"}
COORD_DECIMALS = 6


def git_show(git_dir: Path, commit: str, path: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"],
                          check=True, capture_output=True).stdout


def in_bbox(lon, lat) -> bool:
    return BBOX[0] <= lon <= BBOX[2] and BBOX[1] <= lat <= BBOX[3]


def stop_coordinates(stops_txt: bytes) -> dict[str, tuple[float, float, str]]:
    rows = csv.DictReader(io.StringIO(stops_txt.decode("utf-8")))
    return {r["stop_id"]: (float(r["stop_lon"]), float(r["stop_lat"]), r["tts_stop_name"])
            for r in rows if r["location_type"] == "0" and r["stop_lon"] and r["stop_lat"]}


def route_polyline(route: dict, stops) -> list[tuple[float, float]]:
    refs = [m["ref"] for m in route["members"] if m["type"] == "n" and "stop" in m["role"]]
    return [stops[f"n{ref}"][:2] for ref in refs if f"n{ref}" in stops]


def rail_lines(routes, stops, colours) -> list[dict]:
    features = []
    for line_id, (relations, name_zh, name_en) in ROUTES.items():
        best = max(relations, key=lambda r: len(route_polyline(routes[r], stops)))
        coords = route_polyline(routes[best], stops)
        if line_id in RING:
            coords.append(coords[0])
        colour = colours.get(line_id, FALLBACK_COLOURS.get(line_id, "#666666"))
        features.append(_line_feature(line_id, name_zh, name_en, colour, coords,
                                      f"OSM relation {best[1:]} (stop members, in order)"))
    return features


def valley_lines(stations) -> list[dict]:
    features = []
    for line_id, name_zh, name_en, suffix in VALLEY_LINES:
        posts = []
        for st in stations.values():
            tags = st["tags"]
            km = tags.get(f"railway:position:exact:{suffix}")
            if km is None and suffix == "大台" and tags.get("name") in UNNAMED_POSITION_TO_DATAI:
                km = tags.get("railway:position:exact")
            if km is not None and st.get("lon") is not None and in_bbox(st["lon"], st["lat"]):
                posts.append((float(km), st["lon"], st["lat"]))
        coords = [(lon, lat) for _, lon, lat in sorted(posts)]
        features.append(_line_feature(line_id, name_zh, name_en, "#555555", coords,
                                      f"OSM station nodes ordered by railway:position:exact:{suffix}",
                                      kind="railway"))
    return features


def _line_feature(line_id, name_zh, name_en, colour, coords, derived_from, kind="metro"):
    if len(coords) < 2:
        raise SystemExit(f"line {line_id}: fewer than two stops resolved")
    geom = shapely.set_precision(LineString(coords), 10 ** -COORD_DECIMALS)
    return {"type": "Feature", "geometry": mapping(geom), "properties": {
        "layer": "rail_line", "line_id": line_id, "kind": kind, "name_zh": name_zh,
        "name_en": name_en, "colour": colour, "drawn_as": "ordered station polyline",
        "derived_from": derived_from}}


def station_points(stations) -> list[dict]:
    features = []
    for node_id, st in sorted(stations.items(), key=lambda kv: kv[0]):
        tags = st["tags"]
        if not node_id.startswith("n") or st.get("lon") is None or "name" not in tags:
            continue
        if tags.get("railway") != "station" or not in_bbox(st["lon"], st["lat"]):
            continue
        kind = tags.get("station") or ("railway" if tags.get("train") == "yes"
                                       or any(k.startswith("railway:position") for k in tags)
                                       else "other")
        if kind not in ("subway", "monorail", "light_rail", "railway"):
            continue
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [
            round(st["lon"], COORD_DECIMALS), round(st["lat"], COORD_DECIMALS)]},
            "properties": {"layer": "rail_station", "osm_node": int(node_id[1:]),
                           "kind": kind, "name_zh": tags["name"],
                           "name_en": tags.get("name:en", "")}})
    return features


def water_features(water_git: Path) -> list[dict]:
    features = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("ne_10m_rivers_lake_centerlines", "ne_10m_lakes"):
            archive = Path(tmp) / f"{name}.7z"
            archive.write_bytes(git_show(water_git, WATER_COMMIT, f"10m/physical/{name}.7z"))
            subprocess.run(["7z", "x", "-y", f"-o{tmp}", str(archive)], check=True,
                           capture_output=True)
            data = json.loads((Path(tmp) / f"{name}.json").read_text(encoding="utf-8"))
            for feat in data["features"]:
                if feat["geometry"] is None:
                    continue
                geom = shape(feat["geometry"])
                clipped = geom.intersection(shapely.box(*BBOX))
                if clipped.is_empty:
                    continue
                props = feat["properties"]
                if name.startswith("ne_10m_rivers") and props.get("name") not in WATER_NAMES:
                    continue
                clipped = shapely.set_precision(clipped, 10 ** -COORD_DECIMALS)
                features.append({"type": "Feature", "geometry": mapping(clipped), "properties": {
                    "layer": "river" if name.startswith("ne_10m_rivers") else "lake",
                    "name_en": props.get("name") or "", "name_zh": props.get("name_zh") or "",
                    "featurecla": props.get("featurecla") or "",
                    "derived_from": f"Natural Earth {name} (1:10m)"}})
    for feat in features:  # Chinese names (Natural Earth has none for these)
        feat["properties"]["name_zh"] = feat["properties"]["name_zh"] or NAMES_ZH.get(
            feat["properties"]["name_en"], "")
    return features


def write_collection(path: Path, features: list[dict], meta: dict) -> None:
    collection = {"type": "FeatureCollection", "name": path.stem, "metadata": meta,
                  "features": features}
    path.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
                    + "\n", encoding="utf-8")


def main(rail_git: Path, water_git: Path) -> None:
    routes = json.loads(git_show(rail_git, RAIL_COMMIT, "data/osm/route.json"))
    stations = json.loads(git_show(rail_git, RAIL_COMMIT, "data/osm/station.json"))
    stops = stop_coordinates(git_show(rail_git, RAIL_COMMIT, "gtfs/stops.txt"))
    colours = {lid: "#" + c for lid, c in route_colours(routes).items()}
    rail = rail_lines(routes, stops, colours) + valley_lines(stations) + station_points(stations)
    write_collection(paths.DATA / "context_rail.geojson", rail, context.RAIL_META | {
        "source_commit": RAIL_COMMIT})
    water = water_features(water_git)
    write_collection(paths.DATA / "context_water.geojson", water, context.WATER_META | {
        "source_commit": WATER_COMMIT})
    context.load_context()  # validate what was written
    print(f"rail: {len(rail)} features; water: {len(water)} features")


def route_colours(routes) -> dict[str, str]:
    """Each line's colour from its first route relation's OSM `colour` tag."""
    out = {}
    for line_id, (relations, _, _) in ROUTES.items():
        colour = routes[relations[0]]["tags"].get("colour", "")
        if colour.startswith("#") and len(colour) == 7:
            out[line_id] = colour[1:].upper()
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
