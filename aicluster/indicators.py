"""Indicator series built from the claims ledger: every value keeps its claim id.

The sources give two or three numbers per indicator, of different kinds: a level reached
(``achieved``), a running total (``cumulative``) or a ``plan``, often qualified (余 "more than",
近 "nearly", a range). The functions here turn claims into tidy series with decimal-year periods
and readable labels, draw them as points (never fitted curves), and build the small tables the
West-Beijing chapters show (money, the youth-talent housing subsidy, the action plan).
"""
from __future__ import annotations

import calendar
import datetime as dt
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from . import style

FUTURE = "future (unspecified)"
STATUS_COLOURS = {"achieved": style.PALETTE["blue"], "cumulative": style.PALETTE["green"],
                  "plan": style.PALETTE["orange"], "policy_term": style.PALETTE["purple"],
                  "definition": style.PALETTE["grey"]}
STATUS_LABELS = {"achieved": "achieved (level reached)", "cumulative": "cumulative (running total)",
                 "plan": "plan (hollow)", "policy_term": "policy term (what a policy offers)",
                 "definition": "definition"}
STATUS_WORDS = {"achieved": "achieved", "cumulative": "cumulative", "plan": "plan",
                "policy_term": "policy term", "definition": "definition"}


def status_text(status: str) -> str:
    """A claim's status in words (the data's codes, e.g. policy_term, never reach the reader)."""
    return STATUS_WORDS.get(status, str(status).replace("_", " "))


# What each qualifier does to a number, in words, and the sign a chart uses for it.
QUALIFIER_MEANING = {
    "exact": ("stated as exact", ""),
    "more_than": ("more than (余, 多, 超): the true value is above", "+"),
    "at_least": ("at least (以上, 上千): the true value is this or above", "+"),
    "nearly": ("nearly (近): the true value is a little below", "−"),
    "up_to": ("up to (最高, 不到): the true value is this or below", "≤"),
    "about": ("about (约, 左右)", "~"),
    "range": ("a range (到, 几十): low to high", "–"),
}
# Yuan per unit as written in the claims (亿 = 10^8, 万 = 10^4).
YUAN_PER_UNIT = {"亿元": 1e8, "万元": 1e4, "元": 1.0}


# -- periods ---------------------------------------------------------------------------------
def partial_date_span(text: str) -> tuple[float, float]:
    """A partial date (YYYY, YYYY-MM or YYYY-MM-DD) as [start, end) in decimal years."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text.strip())
    if not m:
        raise ValueError(f"not a partial date: {text!r}")
    year, month, day = int(m[1]), m[2], m[3]
    if month is None:
        return float(year), float(year + 1)
    month = int(month)
    if day is None:
        start = dt.date(year, month, 1)
        end = dt.date(year + (month == 12), month % 12 + 1, 1)
    else:
        start = dt.date(year, month, int(day))
        end = start + dt.timedelta(days=1)
    return decimal_year(start), decimal_year(end)


def decimal_year(day: dt.date) -> float:
    """A calendar day as a decimal year (1 January = .0)."""
    days = 366 if calendar.isleap(day.year) else 365
    return day.year + (day.timetuple().tm_yday - 1) / days


def period_span(ref_period: str) -> tuple[float, float]:
    """A claim's ``ref_period`` as [start, end) in decimal years; NaN for an open end and for
    'future (unspecified)'. ``2023..2025-04`` runs from the start of 2023 to the end of April 2025."""
    text = ref_period.strip()
    if text == FUTURE:
        return np.nan, np.nan
    if ".." in text:
        lo, hi = text.split("..", 1)
        start = partial_date_span(lo)[0] if lo else np.nan
        end = partial_date_span(hi)[1] if hi else np.nan
        return start, end
    return partial_date_span(text)


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def date_text(text: str) -> str:
    """A partial date in words: '2023' -> '2023', '2023-06' -> 'June 2023',
    '2023-06-09' -> '9 June 2023' (leading zeros of early years dropped: '0958' -> '958')."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text.strip())
    if not m:
        raise ValueError(f"not a partial date: {text!r}")
    year, month, day = str(int(m[1])), m[2], m[3]
    if month is None:
        return year
    if not 1 <= int(month) <= 12:
        raise ValueError(f"not a month: {text!r}")
    words = f"{MONTHS[int(month) - 1]} {year}"
    return words if day is None else f"{int(day)} {words}"


def _next_date(text: str) -> str:
    """The partial date just after `text`, at the same precision ('2006' -> '2007',
    '2023-12' -> '2024-01', '2023-12-31' -> '2024-01-01')."""
    parts = text.strip().split("-")
    if len(parts) == 1:
        return f"{int(parts[0]) + 1:04d}"
    if len(parts) == 2:
        year, month = int(parts[0]), int(parts[1])
        return f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    return (dt.date(*map(int, parts)) + dt.timedelta(days=1)).isoformat()


def period_text(ref_period: str) -> str:
    """A claim's ``ref_period`` in plain words, for readers: '2022-02..2023-06' -> 'February
    2022 to June 2023', '2023-02..2023-06' -> 'February to June 2023', '..2006' -> 'before 2007'
    (the period ends with 2006), '2023..' -> 'from 2023', 'future (unspecified)' -> 'an
    unspecified future date'. Raises ValueError for text that is not a period."""
    text = ref_period.strip()
    if text == FUTURE:
        return "an unspecified future date"
    if ".." not in text:
        return date_text(text)
    lo, hi = (p.strip() for p in text.split("..", 1))
    if not lo and not hi:
        raise ValueError(f"not a period: {ref_period!r}")
    if not lo:
        return f"before {date_text(_next_date(hi))}"
    if not hi:
        return f"from {date_text(lo)}"
    a, b = date_text(lo), date_text(hi)
    if len(lo) == len(hi) == 7 and lo[:4] == hi[:4]:  # two months of one year
        return f"{a.split()[0]} to {b}"
    return f"{a} to {b}"


# Abbreviations in indicator names, spelt out for readers.
MEASURE_WORDS = {"zjtx": "(专精特新, ‘specialised and innovative’)", "ai": "AI", "av": "audio-visual",
                 "p": "(P)", "phd": "PhD", "zgc": "Zhongguancun", "changan": "Chang’an",
                 "max": "maximum"}


def measure_text(indicator: str) -> str:
    """An indicator name as words: 'specialised_firms_zjtx' -> 'specialised firms (专精特新,
    ‘specialised and innovative’)', 'ai_compute_capacity' -> 'AI compute capacity'."""
    words = [MEASURE_WORDS.get(w, w) for w in str(indicator).split("_")]
    text = " ".join(words)
    return text[0].upper() + text[1:] if text else text


def qualifier_text(qualifier: str, qualifier_zh: str = "") -> str:
    """A qualifier in words with its Chinese original: 'more_than', '超' -> 'more than (超)'."""
    words = {"exact": "exact", "more_than": "more than", "at_least": "at least",
             "nearly": "nearly", "up_to": "up to", "about": "about", "range": "a range"}
    if qualifier not in words:
        raise ValueError(f"unknown qualifier {qualifier!r} (expected one of {list(words)})")
    zh = "" if pd.isna(qualifier_zh) else str(qualifier_zh).strip()
    return words[qualifier] + (f" ({zh})" if zh else "")


def amount_text(value, value_high, qualifier: str, unit: str, unit_en: str) -> str:
    """A claim's amount for readers, in English units: tenths (成) as percent ('>3 成' ->
    '>30 %'), money in yuan ('>220 亿元' -> '>22 billion yuan'), otherwise the English unit
    without its explanation ('97 家' -> '97 firms')."""
    if unit == "成":
        high = None if value_high is None or pd.isna(value_high) else float(value_high) * 10
        return f"{value_text(float(value) * 10, high, qualifier)} %"
    if unit in YUAN_PER_UNIT:
        lo = to_yuan(value, unit)
        high = None if value_high is None or pd.isna(value_high) else to_yuan(value_high, unit)
        scale, word = (1e9, "billion") if lo >= 1e9 else (1e6, "million") if lo >= 1e6 else (1, "")
        return f"{value_text(lo / scale, None if high is None else high / scale, qualifier)} " \
               f"{(word + ' yuan').strip()}"
    english = re.sub(r"\s*\(.*\)$", "", str(unit_en)).strip() or unit
    if english == "rank":
        return f"rank {value_text(value, value_high, qualifier)}"
    sep = "" if english == "%" else " "
    return f"{value_text(value, value_high, qualifier)}{sep}{english}"


# -- series ----------------------------------------------------------------------------------
def value_text(value: float, value_high: float | None = None, qualifier: str = "exact") -> str:
    """A claim's number as a reader sees it: '100', '>12,000', '~2002', '80–100', '≤50'."""
    def num(v):
        return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}".rstrip("0").rstrip(".")
    if value_high is not None and not pd.isna(value_high):
        return f"{num(value)}–{num(value_high)}"
    prefix = {"more_than": ">", "at_least": "≥", "nearly": "<", "up_to": "≤", "about": "~"}
    return prefix.get(qualifier, "") + num(value)


def series(claims: pd.DataFrame, claim_ids) -> pd.DataFrame:
    """The given claims, in the given order, with period bounds (decimal years), a midpoint for
    plotting and a label 'Cxxx: value'. Raises KeyError naming any id not in the ledger."""
    claim_ids = list(claim_ids)
    indexed = claims.set_index("claim_id", drop=False)
    missing = [c for c in claim_ids if c not in indexed.index]
    if missing:
        raise KeyError(f"claims not in the ledger: {missing}")
    out = indexed.loc[claim_ids].reset_index(drop=True).copy()
    spans = [period_span(p) for p in out["ref_period"]]
    out["t_start"] = [s for s, _ in spans]
    out["t_end"] = [e for _, e in spans]
    out["t_mid"] = (out["t_start"] + out["t_end"]) / 2
    out["status"] = out["status"].astype(str)
    out["qualifier"] = out["qualifier"].astype(str)
    out["value_text"] = [value_text(r.value, r.value_high, r.qualifier) for r in out.itertuples()]
    out["label"] = out["claim_id"] + ": " + out["value_text"]
    return out


def select(claims: pd.DataFrame, *, indicator=None, entity_id=None) -> pd.DataFrame:
    """Claims matching an indicator (a name or a regular expression ending in $) and entity."""
    keep = pd.Series(True, index=claims.index)
    if indicator is not None:
        keep &= claims["indicator"].str.fullmatch(indicator)
    if entity_id is not None:
        ids = [entity_id] if isinstance(entity_id, str) else list(entity_id)
        keep &= claims["entity_id"].isin(ids)
    return claims[keep]


def to_yuan(value: float, unit: str) -> float:
    """A money claim in yuan (亿元 = 10^8 yuan, 万元 = 10^4 yuan)."""
    if unit not in YUAN_PER_UNIT:
        raise ValueError(f"not a money unit: {unit!r} (expected one of {list(YUAN_PER_UNIT)})")
    return float(value) * YUAN_PER_UNIT[unit]


# -- tables ----------------------------------------------------------------------------------
def money_table(claims: pd.DataFrame, claim_ids, names: dict[str, str]) -> pd.DataFrame:
    """Money claims in million yuan, with the words of the source and the claim id."""
    rows = []
    for r in series(claims, claim_ids).itertuples():
        rows.append({
            "What": names.get(r.claim_id, r.gloss_en),
            "Million yuan": value_text(to_yuan(r.value, r.unit) / 1e6, None, r.qualifier),
            "As written": r.value_in_quote,
            "Status": status_text(r.status),
            "Period": period_text(r.ref_period),
            "Claim": r.claim_id,
        })
    return pd.DataFrame(rows)


def subsidy_schedule(claims: pd.DataFrame, free_year: str, by_degree: dict[str, str],
                     year3: str) -> pd.DataFrame:
    """The youth-talent housing schedule ('一免两补'): share of rent covered in years 1-3 by
    degree, each cell with its claim id. `by_degree` maps a degree to its year-2 claim id."""
    s = series(claims, [free_year, *by_degree.values(), year3]).set_index("claim_id")
    if s.loc[free_year, "unit_en"] != "years" or s.loc[free_year, "value"] != 1:
        raise ValueError(f"{free_year} should state one rent-free first year")
    rows = []
    for degree, cid in by_degree.items():
        rows.append({
            "Graduate": degree,
            "Year 1": f"100 % (rent-free; {free_year})",
            "Year 2": f"{s.loc[cid, 'value']:g} % ({cid})",
            "Year 3": f"{s.loc[year3, 'value']:g} % ({year3})",
        })
    return pd.DataFrame(rows)


def shares_by_year(claims: pd.DataFrame, free_year: str, by_degree: dict[str, str],
                   year3: str) -> pd.DataFrame:
    """The same schedule as numbers (percent of rent covered), degrees × years 1-3."""
    values = claims.set_index("claim_id")["value"]
    return pd.DataFrame({deg: [100.0, float(values[cid]), float(values[year3])]
                         for deg, cid in by_degree.items()}, index=[1, 2, 3]).T


AREA_NAMES = {"haidian": "Haidian district", "mentougou": "Mentougou district",
              "shijingshan": "Shijingshan district", "jingxi": "West Beijing (Jingxi)",
              "beijing": "Beijing"}


def entity_names() -> dict[str, str]:
    """English names of every entity a claim can be about: districts and areas, places
    (``places.csv``) and organisations (``organisations.csv``)."""
    from . import evidence  # the checked loaders (a bare read_csv would accept bad rows)
    places = evidence.load_places()
    orgs = evidence.load_organisations()
    return {**dict(zip(orgs["org_id"], orgs["name_en"])),
            **dict(zip(places["place_id"], places["name_en"])), **AREA_NAMES}


def claims_table(s: pd.DataFrame, names: dict[str, str] | None = None) -> pd.DataFrame:
    """The table printed beside a chart: one row per plotted point with its claim id, what it
    measures (the indicator), what it is about (`names` maps entity ids to readable names; the
    others get their names from :func:`entity_names`), its amount in English units, the words of
    the source, and its period in words."""
    names = {**entity_names(), **(names or {})}
    return pd.DataFrame({
        "Claim": s["claim_id"],
        "Measure": s["indicator"].map(measure_text),
        "About": s["entity_id"].map(lambda e: names.get(e, e)),
        "Value": [amount_text(r.value, r.value_high, r.qualifier, r.unit, r.unit_en)
                  for r in s.itertuples()],
        "As written": s["value_in_quote"],
        "Status": s["status"].map(status_text),
        "Qualifier": [qualifier_text(q, z) for q, z in zip(s["qualifier"], s["qualifier_zh"])],
        "Period": s["ref_period"].map(period_text),
        "Source": s["source_id"],
    })


# -- charts ----------------------------------------------------------------------------------
def plot_points(ax, s: pd.DataFrame, *, x="t_mid", marker_col=None, markers=None,
                undated_x=None, label=True, label_offsets=None):
    """Draw each claim as one point at (period midpoint, value), coloured by status; plans
    hollow; a horizontal line spans the claim's period; a range is a vertical bar; 'more than'
    and 'at least' get an upward arrow, 'nearly' and 'up to' a downward one. Each point is
    labelled with its claim id and value. Undated claims go to `undated_x`. No curve is fitted."""
    markers = markers or {}
    label_offsets = label_offsets or {}
    for r in s.itertuples():
        xv = getattr(r, x)
        undated = pd.isna(xv)
        if undated:
            if undated_x is None:
                raise ValueError(f"{r.claim_id} has no date; pass undated_x to place it")
            xv = undated_x
        colour = STATUS_COLOURS[r.status]
        mk = markers.get(getattr(r, marker_col), "o") if marker_col else "o"
        hollow = r.status == "plan"
        if not undated and r.t_end - r.t_start > 0.2:
            ax.plot([r.t_start, r.t_end], [r.value, r.value], color=colour, lw=1.2, alpha=0.7,
                    linestyle="--" if hollow else "-", zorder=2)
        if not pd.isna(r.value_high):
            ax.plot([xv, xv], [r.value, r.value_high], color=colour, lw=2.5, alpha=0.8,
                    linestyle="--" if hollow else "-", zorder=2)
        ax.plot([xv], [r.value], marker=mk, markersize=8, linestyle="",
                markerfacecolor="white" if hollow else colour, markeredgecolor=colour,
                markeredgewidth=1.8, zorder=4)
        arrow = {"more_than": 1, "at_least": 1, "nearly": -1, "up_to": -1}.get(r.qualifier)
        if arrow:
            ax.annotate("", xy=(xv, r.value), xytext=(0, 14 * arrow), textcoords="offset points",
                        arrowprops=dict(arrowstyle="<-", color=colour, lw=1.2), zorder=3)
        if label:
            dx, dy = label_offsets.get(r.claim_id, (6, -3))
            top = r.value_high if not pd.isna(r.value_high) else r.value
            ax.annotate(r.label, (xv, top), xytext=(dx, dy), textcoords="offset points",
                        fontsize=8, ha="left" if dx >= 0 else "right", va="center", zorder=5,
                        parse_math=False)  # label from data: a "$" is a dollar, not maths
    return ax


def status_legend(ax, statuses=("achieved", "cumulative", "plan"), extra=(), **kw):
    """A legend for status colours (plans hollow) plus optional extra handles."""
    handles = [Line2D([], [], marker="o", linestyle="", markersize=8,
                      markerfacecolor="white" if st == "plan" else STATUS_COLOURS[st],
                      markeredgecolor=STATUS_COLOURS[st], markeredgewidth=1.8,
                      label=STATUS_LABELS[st]) for st in statuses]
    return ax.legend(handles=[*handles, *extra], **{"frameon": False, "fontsize": 8, **kw})


def bar_with_claims(ax, labels, values, claim_ids, *, statuses, bottoms=None, width=0.6,
                    positions=None, text_inside=True):
    """Bars coloured by status (plans hatched and pale), each marked with its claim id."""
    positions = np.arange(len(values)) if positions is None else np.asarray(positions, float)
    bottoms = np.zeros(len(values)) if bottoms is None else np.asarray(bottoms, float)
    for x, v, b, cid, st in zip(positions, values, bottoms, claim_ids, statuses):
        colour = STATUS_COLOURS[st]
        plan = st == "plan"
        ax.bar(x, v, width, bottom=b, color="white" if plan else colour, edgecolor=colour,
               hatch="///" if plan else None, linewidth=1.5)
        ax.text(x, b + v / 2 if text_inside else b + v, f"{cid}\n{v:g}", ha="center",
                va="center" if text_inside else "bottom", fontsize=8,
                color="black" if plan else "white", fontweight="bold",
                # Plans are hatched: a white box keeps their label legible.
                bbox=dict(facecolor="white", edgecolor="none", pad=1) if plan else None)
    ax.set_xticks(positions, labels)
    return ax


def new_figure(figsize=(7, 3.6)):
    """A figure in the book style (for callers outside a notebook, e.g. tests)."""
    with plt.rc_context(style.book_rc()):
        return plt.subplots(figsize=figsize)
