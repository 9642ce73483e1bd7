"""Timelines of events (and claims) on a broken time axis.

Mentougou's events run from the first record of coal mining in 958 to plans for 2026, but most of
them fall in the last fifteen years. A linear axis would squeeze those into a sliver, so
:class:`BrokenTimeAxis` is piecewise linear: each segment of years gets its own share of the axis
width, the breaks are marked on the axis, and every segment is labelled with the years it spans,
so that the reader sees where the scale changes.

Items are drawn in lanes (one per category, or one per district for side-by-side timelines),
coloured by event category (Okabe–Ito), with planned events hollow and dashed. A thin line shows
the precision of each date (a year-precision event spans its year). Every item is labelled with
its id (``E0xx`` for events, ``C0xx`` for claims) so that a table beside the figure can map it to
its source sentence; labels that would collide are stacked.
"""
from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import style
from .indicators import partial_date_span

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
AREA_LABELS = {
    "mentougou": "Mentougou 门头沟", "jingxi": "West Beijing 京西\n(both districts)",
    "shijingshan": "Shijingshan 石景山", "haidian": "Haidian 海淀", "beijing": "Beijing-wide 全市",
}
LABEL_FONTSIZE = 7.5
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

    def apply(self, ax, ticks=None, *, segment_labels=True, shade=True):
        """Put the scale on `ax`: limits, ticks, break marks and the years each segment spans."""
        ax.set_xscale("function", functions=(self.forward, self.inverse))
        # A little room left of the first break so that an event on it is not cut in half.
        ax.set_xlim(float(self.inverse(-0.015)), self.breaks[-1])
        ticks = default_ticks(self) if ticks is None else ticks
        ax.set_xticks(ticks, [_tick_label(t) for t in ticks])
        ax.tick_params(axis="x", labelsize=8)
        for i, (a, b) in enumerate(zip(self.breaks[:-1], self.breaks[1:])):
            if shade and i % 2 == 0:
                ax.axvspan(a, b, color="#f2f2f2", zorder=0, lw=0)
            if segment_labels:
                text = f"{b - a:.0f} yr"
                ax.text((self.forward(a) + self.forward(b)) / 2, 1.0, text,
                        transform=ax.transAxes, ha="center", va="bottom", fontsize=7,
                        color="#555555", style="italic")
        for brk in self.breaks[1:-1]:
            u = float(self.forward(brk))
            ax.axvline(brk, color="#777777", lw=0.6, ls=":", zorder=1)
            # The usual '//' break symbol, interrupting the time axis.
            ax.text(u, 0, "//", transform=ax.transAxes, ha="center", va="center", fontsize=9,
                    fontweight="bold", clip_on=False, zorder=6,
                    bbox=dict(facecolor="white", edgecolor="none", pad=0.2))
        return ax


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


# -- items -------------------------------------------------------------------------------------
ITEM_COLUMNS = ["item_id", "lane", "t_start", "t_end", "colour", "hollow", "marker", "title"]


def event_items(events: pd.DataFrame, lane: str = "category") -> pd.DataFrame:
    """Events as timeline items: lane from column `lane`, colour by category, hollow if planned;
    the item spans the event's date precision (a year, a month or a day)."""
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
        "title": events["title_en"].to_numpy(),
    })


def claim_items(claim_series: pd.DataFrame, lane: str, colour: str = P["black"]) -> pd.DataFrame:
    """Claims (from :func:`aicluster.indicators.series`) as diamond items in one lane; plans
    hollow. Useful when a source states a dated number rather than an event."""
    return pd.DataFrame({
        "item_id": claim_series["claim_id"].to_numpy(),
        "lane": lane,
        "t_start": claim_series["t_start"].to_numpy(),
        "t_end": claim_series["t_end"].to_numpy(),
        "colour": colour,
        "hollow": (claim_series["status"].astype(str) == "plan").to_numpy(),
        "marker": "D",
        "title": claim_series["label"].to_numpy(),
    })


def stack_levels(starts, ends, gap: float = 0.004) -> np.ndarray:
    """Greedy stacking: give each item (occupying starts[i]..ends[i], same units) the lowest
    level on which it does not overlap the item placed there before it. Input order is kept."""
    starts, ends = np.asarray(starts, float), np.asarray(ends, float)
    levels = np.zeros(len(starts), int)
    last_end: list[float] = []  # right end of the last item on each level
    for i in np.argsort(starts, kind="stable"):
        for level, end in enumerate(last_end):
            if starts[i] >= end + gap:
                break
        else:
            level = len(last_end)
            last_end.append(-np.inf)
        levels[i] = level
        last_end[level] = max(ends[i], starts[i])
    return levels


def occupied(items: pd.DataFrame, axis: "BrokenTimeAxis", ax_width_in: float,
             label_col: str = "item_id") -> tuple[np.ndarray, np.ndarray]:
    """Horizontal extent (axis fractions) of each item: its date span, marker and label."""
    mid = axis.forward(((items["t_start"] + items["t_end"]) / 2).to_numpy())
    marker = 0.06 / ax_width_in
    label = np.array([_label_width(str(t), ax_width_in) for t in items[label_col]])
    starts = np.minimum(axis.forward(items["t_start"].to_numpy()), mid - marker)
    ends = np.maximum(axis.forward(items["t_end"].to_numpy()), mid + label)
    return starts, ends


def _label_width(text: str, ax_width_in: float, fontsize: float = LABEL_FONTSIZE) -> float:
    """Approximate width of a label, as a fraction of the axes width (marker offset included)."""
    return (len(text) * 0.62 * fontsize / 72 + 0.09) / ax_width_in


# -- drawing -----------------------------------------------------------------------------------
def draw(ax, items: pd.DataFrame, axis: BrokenTimeAxis, lanes: list[str],
         lane_labels: dict[str, str] | None = None, ticks=None, ax_width_in: float = 6.0,
         label_col: str = "item_id") -> dict[str, tuple[float, float]]:
    """Draw `items` on `ax` in `lanes` (top to bottom). Returns each lane's (bottom, top) in
    data units. Items in a lane not listed raise ValueError (nothing is dropped silently)."""
    unknown = sorted(set(items["lane"]) - set(lanes))
    if unknown:
        raise ValueError(f"items in lanes not shown: {unknown}")
    lane_labels = lane_labels or {}
    axis.apply(ax, ticks)
    spans, y_top = {}, 0.0
    for lane in lanes:
        sub = items[items["lane"] == lane].sort_values(["t_start", "item_id"])
        mid = (sub["t_start"] + sub["t_end"]) / 2
        levels = (stack_levels(*occupied(sub, axis, ax_width_in, label_col)) if len(sub)
                  else np.array([], int))
        height = max(1, (levels.max() + 1) if len(levels) else 1)
        bottom = y_top - height - 0.6
        for (_, it), m, lev in zip(sub.iterrows(), mid, levels):
            y = bottom + 0.3 + lev + 0.5
            _draw_item(ax, it, m, y, label_col)
        spans[lane] = (bottom, y_top)
        ax.axhline(bottom, color="#cccccc", lw=0.6, zorder=1)
        y_top = bottom
    ax.set_ylim(y_top, 0.0)
    ax.set_yticks([(a + b) / 2 for a, b in spans.values()],
                  [lane_labels.get(lane, lane) for lane in spans])
    ax.tick_params(axis="y", length=0, labelsize=8)
    ax.spines["left"].set_visible(False)
    return spans


def _draw_item(ax, it, mid, y, label_col):
    hollow = bool(it["hollow"])
    colour = it["colour"]
    if it["t_end"] - it["t_start"] > 0.05:  # the date's precision, when wider than ~3 weeks
        ax.plot([it["t_start"], it["t_end"]], [y, y], color=colour, lw=2.2, alpha=0.55,
                ls=(0, (2, 1)) if hollow else "-", solid_capstyle="butt", zorder=2)
    ax.plot([mid], [y], marker=it["marker"], markersize=6.5, ls="",
            markerfacecolor="white" if hollow else colour,
            markeredgecolor=colour if hollow else EDGE,
            markeredgewidth=1.6 if hollow else 0.6, zorder=4)
    ax.annotate(str(it[label_col]), (mid, y), xytext=(5, 0), textcoords="offset points",
                fontsize=LABEL_FONTSIZE, va="center", ha="left", zorder=5,
                style="italic" if hollow else "normal", parse_math=False)  # text from data


def legend_handles(categories, *, planned=True, claims=False) -> list:
    """Legend entries: one per category (English and Chinese), then happened vs planned."""
    handles = [Patch(facecolor=CATEGORY_STYLE[c][0], edgecolor=EDGE,
                     label=f"{CATEGORY_STYLE[c][1]} {CATEGORY_STYLE[c][2]}") for c in categories]
    handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="#777777",
                          markeredgecolor=EDGE, label="happened (filled)"))
    if planned:
        handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="white",
                              markeredgecolor="#777777", markeredgewidth=1.6,
                              label="planned (hollow, italic id)"))
    if claims:
        handles.append(Line2D([], [], marker="D", ls="", markerfacecolor="#777777",
                              markeredgecolor=EDGE, label="number from a claim (C…)"))
    return handles


def timeline_figure(items: pd.DataFrame, axis: BrokenTimeAxis, lanes: list[str], *,
                    lane_labels=None, categories=None, title=None, width=7.5,
                    lane_height=0.28, ticks=None, claims=False, legend_cols=3):
    """A complete timeline figure (book style): lanes, broken axis, category legend below."""
    categories = list(categories) if categories is not None else []
    n_rows = _estimate_rows(items, axis, lanes, width * 0.78)
    height = 1.3 + lane_height * n_rows + 0.22 * np.ceil((len(categories) + 3) / legend_cols)
    with plt.rc_context(style.book_rc()):
        fig, ax = plt.subplots(figsize=(width, height))
        fig.subplots_adjust(left=0.2, right=0.98)
        ax_width = ax.get_position().width * width
        draw(ax, items, axis, lanes, lane_labels, ticks, ax_width_in=ax_width)
        if title:
            ax.set_title(title, pad=14)
        ax.legend(handles=legend_handles(categories, planned=bool(items["hollow"].any()),
                                         claims=claims),
                  loc="upper center", bbox_to_anchor=(0.42, -0.09), ncol=legend_cols,
                  fontsize=7.5, frameon=False, columnspacing=1.2, handletextpad=0.4)
    return fig


def _estimate_rows(items, axis, lanes, ax_width_in) -> int:
    rows = 0
    for lane in lanes:
        sub = items[items["lane"] == lane]
        if len(sub) == 0:
            rows += 1.6
            continue
        rows += stack_levels(*occupied(sub, axis, ax_width_in)).max() + 1.6
    return int(np.ceil(rows))


def event_table(events: pd.DataFrame) -> pd.DataFrame:
    """The table that maps each plotted event id to its date, title (English and Chinese) and
    source; plans are marked."""
    planned = np.where(events["status"].astype(str) == "planned", "(planned) ", "")
    return pd.DataFrame({
        "Event": events["event_id"],
        "Date": events["date"].str.lstrip("0"),
        "Title": planned + events["title_en"] + " · " + events["title_zh"],
        "Source": events["source_id"],
    })


def share_recent(events: pd.DataFrame, since: float) -> float:
    """Share of events whose date starts in or after year `since`."""
    starts = np.array([partial_date_span(d)[0] for d in events["date"]])
    return float((starts >= since).mean())
