"""Timelines of events (and claims) on a broken time axis.

Mentougou's events run from the first record of coal mining in 958 to plans for 2026, but most of
them fall in the last fifteen years. A linear axis would squeeze those into a sliver, so
:class:`BrokenTimeAxis` is piecewise linear: each segment of years gets its own share of the axis
width, and the breaks are marked on the axis ("//") and ticked with their years (the book's
timelines leave out the optional segment labels), so that the reader sees where the scale changes.

Every timeline in the book uses the same design: the time axis :data:`BOOK_AXIS`, one row per
event, rows grouped under bold headings (a category, a district, a place), each row labelled with
the event's short English title (``title_short_en`` of ``data/events.csv``, written by hand from
``title_en``; claims: :func:`short_title` of their gloss) in a column to the right of the axis.
Markers are coloured by event category (Okabe–Ito); filled markers are events that happened,
hollow ones plans, diamonds dated numbers from claims. A bar through a marker spans the
precision of its date (a year or a month). The legend says all of this.

One event, one mark: :func:`one_per_event` merges records that report the same event twice.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import style
from .indicators import date_text, partial_date_span

P = style.PALETTE
# Category -> (colour, English label, Chinese label). Colour-blind-safe Okabe–Ito colours.
CATEGORY_STYLE = {
    "coal_steel": (P["black"], "Coal and steel", "煤炭与钢铁"),
    "park_land": (P["orange"], "Parks and land", "园区与土地"),
    "policy": (P["blue"], "Policy", "政策"),
    "compute": (P["vermillion"], "Computing power", "算力"),
    "firms_models": (P["green"], "Firms and models", "企业与模型"),
    "environment": (P["sky"], "Environment", "生态"),
    "talent": (P["purple"], "Talent", "人才"),
    "heritage_culture": (P["yellow"], "Heritage and culture", "遗产与文化"),
    "infrastructure": (P["grey"], "Infrastructure", "基础设施"),
}
def category_label(category: str) -> str:
    """An event category as readers see it: 'coal_steel' -> 'Coal and steel (煤炭与钢铁)'."""
    _, en, zh = CATEGORY_STYLE[str(category)]
    return f"{en} ({zh})"


AREA_LABELS = {
    "mentougou": "Mentougou 门头沟", "jingxi": "West Beijing 京西 (both districts)",
    "shijingshan": "Shijingshan 石景山", "haidian": "Haidian 海淀", "beijing": "Beijing-wide 全市",
}
# Text at least 8 pt when printed: figures are drawn at the printed width (style.PRINT_WIDTH_IN)
# and sizes are in points, so the PDF shows them at these sizes.
LABEL_FONTSIZE = 8
# Width of a title label, in characters, before it is shortened with an ellipsis.
SHORT_TITLE_CHARS = 48
EDGE = "#333333"


# -- the axis ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BrokenTimeAxis:
    """A piecewise-linear time axis: segment i runs from ``breaks[i]`` to ``breaks[i + 1]``
    (decimal years) and takes ``widths[i]`` of the axis width (the widths sum to 1)."""

    breaks: tuple[float, ...]
    widths: tuple[float, ...]

    def __post_init__(self):
        b, w = np.asarray(self.breaks, float), np.asarray(self.widths, float)
        if len(b) != len(w) + 1 or len(w) == 0:
            raise ValueError("need one more break than widths")
        if np.any(np.diff(b) <= 0) or np.any(w <= 0):
            raise ValueError("breaks must increase and widths be positive")
        if not np.isclose(w.sum(), 1.0):
            raise ValueError(f"widths must sum to 1, not {w.sum():g}")

    @property
    def _cum(self) -> np.ndarray:
        return np.concatenate([[0.0], np.cumsum(self.widths)])

    def forward(self, t):
        """Decimal years -> axis fraction (0..1 inside the breaks; linear beyond the ends)."""
        t = np.asarray(t, float)
        b, c = np.asarray(self.breaks, float), self._cum
        u = np.interp(t, b, c)
        lo_slope, hi_slope = self.widths[0] / (b[1] - b[0]), self.widths[-1] / (b[-1] - b[-2])
        u = np.where(t < b[0], (t - b[0]) * lo_slope, u)
        return np.where(t > b[-1], 1 + (t - b[-1]) * hi_slope, u)

    def inverse(self, u):
        """Axis fraction -> decimal years (the exact inverse of :meth:`forward`)."""
        u = np.asarray(u, float)
        b, c = np.asarray(self.breaks, float), self._cum
        t = np.interp(u, c, b)
        lo_slope, hi_slope = self.widths[0] / (b[1] - b[0]), self.widths[-1] / (b[-1] - b[-2])
        t = np.where(u < 0, b[0] + u / lo_slope, t)
        return np.where(u > 1, b[-1] + (u - 1) / hi_slope, t)

    def share(self, t0: float, t1: float) -> float:
        """Fraction of the axis width given to the years from t0 to t1."""
        return float(self.forward(t1) - self.forward(t0))

    def apply(self, ax, ticks=None, *, segment_labels=True, shade=True, min_gap=0.07):
        """Put the scale on `ax`: limits, ticks, break marks and the years each segment spans."""
        ax.set_xscale("function", functions=(self.forward, self.inverse))
        # A little room left of the first break so that an event on it is not cut in half.
        ax.set_xlim(float(self.inverse(-0.015)), self.breaks[-1])
        ticks = default_ticks(self, min_gap) if ticks is None else ticks
        ax.set_xticks(ticks, [_tick_label(t) for t in ticks])
        ax.tick_params(axis="x", labelsize=LABEL_FONTSIZE)
        for i, (a, b) in enumerate(zip(self.breaks[:-1], self.breaks[1:])):
            if shade and i % 2 == 0:
                ax.axvspan(a, b, color="#f2f2f2", zorder=0, lw=0)
            if segment_labels:
                text = f"{b - a:.0f} yr"
                ax.text((self.forward(a) + self.forward(b)) / 2, 1.0, text,
                        transform=ax.transAxes, ha="center", va="bottom", fontsize=LABEL_FONTSIZE,
                        color="#555555", style="italic")
        for brk in self.breaks[1:-1]:
            u = float(self.forward(brk))
            ax.axvline(brk, color="#777777", lw=0.6, ls=":", zorder=1)
            # The usual '//' break symbol, interrupting the time axis.
            ax.text(u, 0, "//", transform=ax.transAxes, ha="center", va="center", fontsize=9,
                    fontweight="bold", clip_on=False, zorder=6,
                    bbox=dict(facecolor="white", edgecolor="none", pad=0.2))
        return ax


# The one time axis of the book's timelines: 958 to the plans for 2026, with most of the width for
# the years since 2019, where most events fall.
BOOK_AXIS = BrokenTimeAxis(breaks=(950, 1950, 2010, 2019, 2027), widths=(0.11, 0.11, 0.11, 0.67))


def default_ticks(axis: BrokenTimeAxis, min_gap: float = 0.07) -> list[float]:
    """Round years for the axis: the breaks, plus years inside each segment on the roundest
    step (1, 2, 5, 10, ... years) that leaves at least `min_gap` of axis width between ticks."""
    ticks = {float(b) for b in axis.breaks}
    for a, b, w in zip(axis.breaks[:-1], axis.breaks[1:], axis.widths):
        if w < min_gap:
            continue
        per_year = w / (b - a)
        step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
                    if s * per_year >= min_gap)
        first = np.ceil(a / step) * step
        for t in np.arange(first, b, step):
            if min(abs(axis.share(t, x)) for x in ticks) >= min_gap:
                ticks.add(float(t))
    return sorted(ticks)


def _tick_label(t: float) -> str:
    return f"{t:.0f}"


# -- titles and duplicates ---------------------------------------------------------------------
def short_title(title: str, max_chars: int = SHORT_TITLE_CHARS) -> str:
    """A label for a figure from an event's full English title: parenthetical asides dropped,
    only the first clause kept (before ';' or ' — '), and if still longer than `max_chars`, cut
    at a word boundary with an ellipsis."""
    text = re.sub(r"\s*\([^)]*\)", "", str(title))
    text = re.split(r";| — ", text)[0].strip(" ,")
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1].rsplit(" ", 1)[0].rstrip(" ,;:–-")
    return cut + "…"


def _words(title: str) -> set[str]:
    return set(re.findall(r"[a-z0-9'-]+", str(title).lower())) - _STOPWORDS


_STOPWORDS = {"the", "a", "an", "of", "in", "to", "for", "and", "on", "at", "by", "its", "s"}


def duplicate_of(events: pd.DataFrame, min_overlap: float = 0.5) -> dict[str, str]:
    """Records that report one event twice: two events with the same date, area and category
    whose English titles share at least `min_overlap` of their words (Jaccard index, small words
    ignored) are one event. Returns {dropped id: kept id}; the lower id is kept."""
    out: dict[str, str] = {}
    rows = events.sort_values("event_id")
    for _, group in rows.groupby(["date", "area_id", "category"], sort=False):
        ids, titles = list(group["event_id"]), [_words(t) for t in group["title_en"]]
        for j in range(len(ids)):
            for i in range(j):
                if ids[i] in out:
                    continue
                union = titles[i] | titles[j]
                if union and len(titles[i] & titles[j]) / len(union) >= min_overlap:
                    out[ids[j]] = ids[i]
                    break
    return out


def one_per_event(events: pd.DataFrame) -> pd.DataFrame:
    """`events` with duplicate records (:func:`duplicate_of`) dropped: one event, one mark. The
    kept record's ``event_id`` becomes e.g. 'E014, E016' so that both ids stay traceable."""
    dup = duplicate_of(events)
    kept = events[~events["event_id"].isin(dup)].copy()
    merged = {k: [k] for k in kept["event_id"]}
    for drop, keep in dup.items():
        merged[keep].append(drop)
    kept["event_id"] = kept["event_id"].map(lambda k: ", ".join(sorted(merged[k])))
    return kept


# -- items -------------------------------------------------------------------------------------
ITEM_COLUMNS = ["item_id", "lane", "t_start", "t_end", "colour", "hollow", "marker", "title"]


def event_items(events: pd.DataFrame, lane: str = "category") -> pd.DataFrame:
    """Events as timeline items, one per event (:func:`one_per_event`): lane from column `lane`,
    colour by category, hollow if planned, titled by its ``title_short_en``; the item spans the
    event's date precision (a year, a month or a day)."""
    if "title_short_en" not in events.columns:
        raise ValueError("events need a title_short_en column (data/events.csv): the label of "
                         "each event on the timeline")
    events = one_per_event(events)
    spans = [partial_date_span(d) for d in events["date"]]
    cats = events["category"].astype(str)
    return pd.DataFrame({
        "item_id": events["event_id"].to_numpy(),
        "lane": events[lane].astype(str).to_numpy(),
        "t_start": [s for s, _ in spans],
        "t_end": [e for _, e in spans],
        "colour": cats.map(lambda c: CATEGORY_STYLE[c][0]).to_numpy(),
        "hollow": (events["status"].astype(str) == "planned").to_numpy(),
        "marker": "o",
        "title": events["title_short_en"].astype(str).to_numpy(),
    })


def claim_items(claim_series: pd.DataFrame, lane: str, colour: str = P["black"]) -> pd.DataFrame:
    """Claims (from :func:`aicluster.indicators.series`) as diamond items in one lane; plans
    hollow. Useful when a source states a dated number rather than an event. The title is the
    number and its unit, then the claim's English gloss, shortened."""
    return pd.DataFrame({
        "item_id": claim_series["claim_id"].to_numpy(),
        "lane": lane,
        "t_start": claim_series["t_start"].to_numpy(),
        "t_end": claim_series["t_end"].to_numpy(),
        "colour": colour,
        "hollow": (claim_series["status"].astype(str) == "plan").to_numpy(),
        "marker": "D",
        "title": [short_title(f"{v} {u}: {g}") for v, u, g in
                  zip(claim_series["value_text"], claim_series["unit_en"], claim_series["gloss_en"])],
    })


def stack_levels(starts, ends, gap: float = 0.004) -> np.ndarray:
    """Greedy stacking: give each item (occupying starts[i]..ends[i], same units) the lowest
    level on which it does not overlap the item placed there before it. Input order is kept."""
    starts, ends = np.asarray(starts, float), np.asarray(ends, float)
    levels = np.zeros(len(starts), int)
    last_end: list[float] = []  # right end of the last item on each level
    for i in np.argsort(starts, kind="stable"):
        for level, end in enumerate(last_end):  # noqa: B007 (the level found is used below)
            if starts[i] >= end + gap:
                break
        else:
            level = len(last_end)
            last_end.append(-np.inf)
        levels[i] = level
        last_end[level] = max(ends[i], starts[i])
    return levels


# -- drawing -----------------------------------------------------------------------------------
ROW_IN = 0.165      # height of an event row, inches
HEADING_IN = 0.24   # height of a lane heading row, inches
AXIS_SHARE = 0.5    # share of the figure width given to the time axis; titles take the rest


def lane_rows(items: pd.DataFrame, titled: bool, ax_width_in: float,
              axis: BrokenTimeAxis) -> np.ndarray:
    """Row of each item (in date order) within its lane: one row per item when it is titled;
    untitled items are packed, several to a row where their marks do not overlap."""
    if titled or len(items) == 0:
        return np.arange(len(items))
    marker = 0.07 / ax_width_in
    mid = axis.forward(((items["t_start"] + items["t_end"]) / 2).to_numpy())
    starts = np.minimum(axis.forward(items["t_start"].to_numpy()), mid - marker)
    ends = np.maximum(axis.forward(items["t_end"].to_numpy()), mid + marker)
    return stack_levels(starts, ends)


def draw(ax, items: pd.DataFrame, axis: BrokenTimeAxis, lanes: list[str],
         lane_labels: dict[str, str] | None = None, ticks=None,
         min_gap: float = 0.1, untitled: tuple[str, ...] = (),
         ax_width_in: float = 3.1) -> dict[str, tuple[float, float]]:
    """Draw `items` on `ax`, one row per item, grouped under a heading per lane (top to bottom,
    in date order within a lane), each row titled to the right of the axis. Lanes in `untitled`
    (whose events a neighbouring figure titles) are packed without titles. Returns each lane's
    (bottom, top) in data units (rows). Items in a lane not listed raise ValueError (nothing is
    dropped silently)."""
    unknown = sorted(set(items["lane"]) - set(lanes))
    if unknown:
        raise ValueError(f"items in lanes not shown: {unknown}")
    lane_labels = lane_labels or {}
    axis.apply(ax, ticks, segment_labels=False, min_gap=min_gap)
    heading = HEADING_IN / ROW_IN
    spans, y = {}, 0.0
    for lane in lanes:
        sub = items[items["lane"] == lane].sort_values(["t_start", "item_id"])
        top = y
        y += heading
        ax.text(0.0, y - 0.35, lane_labels.get(lane, lane).replace("\n", " "),
                transform=ax.get_yaxis_transform(), ha="left", va="baseline",
                fontsize=LABEL_FONTSIZE + 0.5, fontweight="bold", clip_on=False)
        rows = lane_rows(sub, lane not in untitled, ax_width_in, axis)
        for (_, it), row in zip(sub.iterrows(), rows):
            _draw_item(ax, it, y + row + 0.5, titled=lane not in untitled)
        y += _lane_height(sub, lane not in untitled, ax_width_in, axis)
        spans[lane] = (y, top)
        ax.axhline(y, color="#cccccc", lw=0.5, zorder=1)
        y += 0.2
    ax.set_ylim(y + 0.3, 0.0)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    return spans


def _draw_item(ax, it, y, titled=True):
    hollow = bool(it["hollow"])
    colour = it["colour"]
    mid = (it["t_start"] + it["t_end"]) / 2
    if it["t_end"] - it["t_start"] > 0.05:  # the date's precision, when wider than ~3 weeks
        ax.plot([it["t_start"], it["t_end"]], [y, y], color=colour, lw=2.2, alpha=0.55,
                ls=(0, (2, 1)) if hollow else "-", solid_capstyle="butt", zorder=2)
    ax.plot([mid], [y], marker=it["marker"], markersize=5.5, ls="",
            markerfacecolor="white" if hollow else colour,
            markeredgecolor=colour if hollow else EDGE,
            markeredgewidth=1.4 if hollow else 0.6, zorder=4)
    if not titled:
        return
    # A faint guide from the marker to its title, so that the eye can follow a row.
    ax.plot([mid, ax.get_xlim()[1]], [y, y], color="#e3e3e3", lw=0.5, zorder=1)
    ax.text(1.02, y, str(it["title"]), transform=ax.get_yaxis_transform(), ha="left",
            va="center", fontsize=LABEL_FONTSIZE, clip_on=False,
            parse_math=False)  # text from data


def legend_handles(categories, *, planned=True, claims=False) -> list:
    """Legend entries: what filled, hollow, diamond and bar mean, then one per category
    (English and Chinese)."""
    grey = "#777777"
    handles = [
        Line2D([], [], marker="o", ls="", markerfacecolor=grey, markeredgecolor=EDGE,
               label="filled: it happened"),
    ]
    if planned:
        handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="white",
                              markeredgecolor=grey, markeredgewidth=1.4,
                              label="hollow: a plan"))
    if claims:
        handles.append(Line2D([], [], marker="D", ls="", markerfacecolor=grey,
                              markeredgecolor=EDGE, label="diamond: a dated number"))
    handles.append(Line2D([], [], color=grey, lw=2.2, alpha=0.55,
                          label="bar: date known to the year or month"))
    handles += [Patch(facecolor=CATEGORY_STYLE[c][0], edgecolor=EDGE,
                      label=f"{CATEGORY_STYLE[c][1]} {CATEGORY_STYLE[c][2]}") for c in categories]
    return handles


def timeline_figure(items: pd.DataFrame, axis: BrokenTimeAxis = BOOK_AXIS,
                    lanes: list[str] | None = None, *, lane_labels=None, categories=None,
                    title=None, width=None, claims=False, legend_cols=2, untitled=()):
    """A complete timeline figure in the book's one design (module docstring): the time axis on
    the left half, event titles on the right, the legend below. `width` defaults to the printed
    text width, so that the text prints at its nominal size (at least 8 pt)."""
    width = style.PRINT_WIDTH_IN if width is None else width
    lanes = list(dict.fromkeys(items["lane"])) if lanes is None else lanes
    categories = list(categories) if categories is not None else []
    n_legend = len(categories) + 2 + bool(items["hollow"].any()) + claims
    ax_width_in = AXIS_SHARE * width
    n_rows = sum(_lane_height(items[items["lane"] == lane], lane not in untitled, ax_width_in,
                              axis) for lane in lanes)
    rows_in = ROW_IN * (n_rows + 0.3) + (HEADING_IN + 0.2 * ROW_IN) * len(lanes)
    legend_in = 0.2 * np.ceil(n_legend / legend_cols) + 0.15
    top_in, bottom_in = (0.35 if title else 0.1), 0.35 + legend_in
    height = rows_in + top_in + bottom_in
    with plt.rc_context(style.book_rc()):
        fig, ax = plt.subplots(figsize=(width, height))
        fig.subplots_adjust(left=0.01, right=0.01 + AXIS_SHARE, top=1 - top_in / height,
                            bottom=bottom_in / height)
        draw(ax, items, axis, lanes, lane_labels, min_gap=0.42 / ax_width_in,
             untitled=tuple(untitled), ax_width_in=ax_width_in)
        if title:
            fig.suptitle(title, x=0.01, ha="left", y=1 - 0.05 / height, va="top",
                         fontsize=LABEL_FONTSIZE + 2, fontweight="bold")
        fig.legend(handles=legend_handles(categories, planned=bool(items["hollow"].any()),
                                          claims=claims),
                   loc="lower left", bbox_to_anchor=(0.01, 0.0), ncol=legend_cols,
                   fontsize=LABEL_FONTSIZE, frameon=False, columnspacing=1.5,
                   handletextpad=0.5, borderaxespad=0.1)
    check_ticks_apart(ax)
    style.check_labels_clear(fig)
    return fig


TICK_GAP_PT = 3.0  # at least about a space between two year labels, so that none reads as one


def check_ticks_apart(ax, min_gap_pt: float = TICK_GAP_PT) -> None:
    """Raise ValueError naming two neighbouring year labels of `ax` closer than `min_gap_pt`
    (touching labels, such as "950 1950" on a broken axis, read as one number)."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    labels = sorted(((t.get_text(), t.get_window_extent(renderer))
                     for t in style.drawn_texts(fig) if t in ax.get_xticklabels()),
                    key=lambda e: e[1].x0)
    for (a, box_a), (b, box_b) in zip(labels, labels[1:]):
        gap_pt = (box_b.x0 - box_a.x1) * 72 / fig.dpi
        if gap_pt < min_gap_pt:
            raise ValueError(f"year labels {a!r} and {b!r} are {gap_pt:.1f} pt apart on the "
                             f"time axis (at least {min_gap_pt:g} pt): widen the segment "
                             "between them")


def _lane_height(sub: pd.DataFrame, titled: bool, ax_width_in: float, axis) -> int:
    rows = lane_rows(sub.sort_values(["t_start", "item_id"]), titled, ax_width_in, axis)
    return int(rows.max() + 1) if len(rows) else 1


def event_table(events: pd.DataFrame) -> pd.DataFrame:
    """The table beside a timeline: one row per event (:func:`one_per_event`), with its date,
    title (English and Chinese) and source; plans are marked."""
    events = one_per_event(events)
    planned = np.where(events["status"].astype(str) == "planned", "(planned) ", "")
    return pd.DataFrame({
        "Event": events["event_id"],
        "Date": events["date"].map(date_text),
        "Title": planned + events["title_en"] + " · " + events["title_zh"],
        "Source": events["source_id"],
    }).reset_index(drop=True)


def share_recent(events: pd.DataFrame, since: float) -> float:
    """Share of events (one per event, :func:`one_per_event`) whose date starts in or after
    year `since`."""
    events = one_per_event(events)
    starts = np.array([partial_date_span(d)[0] for d in events["date"]])
    return float((starts >= since).mean())
