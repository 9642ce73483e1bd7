"""Haidian's AI sites and its universities and institutes, in a metric CRS.

Shared by the chapters "Haidian's AI buildings" and "Do AI firms cluster?": which places count
as AI sites or as knowledge institutions is decided here, once, and the distance from each site to
the nearest institution is computed here, once, in EPSG:4548 (never Web Mercator).
"""
from __future__ import annotations

import re

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


NOT_LOCATED = "NOT LOCATED"
"""Marker in ``coord_source`` of a place whose present site no source gives (e.g. ICT, whose
stored point is its *former* site): such a place is kept in the data but left out of analyses."""


def is_located(places: gpd.GeoDataFrame):
    """Boolean mask: the place's point stands for where it is now (not ``NOT LOCATED``)."""
    return ~places["coord_source"].astype(str).str.contains(NOT_LOCATED, regex=False)


def of_kinds(places: gpd.GeoDataFrame, kinds) -> gpd.GeoDataFrame:
    """The located places whose ``kind`` is one of ``kinds``, in file order (places marked
    ``NOT LOCATED`` in ``coord_source`` are left out)."""
    return places[places["kind"].isin(kinds) & is_located(places)].reset_index(drop=True)


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
    larger of the two coordinates' precision radii (a rough scale of the distance's error; the
    strict interval, which adds both radii, is :func:`nearest_distance_bounds`)."""
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


# -- uncertainty of the nearest distance --------------------------------------------------------
def nearest_distance_bounds(sites: gpd.GeoDataFrame, institutions: gpd.GeoDataFrame) -> pd.DataFrame:
    """What the precision radii allow for the distance from each site to its nearest institution.

    Each true position lies within ``precision_m`` of its stored point, so the true distance to
    institution j lies in [max(0, d_j - r_site - r_j), d_j + r_site + r_j], and the true distance
    to the *nearest* institution between the smallest lower and the smallest upper bound.
    ``n_candidates`` counts the institutions that could be the nearest one (lower bound not above
    that smallest upper bound): with 1, which institution is nearest is settled by the data.
    """
    d = np.linalg.norm(xy(sites)[:, None, :] - xy(institutions)[None, :, :], axis=2)
    slack = (sites["precision_m"].to_numpy(float)[:, None]
             + institutions["precision_m"].to_numpy(float)[None, :])
    low, high = np.maximum(d - slack, 0.0), d + slack
    best_high = high.min(axis=1)
    return pd.DataFrame({
        "place_id": sites["place_id"].to_numpy(),
        "low_m": low.min(axis=1),
        "high_m": best_high,
        "n_candidates": (low <= best_high[:, None]).sum(axis=1),
    })


def derived_from(places: pd.DataFrame) -> dict[str, set[str]]:
    """For each place, the other place ids its ``coord_source`` names: an estimate placed
    relative to another place (e.g. '~100 m from the hd_raycom point'), so distances between
    the two are partly set by construction, not measured."""
    ids = set(places["place_id"])
    named = {other: re.compile(rf"(?<![a-z0-9_]){re.escape(other)}(?![a-z0-9_])") for other in ids}
    return {pid: {other for other in ids - {pid} if named[other].search(str(src))}
            for pid, src in zip(places["place_id"], places["coord_source"])}


def anchors(place_id: str, derived: dict[str, set[str]]) -> set[str]:
    """Every place ``place_id``'s coordinate was derived from, directly or through others."""
    seen, todo = set(), list(derived.get(place_id, ()))
    while todo:
        other = todo.pop()
        if other not in seen and other != place_id:
            seen.add(other)
            todo += derived.get(other, ())
    return seen


def placed_relative(a: str, b: str, derived: dict[str, set[str]]) -> bool:
    """True when one place's coordinate was derived from the other's, or both from a common
    anchor (as ``coord_source`` records by place id): their distance is partly set by construction."""
    from_a, from_b = anchors(a, derived), anchors(b, derived)
    return b in from_a or a in from_b or bool(from_a & from_b)


# -- places that share one point ----------------------------------------------------------------
def point_key(frame: gpd.GeoDataFrame) -> pd.Series:
    """A key equal for places stored at the same point (to 1e-6 degrees, i.e. about 0.1 m)."""
    wgs = frame.to_crs("EPSG:4326")
    return pd.Series([f"{x:.6f},{y:.6f}" for x, y in zip(wgs.geometry.x, wgs.geometry.y)],
                     index=frame.index)


def n_sharing_point(frame: gpd.GeoDataFrame) -> pd.Series:
    """How many places of ``frame`` sit at each place's stored point (1: the point is its own)."""
    key = point_key(frame)
    return key.map(key.value_counts()).astype(int)


def org_label(name_en: str, name_zh: str) -> str:
    """'English 中文', or one name when both are the same (e.g. DeepSeek)."""
    return name_en if name_en == name_zh else f"{name_en} {name_zh}"


def organisations_at(organisations: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """The organisations the sources put at each place, as 'English 中文' labels without
    parenthetical glosses ('Moonshot AI 月之暗面'), each once, in file order."""
    return {pid: [label for *_, label in pairs]
            for pid, pairs in _organisations_by_place(organisations).items()}


def _organisations_by_place(organisations=None) -> dict[str, list[tuple[str, str, str]]]:
    """{place_id: [(name_en, name_zh, 'English 中文'), ...]}, each label once, file order."""
    orgs = evidence.load_organisations() if organisations is None else organisations
    located = orgs[orgs["place_id"].notna() & (orgs["place_id"] != "")]
    out: dict[str, list[tuple[str, str]]] = {}
    for row in located.itertuples():
        pairs = out.setdefault(row.place_id, [])
        label = org_label(_drop_parentheses(row.name_en), _drop_parentheses(row.name_zh))
        if label not in [seen for *_, seen in pairs]:
            pairs.append((row.name_en, row.name_zh, label))
    return out


# The longest label short_name returns (the data's longest is 65 characters): a longer name
# from data is cut with an ellipsis, so that it cannot push a figure's axis labels off the page
# (matplotlib's tight_layout then warns, and a warning fails the build).
SHORT_NAME_MAX = 70


def short_name(name_en: str, name_zh: str) -> str:
    """'English 中文' without the parenthetical parts, for labels that must stay short (at most
    SHORT_NAME_MAX characters: longer ones end in '…')."""
    text = f"{_drop_parentheses(name_en)} {_drop_parentheses(name_zh)}"
    return text if len(text) <= SHORT_NAME_MAX else text[:SHORT_NAME_MAX - 1].rstrip() + "…"


def _drop_parentheses(name: str) -> str:
    """'Moonshot AI (Kimi)' -> 'Moonshot AI'; '中关村软件园（西北旺）' -> '中关村软件园'."""
    return re.sub(r"\s*[(（][^()（）]*[)）]", "", name).strip() or name


def precision_text(is_estimate: bool, precision_m: float) -> str:
    return f"{'estimate' if is_estimate else 'published point'}, ±{precision_m:,.0f} m"


def coordinate_text(group: pd.DataFrame) -> str:
    """How the points of ``group`` (places stored at one point) were obtained, and their radii:
    'estimate, ±800 m', 'estimates, ±800–1,500 m', 'published point, ±300 m', or mixed."""
    n, n_est = len(group), int(group["is_estimate"].sum())
    if n_est == n:
        origin = "estimate" if n == 1 else "estimates"
    elif n_est == 0:
        origin = "published point" if n == 1 else "published points"
    else:
        origin = f"{n_est} estimates, {n - n_est} published"
    lo, hi = group["precision_m"].min(), group["precision_m"].max()
    radius = f"±{lo:,.0f} m" if lo == hi else f"±{lo:,.0f}–{hi:,.0f} m"
    return f"{origin}, {radius}"


def stack_points(places: gpd.GeoDataFrame, organisations: pd.DataFrame | None = None,
                 priority=None) -> gpd.GeoDataFrame:
    """One row per distinct stored point, listing every place stored there and the
    organisations the sources put in each, so that a map shows places that share one
    (estimated) point as what they are: one marker, not several that look independent.

    Columns: ``place_ids`` (list), ``n_places``, ``kind`` (of the first place by ``priority``, a
    sequence of kinds, default file order), ``label`` (the header) and ``lines`` (one line per
    place, each followed by the organisations there other than the place itself, e.g. Tsinghua
    University at its campus), ``coordinate`` (:func:`coordinate_text`), ``precision_m`` (largest radius), geometry.
    """
    orgs = _organisations_by_place(organisations)
    rank = {k: i for i, k in enumerate(priority or [])}
    frame = places.assign(_key=point_key(places).to_numpy(), _order=range(len(places)))
    frame["_rank"] = frame["kind"].map(lambda k: rank.get(k, len(rank)))
    rows = []
    for _, group in frame.sort_values(["_rank", "_order"]).groupby("_key", sort=False):
        first = group.iloc[0]
        lines = []
        for place in group.itertuples():
            lines.append(f"▪ {short_name(place.name_en, place.name_zh)}")
            lines += [f"\u2003– {label}" for name_en, name_zh, label in orgs.get(place.place_id, [])
                      if not (place.name_en.startswith(name_en) or place.name_zh == name_zh)]
        n = len(group)
        label = (f"{first.name_en} {first.name_zh}" if n == 1 else
                 f"{n} places share this {'estimated ' if group['is_estimate'].any() else ''}point")
        rows.append({"place_ids": list(group["place_id"]), "n_places": n, "kind": first.kind,
                     "label": label, "lines": lines, "coordinate": coordinate_text(group),
                     "precision_m": group["precision_m"].max(),
                     "geometry": first.geometry})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=places.crs)


# Bounds of simulate_nearest_distance: at most this many site-institution distances in all
# (the book today: 4,000 draws x 12 sites x 9 institutions, 432,000), and this many float64
# differences held at once (128 MB).
MAX_SIMULATED_PAIRS = 2_000_000_000
CHUNK_ELEMENTS = 16_000_000


def simulate_nearest_distance(sites: gpd.GeoDataFrame, institutions: gpd.GeoDataFrame, *,
                              n: int = 4000, seed: int = 20260228, level: float = 0.9
                              ) -> pd.DataFrame:
    """The nearest-institution distance when every true position is drawn uniformly from the
    disc of its precision radius around the stored point (each place independently).

    Returns, per site, the median and the central ``level`` interval of ``n`` draws. A model, not
    a measurement: it assumes the radius is a hard limit and every position in it equally likely.
    """
    rng = np.random.default_rng(seed)

    def draw(frame):
        centre, radius = xy(frame), frame["precision_m"].to_numpy(float)
        r = radius * np.sqrt(rng.uniform(size=(n, len(frame))))
        angle = rng.uniform(0, 2 * np.pi, size=(n, len(frame)))
        return centre + np.stack([r * np.cos(angle), r * np.sin(angle)], axis=-1)

    work = n * len(sites) * len(institutions)
    if work > MAX_SIMULATED_PAIRS:
        raise ValueError(
            f"simulate_nearest_distance: {n:,} draws x {len(sites):,} sites x "
            f"{len(institutions):,} institutions = {work:,} distances, more than the "
            f"{MAX_SIMULATED_PAIRS:,} this model is sized for (minutes on one core); use fewer "
            "draws (n) or fewer places")
    s, t = draw(sites), draw(institutions)                      # (n, S, 2), (n, I, 2)
    # The (draws, S, I, 2) differences are made a chunk of draws at a time, so memory stays
    # bounded however many places there are (the distances are the same as in one piece).
    d = np.empty((n, len(sites)))
    step = max(1, CHUNK_ELEMENTS // max(1, 2 * len(sites) * len(institutions)))
    for a in range(0, n, step):
        d[a:a + step] = np.linalg.norm(s[a:a + step, :, None, :] - t[a:a + step, None, :, :],
                                       axis=-1).min(axis=2)                      # (n, S)
    tail = (1 - level) / 2
    return pd.DataFrame({
        "place_id": sites["place_id"].to_numpy(),
        "sim_median_m": np.median(d, axis=0),
        "sim_low_m": np.quantile(d, tail, axis=0),
        "sim_high_m": np.quantile(d, 1 - tail, axis=0),
    })


# -- map keys -------------------------------------------------------------------------------------
def marker_keys(markers: gpd.GeoDataFrame, numbered_kinds) -> list[str]:
    """Short keys for a static map: numbers for markers of ``numbered_kinds``, letters for the
    others, each series from north to south (west to east on a tie), so a reader can find them."""
    order = np.lexsort((markers.geometry.x.to_numpy(), -markers.geometry.y.to_numpy()))
    numbered = markers["kind"].isin(list(numbered_kinds)).to_numpy()
    keys = [""] * len(markers)
    n = letter = 0
    for i in order:
        if numbered[i]:
            n += 1
            keys[i] = str(n)
        else:
            keys[i] = _letters(letter)
            letter += 1
    return keys


def _letters(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (spreadsheet style)."""
    out = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        out = chr(65 + rem) + out
    return out


def key_order(keys) -> np.ndarray:
    """Positions that sort map keys as a reader expects: 1, 2, …, 10, then A, B, …, then the rest."""
    def rank(key):
        key = "" if key is None or (isinstance(key, float) and np.isnan(key)) else str(key)
        if key.isdigit():
            return (0, int(key), "")
        if key.isalpha() and key.isupper():
            return (1, len(key), key)
        return (2, 0, key)
    ranks = [rank(k) for k in keys]
    return np.array(sorted(range(len(ranks)), key=ranks.__getitem__), dtype=int)
