"""Where things live in the repository, independent of the working directory."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
FIGURES = ROOT / "figures"
STATIC = ROOT / "_static"
BOUNDARIES = DATA / "beijing_districts.geojson"
OFFICIAL_AREAS = DATA / "district_areas_official.csv"
