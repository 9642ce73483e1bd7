"""The map context layers (rail, water), their licences and attribution, and the place keys."""
from __future__ import annotations

import json
import re

import pytest

from aicluster import context, evidence, paths

README = (paths.DATA / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def ctx():
    return context.load_context()


def test_rail_layer_has_the_lines_the_chapters_need(ctx):
    ids = set(ctx.lines["line_id"])
    assert {"L1", "L4", "L10", "L11", "L13", "L16", "S1", "FS", "MD"} <= ids
    assert (ctx.lines["drawn_as"] == "ordered station polyline").all()


def test_s1_runs_from_pingguoyuan_to_shichang_through_its_stations(ctx):
    s1 = ctx.lines.set_index("line_id").loc["S1", "geometry"]
    stations = ctx.stations.set_index("name_zh")
    first, last = s1.coords[0], s1.coords[-1]
    for name, end in (("苹果园", first), ("石厂", last)):
        pt = stations.loc[[name], "geometry"]
        assert min(abs(p.x - end[0]) + abs(p.y - end[1]) for p in pt) < 0.003, name
    for name in ("桥户营", "上岸", "栗园庄", "小园", "石厂"):
        assert name in stations.index, name


def test_named_stations_carry_english_names_where_osm_has_them(ctx):
    st = ctx.stations.set_index("name_zh")
    for zh, en in (("五道口", "Wudaokou"), ("栗园庄", "Liyuanzhuang"), ("大台", "Datai"),
                   ("落坡岭", "Luopoling")):
        assert en in set(st.loc[[zh], "name_en"]), zh


def test_station_nodes_match_the_issue_s_osm_reference(ctx):
    # Issue 11: OSM node 5626394159 puts 栗园庄 at 39.894222 N, 116.116980 E.
    row = ctx.stations[ctx.stations["osm_node"] == 5626394159].iloc[0]
    assert row["name_zh"] == "栗园庄"
    assert row.geometry.y == pytest.approx(39.894222, abs=1e-6)
    assert row.geometry.x == pytest.approx(116.116980, abs=1e-6)


def test_water_layer_has_the_yongding(ctx):
    assert "永定河" in set(ctx.rivers["name_zh"])


@pytest.mark.parametrize("path,licence,attribution", [
    (context.RAIL, "ODbL-1.0", "© OpenStreetMap contributors"),
    (context.WATER, "public domain", "Natural Earth")])
def test_each_context_file_states_source_commit_licence_and_attribution(path, licence,
                                                                        attribution):
    meta = json.loads(path.read_text(encoding="utf-8"))["metadata"]
    assert licence in meta["licence"]
    assert meta["attribution"] == attribution
    assert re.fullmatch(r"[0-9a-f]{40}", meta["source_commit"])
    assert meta["source_commit"] in README, "data/README.md must name the source commit"


def test_readme_documents_licences_attribution_and_the_station_polylines():
    assert "© OpenStreetMap contributors" in README
    assert "ODbL 1.0" in README
    assert "ordered station polylines" in README
    for name in ("context_rail.geojson", "context_water.geojson", "place_keys.csv"):
        assert f"### `{name}`" in README, f"no data-dictionary entry for {name}"


def test_datapackage_lists_the_context_files_with_their_licences():
    package = json.loads((paths.DATA / "datapackage.json").read_text(encoding="utf-8"))
    by_name = {r["name"]: r for r in package["resources"]}
    assert by_name["context_rail"]["licenses"][0]["name"] == "ODbL-1.0"
    assert "OpenStreetMap contributors" in by_name["context_rail"]["note"]
    assert by_name["context_water"]["licenses"][0]["name"] == "CC0-1.0"


def test_context_files_are_small_enough_to_embed():
    assert context.RAIL.stat().st_size < 150_000
    assert context.WATER.stat().st_size < 50_000


def _write(tmp_path, features, meta=None):
    meta = context.RAIL_META | {"source_commit": "0" * 40} if meta is None else meta
    path = tmp_path / "context_rail.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "metadata": meta,
                                "features": features}), encoding="utf-8")
    return path


STATION = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [116.3, 39.9]},
           "properties": {"layer": "rail_station", "osm_node": 1, "kind": "subway",
                          "name_zh": "甲", "name_en": ""}}


def test_loader_rejects_missing_licence(tmp_path):
    meta = {k: v for k, v in context.RAIL_META.items() if k != "licence"}
    path = _write(tmp_path, [STATION], meta | {"source_commit": "0" * 40})
    with pytest.raises(context.ContextError, match="licence"):
        context.load_layer(path)


def test_loader_names_feature_and_property(tmp_path):
    bad = json.loads(json.dumps(STATION))
    bad["properties"]["name_zh"] = ""
    path = _write(tmp_path, [STATION, bad])
    with pytest.raises(context.ContextError, match=r"feature 2: property 'name_zh'"):
        context.load_layer(path)


def test_loader_rejects_swapped_coordinates(tmp_path):
    bad = json.loads(json.dumps(STATION))
    bad["geometry"]["coordinates"] = [39.9, 116.3]
    with pytest.raises(context.ContextError, match="feature 1: coordinate"):
        context.load_layer(_write(tmp_path, [bad]))


# -- place keys -------------------------------------------------------------------------------
def test_every_place_has_exactly_one_key():
    keys = context.place_keys(place_ids=evidence.load_places()["place_id"])
    assert len(set(keys.values())) == len(keys)


@pytest.mark.parametrize("rows,message", [
    ("place_id,key\nhd_a,H01\nhd_b,H01\n", "already used in row 2"),
    ("place_id,key\nhd_a,M01\n", "should start with H"),
    ("place_id,key\nhd_a,H1\n", "row 2, column key"),
    ("place_id,key\nhd_a,H01\nhd_a,H02\n", "row 3, column place_id"),
])
def test_place_keys_refuse_bad_rows(tmp_path, rows, message):
    path = tmp_path / "keys.csv"
    path.write_text(rows, encoding="utf-8")
    with pytest.raises(context.ContextError, match=message):
        context.place_keys(path)


def test_place_keys_refuse_a_place_without_key(tmp_path):
    path = tmp_path / "keys.csv"
    path.write_text("place_id,key\nhd_a,H01\n", encoding="utf-8")
    with pytest.raises(context.ContextError, match=r"without a key \['hd_b'\]"):
        context.place_keys(path, place_ids=["hd_a", "hd_b"])


def test_a_place_whose_present_site_is_unknown_is_left_out_of_analyses():
    from aicluster import haidian
    places = haidian.haidian_places()
    institutions = haidian.of_kinds(places, haidian.INSTITUTION_KINDS)
    assert "hd_cas_ict" in set(places["place_id"])          # kept in the data
    assert "hd_cas_ict" not in set(institutions["place_id"])  # not in the analyses


def test_relocated_places_agree_with_osm_station_nodes():
    import numpy as np
    from aicluster import evidence
    places = evidence.load_places().set_index("place_id")
    stations = context.load_context().stations.set_index("osm_node")
    for pid, node, max_m in (("mt_jingxi_ai_park", 5626394159, 1),
                             ("mt_zgc_science_park", 4564208735, 1),
                             ("hd_dazhongsi", 6617852356, 1),
                             ("hd_bytedance_dazhongsi", 6617852356, 210)):
        p, s = places.loc[pid, "geometry"], stations.loc[node, "geometry"]
        d = np.hypot((p.y - s.y) * 111_000, (p.x - s.x) * 111_000 * np.cos(np.radians(p.y)))
        assert d <= max_m, (pid, d)


def test_docs_list_every_key():
    doc = (paths.ROOT / "docs" / "place_ids.md").read_text(encoding="utf-8")
    for pid, key in context.place_keys().items():
        assert f"| {key} | `{pid}` |" in doc, f"docs/place_ids.md lacks {key} {pid}"


def test_build_check_refuses_a_broken_context_file(tmp_path):
    import shutil
    from aicluster import buildcheck
    from aicluster.evidence import EvidenceError
    data = tmp_path / "data"
    shutil.copytree(paths.DATA, data)
    (data / "place_keys.csv").write_text("place_id,key\nhd_raycom,H01\n", encoding="utf-8")
    with pytest.raises(EvidenceError, match="places without a key"):
        buildcheck.check_data(data, seeds=tmp_path / "no-seeds")
