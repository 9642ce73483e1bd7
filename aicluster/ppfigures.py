"""The figures of the chapter "Do AI firms cluster?" (``chapters/point_patterns.ipynb``).

Each ``*_figure`` function draws one figure from the chapter's results (computed with
:mod:`aicluster.clusterstats` and :mod:`aicluster.pointpattern`) and returns it; :func:`save`
writes it to ``figures/`` with :func:`aicluster.style.save_png` (no timestamps, byte-identical
reruns) and closes it.  Maps are in metres (EPSG:4548) and share the
layers of :class:`MapLayers`: the district, the two fitted windows, the institutions and the
building locations.  Every map also shows the bundled geographic context, light and under the
data (rail lines and stations, the Yongding river where it is in view:
:func:`aicluster.maps.draw_quiet_context`), a scale bar, a north arrow and the context's
attribution.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.lines import Line2D

from . import clusterstats as cs
from . import context, geo, haidian, maps, paths, style

C = style.PALETTE
#: Figures are drawn at the PDF's text width, so their font sizes are the printed sizes
#: (at least style.MIN_PRINT_PT).
W = style.PRINT_WIDTH_IN
TITLE_PT = 9
#: Colours of DBSCAN clusters 1, 2, ... (noise is dark grey).
CLUSTER_COLOURS = (C["orange"], C["green"], C["purple"], C["yellow"], C["sky"])
NOISE_COLOUR = "#555555"


@dataclass(frozen=True, eq=False)
class MapLayers:
    """What the chapter's maps draw, in metres: the district, the urban-core and buffer
    windows, the institutions (with the Chinese names of the universities, ``None`` for
    institutes) and the distinct building locations with the number of buildings at each."""

    district: object
    core: object
    buffer: object
    buffer_m: float
    institutions: np.ndarray
    university_names: tuple
    locations: np.ndarray
    multiplicity: np.ndarray
    #: Labels of the locations (place keys such as "H04, H07"); ``None``: numbered 1, 2, ...
    location_keys: tuple | None = None
    #: Place keys of the institutions (``None`` entries or ``None``: no key shown).
    institution_keys: tuple | None = None

    def __post_init__(self):
        if len(self.university_names) != len(self.institutions):
            raise ValueError("need one university name (or None) per institution")
        if len(self.multiplicity) != len(self.locations):
            raise ValueError("need one multiplicity per location")
        if self.buffer_m <= 0:
            raise ValueError("buffer_m must be positive")
        if self.location_keys is not None and len(self.location_keys) != len(self.locations):
            raise ValueError("need one key label per location")
        if self.institution_keys is not None and len(self.institution_keys) != len(
                self.institutions):
            raise ValueError("need one key (or None) per institution")

    def location_label(self, k: int) -> str:
        """The label of location ``k`` (0-based): its keys, else its number."""
        return str(k + 1) if self.location_keys is None else self.location_keys[k]

    def university_label(self, i: int) -> str | None:
        """'H23 清华大学' for a university with a key, its name without one, ``None`` for an
        institute (institutes are not named on the maps)."""
        name = self.university_names[i]
        key = None if self.institution_keys is None else self.institution_keys[i]
        return None if name is None else (name if key is None else f"{key} {name}")

    def zoom_extent(self, margin: float = 800.0) -> tuple[float, float, float, float]:
        """The core's bounds widened by ``margin`` metres: (xmin, ymin, xmax, ymax)."""
        x0, y0, x1, y1 = self.core.bounds
        return (x0 - margin, y0 - margin, x1 + margin, y1 + margin)


def map_layers(windows, buffer_m: float, institutions, points, site_keys=None) -> MapLayers:
    """:class:`MapLayers` from the chapter's study windows (``{"haidian" | "core" | "buffer":
    (name, polygon)}``), the institutions' GeoDataFrame and the buildings' (n, 2) metric
    coordinates.  ``site_keys`` (one place key per building, e.g.
    ``context.with_keys(sites)["key"]``) labels each location with the keys of its buildings;
    without it the locations are numbered as in the chapter's table of buildings.  The
    institutions carry their keys from ``data/place_keys.csv`` when all of them have one."""
    locations, multiplicity = cs.distinct_locations(points)
    names = tuple(row.name_zh if row.kind == "university" else None
                  for row in institutions.itertuples())
    return MapLayers(windows["haidian"][1], windows["core"][1], windows["buffer"][1], buffer_m,
                     haidian.xy(institutions), names, locations, multiplicity,
                     _location_keys(points, site_keys), _institution_keys(institutions))


def _location_keys(points, site_keys):
    if site_keys is None:
        return None
    site_keys = list(site_keys)
    if len(site_keys) != len(points):
        raise ValueError(f"need one key per building: {len(site_keys)} keys, "
                         f"{len(points)} buildings")
    labels = cs.location_labels(np.asarray(points, dtype=float))
    return tuple(maps.key_ranges([k for k, lab in zip(site_keys, labels) if lab == loc])
                 for loc in range(labels.max() + 1))


def _institution_keys(institutions):
    keys = context.place_keys()
    ids = list(institutions["place_id"])
    known = [pid in keys for pid in ids]
    if not any(known):
        return None
    if not all(known):
        missing = [pid for pid, ok in zip(ids, known) if not ok]
        raise ValueError(f"{context.PLACE_KEYS}: institutions without a key {missing}")
    return tuple(keys[pid] for pid in ids)


def save(fig, name: str, colours: int | None = None) -> None:
    """Write ``fig`` to ``figures/<name>`` deterministically (``colours``: a palette PNG, see
    :func:`aicluster.style.png_bytes`) and close it."""
    style.save_png(fig, paths.FIGURES / name, colours=colours)
    plt.close(fig)


# --- map layers ------------------------------------------------------------------------------


def draw_base(ax, layers: MapLayers, extent=None) -> dict:
    """District, context (rail, stations, river: light, under the data), buffer window, core
    outline, institutions and building locations (dot size grows with the buildings at a
    location); no ticks, equal aspect.  Returns the context layers drawn."""
    gpd.GeoSeries([layers.district]).plot(ax=ax, facecolor="#f2f2f2", edgecolor="#777777",
                                          linewidth=0.8, zorder=1)
    gpd.GeoSeries([layers.buffer]).plot(ax=ax, facecolor=C["sky"], alpha=0.25, edgecolor=C["sky"],
                                        linewidth=0.6, zorder=1.2)
    gpd.GeoSeries([layers.core]).plot(ax=ax, facecolor="none", edgecolor=C["orange"], linewidth=1.8,
                                      zorder=2.8)
    ax.scatter(*layers.institutions.T, marker="^", s=40, color=C["vermillion"], edgecolor="white",
               linewidth=0.5, zorder=3)
    ax.scatter(*layers.locations.T, s=18 + 14 * layers.multiplicity, color=C["blue"],
               edgecolor="white", linewidth=0.5, zorder=4)
    if extent is not None:
        ax.set_xlim(extent[0], extent[2])
        ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():  # a full frame: the context runs to the edges
        spine.set_visible(True)
        spine.set_color("#999999")
    ax.apply_aspect()  # the context is clipped to the limits the figure will show
    return maps.draw_quiet_context(ax, geo.METRIC, zorder=1.5)


def _scale_and_north(ax) -> list:
    """Scale bar and north arrow; returns their display boxes (labels keep clear of them)."""
    renderer = ax.figure.canvas.get_renderer()
    maps.add_scale_bar(ax)
    boxes = [ax.lines[-1].get_window_extent(renderer), ax.texts[-1].get_window_extent(renderer)]
    maps.add_north_arrow(ax)
    arrow = ax.texts[-1]
    return boxes + [arrow.get_window_extent(renderer),
                    arrow.arrow_patch.get_window_extent(renderer)]


def label_map(ax, layers: MapLayers, context_layers: dict, *, universities: bool = True,
              avoid=()) -> None:
    """Scale bar, north arrow and the labels of a zoomed map, none hiding a marker or another
    label: the locations' keys (or numbers), the universities' keys and names, then the
    stations that still fit; none over the boxes in ``avoid`` (e.g. a legend).  Call it once
    the layout is final: boxes are measured in display space."""
    ax.apply_aspect()  # a layout resets the axes box; the equal aspect is applied only on draw
    obstacles = (list(avoid) + _scale_and_north(ax) + maps.marker_boxes(ax, layers.locations, 5.0)
                 + maps.marker_boxes(ax, layers.institutions, 3.5))
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    maps.place_labels(ax, [(xy, layers.location_label(k))
                           for k, xy in enumerate(layers.locations)], obstacles, required=True,
                      fontsize=8, fontweight="bold", color=C["blue"], zorder=7,
                      path_effects=halo)
    if universities:
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        items = [((x, y), layers.university_label(i))
                 for i, (x, y) in enumerate(layers.institutions)
                 if layers.university_names[i] is not None and x0 < x < x1 and y0 < y < y1]
        maps.place_labels(ax, items, obstacles, required=True, fontsize=8,
                          color=C["vermillion"], zorder=5, path_effects=halo)
    maps.label_stations(ax, context_layers["stations"], obstacles)


def _windows_legend(layers: MapLayers, context_layers: dict) -> list:
    return [
        Line2D([], [], marker="o", ls="", color=C["blue"],
               label="AI building location (size: buildings)"),
        Line2D([], [], marker="^", ls="", color=C["vermillion"], label="University / institute"),
        Line2D([], [], color=C["orange"], lw=1.8, label="Urban core (Ripley–Rasson)"),
        Line2D([], [], color=C["sky"], lw=6, alpha=0.4,
               label=f"Within {layers.buffer_m / 1000:g} km of knowledge/AI places"),
        Line2D([], [], color="#777777", lw=0.8, label="Haidian 海淀 boundary"),
    ] + maps.quiet_context_handles(context_layers)


# --- the figures -----------------------------------------------------------------------------


def windows_figure(layers: MapLayers):
    """Two maps: all of Haidian with the zoom box dashed, and the zoom on the urban core with
    numbered locations and the universities' names."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(W - 0.15, 4.6),
                                   gridspec_kw={"width_ratios": [0.75, 1.25]})
    ctx1 = draw_base(ax1, layers)
    ext = layers.zoom_extent()
    ax1.add_patch(plt.Rectangle(ext[:2], ext[2] - ext[0], ext[3] - ext[1], fill=False, ls="--",
                                lw=0.8))
    ax1.set_title("Haidian 海淀: the strawman window", fontsize=TITLE_PT)
    ctx2 = draw_base(ax2, layers, ext)
    ax2.set_title("The urban core (dashed box on the left)", fontsize=TITLE_PT)
    rect = (0, 0.2, 1, 1)
    fig.tight_layout(rect=rect)  # labels are placed in the final layout
    label_map(ax2, layers, ctx2)
    _scale_and_north(ax1)
    both = {k: pd.concat([ctx1[k], ctx2[k]]) for k in ctx1}
    fig.legend(handles=_windows_legend(layers, both), loc="lower center", ncol=2, frameon=False,
               fontsize=8, bbox_to_anchor=(0.5, 0.025))
    maps.add_attribution(fig)
    fig.tight_layout(rect=rect)
    return fig


@dataclass(frozen=True, eq=False)
class CurvePanel:
    """One panel of a curve against its null: ``x``, the observed curve, the (nsim, len(x))
    simulated curves, an optional horizontal critical line, and labels."""

    title: str
    x: np.ndarray
    observed: np.ndarray
    simulated: np.ndarray
    observed_label: str
    critical: float | None = None

    def __post_init__(self):
        sims = np.asarray(self.simulated)
        if sims.ndim != 2 or sims.shape[1] != len(self.x) or len(self.observed) != len(self.x):
            raise ValueError("simulated must be (nsim, len(x)) and observed len(x)")


def _legend_below(fig, axes, ncol: int) -> None:
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=ncol, frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0.16, 1, 1))


# The central share (%) of the simulated curves drawn as the grey band; the captions glue it.
BAND_PCT = 95.0


def _curve_panels(panels, ylabel: str, xlabel: str, null_label: str, critical_label: str = "",
                  step: bool = False):
    if not panels:
        raise ValueError("need at least one panel")
    # each panel on its own y scale: a shared axis flattens the panels that carry the result
    fig, axes = plt.subplots(1, len(panels), figsize=(W, 3.4), squeeze=False)
    axes = axes[0]
    for ax, pan in zip(axes, panels):
        lo, hi = np.percentile(pan.simulated, [50 - BAND_PCT / 2, 50 + BAND_PCT / 2], axis=0)
        kw = {"step": "post"} if step else {}
        ax.fill_between(pan.x, lo, hi, color="#d9d9d9", label=null_label, **kw)
        med = np.median(pan.simulated, axis=0)
        (ax.step if step else ax.plot)(pan.x, med, color="#666666", ls="--", lw=1,
                                       label="median of the simulations",
                                       **({"where": "post"} if step else {}))
        if pan.critical is not None:
            ax.axhline(pan.critical, color="black", lw=1, ls=":", label=critical_label)
        (ax.step if step else ax.plot)(pan.x, pan.observed, color=C["blue"], lw=2,
                                       label=pan.observed_label,
                                       **({"where": "post"} if step else {}))
        ax.set_title(pan.title, fontsize=10)
        ax.set_xlabel(xlabel, fontsize=10)
        ax.tick_params(labelsize=9)
    axes[0].set_ylabel(ylabel, fontsize=10)
    _legend_below(fig, axes, ncol=2)
    return fig


def l_excess_figure(panels):
    """L(r) − r of the locations against the central 95 % of simulated curves, one
    :class:`CurvePanel` per window, each on its own scale, with the 95 % quantile of the
    simulated maxima (the one-sided 5 % critical value of the test) as a dotted line."""
    return _curve_panels(panels, "L(r) − r (m)", "r (m)",
                         "central 95 % of null curves", "5 % critical value of max(L(r) − r)")


def cross_g_figure(panels):
    """Cross-type G: the share of locations within each distance of the nearest university or
    institute, against the central 95 % of simulated curves, one :class:`CurvePanel` per null
    model."""
    return _curve_panels(panels, "share within the distance",
                         "distance to nearest institution (m)",
                         "central 95 % of null curves", step=True)


def sensitivity_figure(p_copies: dict, recorded: dict, nrep: int, rng=None):
    """p-values of each test (``{label: array}``) on ``nrep`` displaced copies (dots, jittered
    by ``rng``) and at the recorded coordinates (``{label: p}``, diamonds), log scale."""
    if set(recorded) != set(p_copies) or not p_copies:
        raise ValueError("recorded p-values must cover exactly the tests of p_copies")
    fig, ax = plt.subplots(figsize=(W, 3.3))
    jitter = np.random.default_rng(rng).uniform(-0.18, 0.18, nrep)
    for i, (label, ps) in enumerate(p_copies.items()):
        ps = np.asarray(ps, dtype=float)
        if ps.size != nrep:
            raise ValueError(f"{label}: need {nrep} p-values")
        ax.scatter(i + jitter, ps, s=9, color=C["blue"], alpha=0.5, lw=0)
        ax.scatter([i], [recorded[label]], marker="D", s=36, color=C["orange"],
                   edgecolor="black", zorder=3)
    ax.axhline(0.05, color=C["vermillion"], lw=1, ls="--")
    ax.set_yscale("log")
    ax.set_ylim(0.00008, 1.2)
    ax.set_xticks(range(len(p_copies)), list(p_copies), fontsize=9)
    ax.tick_params(axis="y", labelsize=9)
    ax.set_ylabel("p-value (log scale)", fontsize=10)
    fig.legend(handles=[
        Line2D([], [], marker="o", ls="", color=C["blue"], alpha=0.6,
               label=f"{nrep} displaced copies"),
        Line2D([], [], marker="D", ls="", color=C["orange"], markeredgecolor="black",
               label="recorded coordinates"),
        Line2D([], [], color=C["vermillion"], ls="--", label="p = 0.05")],
        loc="lower center", ncol=3, frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    return fig


def _k_distance_panel(ax, points, ks, walk_eps) -> None:
    for k, colour in zip(ks, (C["sky"], C["blue"], C["purple"]), strict=True):
        kd = cs.k_distances(points, k)
        ax.plot(np.arange(1, len(kd) + 1), kd, "o-", color=colour, ms=4,
                label=f"k = {k} (min_samples = {k + 1})")
        ax.axhline(cs.knee(kd), color=colour, lw=0.8, ls=":")
    for eps in walk_eps:
        ax.axhline(eps, color="#bbbbbb", lw=0.6)
    ax.set_xlabel("points, sorted")
    ax.set_ylabel("distance to k-th nearest neighbour (m)")
    ax.set_title("k-distance curves\n(dotted: knees;\ngrey: walking radii)", fontsize=TITLE_PT)
    ax.legend(frameon=False, fontsize=8)


def _cluster_map(ax, points, setting, layers: MapLayers, rect) -> None:
    labels = np.array(setting["labels"])
    ctx = draw_base(ax, layers, layers.zoom_extent())
    for lab in np.unique(labels):
        pts = points[labels == lab]
        colour = NOISE_COLOUR if lab < 0 else CLUSTER_COLOURS[lab % len(CLUSTER_COLOURS)]
        name = "noise" if lab < 0 else f"cluster {lab + 1}"
        ax.scatter(*pts.T, s=60, color=colour, edgecolor="black", lw=0.6, zorder=6,
                   label=f"{name} ({len(pts)})")
    legend = ax.legend(frameon=True, fontsize=8, loc="lower left")
    ax.set_title(f"DBSCAN at the knee:\neps = {setting['eps_m']:,.0f} m, "
                 f"min_samples = {setting['min_samples']}", fontsize=TITLE_PT)
    ax.figure.tight_layout(rect=rect)  # labels are placed in the final layout
    ax.apply_aspect()  # the legend is measured in the box the axes will be drawn in
    renderer = ax.figure.canvas.get_renderer()
    label_map(ax, layers, ctx, universities=False,
              avoid=[legend.get_window_extent(renderer)])


def dbscan_figure(points, setting, layers: MapLayers, ks=(1, 2, 3), walk_eps=cs.WALK_EPS_M):
    """Left: sorted k-distance curves with their knees and the walking radii.  Right: the
    DBSCAN clusters of ``setting`` (a row of :func:`aicluster.clusterstats.dbscan_sensitivity`) on
    the map of the urban core."""
    points = np.asarray(points, dtype=float)
    if len(setting["labels"]) != len(points):
        raise ValueError("the setting's labels must have one entry per point")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(W, 4.4), gridspec_kw={"width_ratios": [0.8, 1.3]})
    _k_distance_panel(ax1, points, ks, walk_eps)
    rect = (0, 0.03, 1, 1)
    _cluster_map(ax2, points, setting, layers, rect)
    maps.add_attribution(fig)
    fig.tight_layout(rect=rect)
    return fig


def _white_scale_bar_and_arrow(ax) -> None:
    # Black is illegible on the dark surface: the scale bar is the last line and text drawn.
    maps.add_scale_bar(ax)
    ax.lines[-1].set_color("white")
    ax.texts[-1].set_color("white")
    maps.add_north_arrow(ax)
    arrow = ax.texts[-1]
    arrow.set_color("white")
    arrow.arrow_patch.set_color("white")


def kde_figure(surfaces, layers: MapLayers):
    """A 2 x 2 grid of kernel density maps (:func:`aicluster.clusterstats.kde_surfaces`), each with
    its own colour bar, the context (rail, stations, river: pale, thin), the Haidian boundary,
    the core outline, institutions and locations."""
    if len(surfaces) != 4:
        raise ValueError(f"the figure has four panels, got {len(surfaces)} surfaces")
    fig, axes = plt.subplots(2, 2, figsize=(W - 0.15, 6.5))  # colour bars: the saved box is wider
    drawn = []
    for ax, s in zip(axes.ravel(), surfaces):
        x0, y0, x1, y1 = s.bounds
        im = ax.imshow(s.z, origin="lower", extent=(x0, x1, y0, y1), cmap="viridis")
        gpd.GeoSeries([layers.district.boundary]).plot(ax=ax, color="white", lw=0.8, zorder=2)
        gpd.GeoSeries([layers.core.boundary]).plot(ax=ax, color=C["orange"], lw=1.2, zorder=2.8)
        ax.scatter(*layers.institutions.T, marker="^", s=30, color=C["vermillion"],
                   edgecolor="white", lw=0.5, zorder=3)
        ax.scatter(*layers.locations.T, s=14, color="white", edgecolor="black", lw=0.5,
                   zorder=4)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.apply_aspect()
        drawn.append(maps.draw_quiet_context(ax, geo.METRIC, colours=maps.QUIET_DARK,
                                             zorder=1.5))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
        kind = "cross-validated" if s.cross_validated else "fixed"
        ax.set_title(f"h = {s.bandwidth:,.0f} m ({kind})", fontsize=TITLE_PT)
        fig.colorbar(im, ax=ax, shrink=0.8, label="buildings per km²")
        _white_scale_bar_and_arrow(ax)
    both = {k: pd.concat([d[k] for d in drawn]) for k in drawn[0]}
    # the legend is on white: drawn in the light map's colours, the same lines and stations
    fig.legend(handles=maps.quiet_context_handles(both), loc="lower left", ncol=3,
               frameon=False, fontsize=8, bbox_to_anchor=(0.0, 0.02))
    maps.add_attribution(fig)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig
