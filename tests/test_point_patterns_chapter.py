"""The wording of the chapter "Do AI firms cluster?" (chapters/point_patterns.ipynb): its tables,
glued values and sentences, on a synthetic district whose answers are known.

The functions live in the chapter's hidden cells (the chapter's wording belongs to the chapter);
:func:`conftest.chapter_functions` loads their definitions without running the analysis.
"""
import math

import numpy as np
import pytest
from shapely.geometry import Point, box

from aicluster import clusterstats as cs
from aicluster import evidence, geo, haidian
from conftest import chapter_functions

CHAPTER = "point_patterns.ipynb"
F = chapter_functions(CHAPTER, [
    "shared_point_name", "ties_sentence", "points_glue",
    "buildings_table", "windows_glue", "db_tie_sentence", "site_words", "kde_glue",
    "per_100_km2", "lonlat", "or_undefined", "median_range", "centrography_table",
    "centrography_glue"])
# A synthetic district in EPSG:4548 near Beijing: three towers share one estimated point (that of
# a science park), five stand alone, and three institutions lie among them.

ORIGIN = np.array([440_000.0, 4_420_000.0])
DISTRICT = box(*ORIGIN, *(ORIGIN + 10_000))
PLACE_ROWS = [  # place_id, name_en, name_zh, kind, coord_source, precision_m, x, y
    ("s1", "Tower A", "甲大厦", "ai_building", "ESTIMATE: park address", 800, 5000, 5000),
    ("s2", "Tower B", "乙大厦", "ai_building", "ESTIMATE: park address", 800, 5000, 5000),
    ("s3", "Tower C", "丙大厦", "ai_building", "ESTIMATE: park address", 800, 5000, 5000),
    ("s4", "Tower D", "丁大厦", "ai_building", "AMAP_APP", 100, 5600, 5200),
    ("s5", "Tower E", "戊大厦", "ai_building", "AMAP_APP", 150, 4400, 5300),
    ("s6", "Tower F", "己大厦", "ai_building", "ESTIMATE: street", 300, 5200, 4300),
    ("s7", "Tower G", "庚大厦", "ai_building", "AMAP_APP", 100, 6100, 6000),
    ("s8", "Tower H", "辛大厦", "ai_building", "ESTIMATE: street", 400, 4300, 4200),
    ("p1", "Science Park", "科技园", "ai_hub", "ESTIMATE: map", 800, 5000, 5000),
    ("u1", "North University", "北方大学", "university", "PUBLISHED", 300, 5100, 5400),
    ("u2", "South University", "南方大学", "university", "PUBLISHED", 300, 4800, 4600),
    ("i1", "Institute of Things", "物理所", "institute", "PUBLISHED", 300, 5900, 5500),
]


def synthetic_places():
    import geopandas as gpd
    import pandas as pd

    df = pd.DataFrame(PLACE_ROWS, columns=["place_id", "name_en", "name_zh", "kind",
                                           "coord_source", "precision_m", "x", "y"])
    df["is_estimate"] = df["coord_source"].str.startswith("ESTIMATE")  # as load_places adds
    geometry = gpd.points_from_xy(df["x"] + ORIGIN[0], df["y"] + ORIGIN[1])
    return gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=geometry, crs=geo.METRIC)


def synthetic_windows(xy, knowledge, buffer_m=1000.0):
    """The chapter's three windows, ``{key: (name, polygon)}``, in the synthetic district."""
    return {"haidian": ("All of Haidian", cs.check_window(DISTRICT)),
            "core": ("Urban core (Ripley–Rasson)", cs.ripley_rasson_core(xy, DISTRICT)),
            "buffer": (f"Within {buffer_m / 1000:g} km of knowledge/AI places",
                       cs.buffer_window(knowledge, buffer_m, DISTRICT))}


def synthetic_chapter():
    """Places, sites, institutions, site coordinates and the three study windows."""
    places = synthetic_places()
    sites = haidian.of_kinds(places, haidian.AI_SITE_KINDS)
    institutions = haidian.of_kinds(places, haidian.INSTITUTION_KINDS)
    xy = haidian.xy(sites)
    return places, sites, institutions, xy, synthetic_windows(xy, haidian.xy(places))


def test_points_glue_counts_ties_and_names_the_shared_point():
    places, sites, institutions, _, _ = synthetic_chapter()
    g = F["points_glue"](sites, institutions, places)
    assert (g["n_sites"], g["n_inst"], g["n_univ"], g["n_locations"]) == (8, 3, 2, 6)
    assert (g["n_published"], g["n_estimated"]) == (3, 5)
    assert (g["prec_min"], g["prec_max"], g["prec_median"]) == (100, 800, 350.0)
    assert (g["n_tied"], g["n_groups"], g["largest_group"]) == (3, 1, 3)
    assert g["ties_sentence"] == "3 buildings share one estimated point of Science Park 科技园"
    alone = sites.iloc[3:]
    assert F["ties_sentence"](alone, places).startswith("No two buildings share")
    assert F["points_glue"](alone, institutions, places)["largest_group"] == 1


def test_ties_sentence_with_two_groups_names_the_largest():
    places, sites, _, _, _ = synthetic_chapter()
    moved = sites.copy()
    moved.loc[moved["place_id"] == "s5", "geometry"] = moved.geometry.iloc[3]  # E onto D
    assert F["ties_sentence"](moved, places) == (
        "5 buildings share 2 locations; the largest group, 3 buildings, sits on one "
        "estimated point of Science Park 科技园")


def test_buildings_table_numbers_locations_and_finds_the_nearest_institution():
    _, sites, institutions, _, _ = synthetic_chapter()
    ids = list(sites["place_id"]) + list(institutions["place_id"])
    keys = {pid: f"H{i:02d}" for i, pid in enumerate(ids, start=1)}
    t = F["buildings_table"](sites, institutions, keys=keys)
    assert list(t.columns) == ["Key", "Location", "Building", "Coordinate",
                               "Nearest institution", "Distance (m)"]
    assert t["Key"].tolist() == [keys[p] for p in sites["place_id"]]
    assert t["Location"].tolist() == [1, 1, 1, 2, 3, 4, 5, 6]
    assert t["Building"].iloc[0] == "Tower A 甲大厦"
    assert t["Coordinate"].tolist()[:4] == ["estimate ±800 m"] * 3 + ["published ±100 m"]
    assert t["Nearest institution"].iloc[0].endswith(" North University")
    assert t["Nearest institution"].iloc[0].split()[0] in set(keys.values())
    assert t["Distance (m)"].iloc[0] == pytest.approx(math.hypot(100, 400))


def test_windows_and_their_areas():
    _, _, _, xy, windows = synthetic_chapter()
    assert list(windows) == ["haidian", "core", "buffer"]
    g = F["windows_glue"](windows, cs.distinct_locations(xy)[0], 1000.0)
    assert g["haidian_km2"] == pytest.approx(100.0)
    # the core is the hull enlarged by rr_factor in each direction (it is not clipped here)
    assert g["core_km2"] == pytest.approx(g["hull_km2"] * g["rr_factor"] ** 2)
    assert g["core_share_pct"] == pytest.approx(g["core_km2"])  # of a 100 km² district
    assert 2 < g["hull_m"] < 6 and g["buffer_m"] == 1000.0


def test_dbscan_tie_sentence():
    _, _, _, xy, _ = synthetic_chapter()
    assert "the 3 buildings on one shared point" in F["db_tie_sentence"](xy)
    assert F["db_tie_sentence"](xy[3:]).startswith("No cluster is forced")


def test_kde_glue_names_the_peak_and_the_shared_point():
    _, sites, _, xy, _ = synthetic_chapter()
    bounds = (*(ORIGIN + 3000), *(ORIGIN + 7000))
    g = F["kde_glue"](cs.kde_surfaces(xy, 750.0, bounds, cell=100.0), sites)
    assert g["kde_h1_place"] == "the point shared by 3 buildings, among them Tower A 甲大厦"
    assert g["kde_tie_sentence"].startswith("The highest peak at the smallest bandwidth sits on")
    assert F["site_words"](sites, 4) == "Tower E 戊大厦"
    lone = F["kde_glue"](cs.kde_surfaces(xy[3:], 750.0, bounds, cell=100.0), sites.iloc[3:])
    assert lone["kde_tie_sentence"] == "The highest peak does not sit on a shared coordinate."


def test_centrography_table_and_glue_with_a_placeholder_point():
    _, _, _, xy, _ = synthetic_chapter()
    mt = np.repeat(xy[:1] + 20_000, 4, axis=0)  # four sites on one placeholder point
    hd_c, mt_c = cs.centrography(xy), cs.centrography(mt)
    sub = cs.subsample_centrography(xy, 4, 50, rng=1)
    km2 = {"haidian": 100.0, "mentougou": 50.0}
    t = F["centrography_table"](hd_c, mt_c, sub, km2).set_index("Measure")
    assert list(t.columns) == ["Haidian, all", "Haidian, subsamples of 4: median [5–95 %]",
                               "Mentougou"]
    assert t.loc["Convex hull (km²)", "Mentougou"] == "undefined"
    assert t.loc["Sites per 100 km² of district"].tolist() == ["8.00", "–", "8.00"]
    lon, lat = map(float, t.loc["Mean centre (lon, lat)", "Haidian, all"].split(", "))
    assert 116 < lon < 117 and 39.5 < lat < 40.5  # the synthetic district lies near Beijing
    g = F["centrography_glue"](hd_c, mt_c, sub, km2)
    assert g["mt_spread_words"] == "all share one placeholder point" and g["mt_sd"] == 0
    assert g["nsub"] == 50 and g["n_mt"] == 4 and g["hd_per100"] == 8.0


def test_mentougou_sites_of_the_chapter_lie_in_mentougou():
    import ast
    import json

    from aicluster import paths
    nb = json.loads((paths.ROOT / "chapters" / CHAPTER).read_text(encoding="utf-8"))
    ids = next(ast.literal_eval(node.value) for cell in nb["cells"]
               if cell["cell_type"] == "code"
               for node in ast.parse("".join(cell["source"])).body
               if isinstance(node, ast.Assign)
               and getattr(node.targets[0], "id", "") == "MENTOUGOU_AI_SITE_IDS")
    places = evidence.load_places().to_crs(geo.METRIC).set_index("place_id")
    districts = geo.load_districts().to_crs(geo.METRIC).set_index("district_id")
    pts = haidian.xy(places.loc[list(ids)])
    assert len(ids) == 4 and all(districts.geometry["mentougou"].contains(Point(p)) for p in pts)


def test_chapter_quotes_are_verbatim(seeds_dir):
    """Chinese quotations (in “…”) in the chapter occur verbatim in seed 004."""
    import json
    import re
    from aicluster import paths
    nb = json.loads((paths.ROOT / "chapters" / "point_patterns.ipynb").read_text(encoding="utf-8"))
    text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    seed = next(seeds_dir.glob("004_*")).read_text(encoding="utf-8")
    quotes = [q for q in re.findall(r"“([^”]+)”", text) if re.search(r"[\u4e00-\u9fff]", q)]
    assert quotes, "the chapter quotes its source"
    for quote in quotes:
        assert quote in seed, quote

