"""The figures of the chapter "Do AI firms cluster?" (``chapters/point_patterns.ipynb``).

Each ``*_figure`` function draws one figure from the results of :mod:`aicluster.clusters` and
returns it; :func:`save` writes it to ``figures/`` with :func:`aicluster.style.save_png` (no
timestamps, byte-identical reruns) and closes it.  Maps are in metres (EPSG:4548) and share the
layers of :class:`MapLayers`: the district, the two fitted windows, the institutions and the
building locations.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from . import clusters as cl
from . import haidian, maps, paths, style

C = style.PALETTE
#: Colours of DBSCAN clusters 1, 2, ... (noise is dark grey).
CLUSTER_COLOURS = (C["orange"], C["green"], C["purple"], C["yellow"], C["sky"])
NOISE_COLOUR = "#555555"
#: Short tick labels of the tests in :data:`aicluster.clusters.SENSITIVITY_TESTS`.
SENSITIVITY_TICKS = {"ce_p": "Clark–Evans", "l_p": "L (MAD)", "proximity_p": "Proximity"}


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

    def __post_init__(self):
        if len(self.university_names) != len(self.institutions):
            raise ValueError("need one university name (or None) per institution")
        if len(self.multiplicity) != len(self.locations):
            raise ValueError("need one multiplicity per location")
        if self.buffer_m <= 0:
            raise ValueError("buffer_m must be positive")

    def zoom_extent(self, margin: float = 800.0) -> tuple[float, float, float, float]:
        """The core's bounds widened by ``margin`` metres: (xmin, ymin, xmax, ymax)."""
        x0, y0, x1, y1 = self.core.bounds
        return (x0 - margin, y0 - margin, x1 + margin, y1 + margin)


def map_layers(windows, buffer_m: float, institutions, points) -> MapLayers:
    """:class:`MapLayers` from :func:`aicluster.clusters.study_windows`, the institutions'
    GeoDataFrame and the buildings' (n, 2) metric coordinates."""
    locations, multiplicity = cl.distinct_locations(points)
    names = tuple(row.name_zh if row.kind == "university" else None
                  for row in institutions.itertuples())
    return MapLayers(windows["haidian"][1], windows["core"][1], windows["buffer"][1], buffer_m,
                     haidian.xy(institutions), names, locations, multiplicity)


def save(fig, name: str, colours: int | None = None) -> None:
    """Write ``fig`` to ``figures/<name>`` deterministically (``colours``: a palette PNG, see
    :func:`aicluster.style.png_bytes`) and close it."""
    style.save_png(fig, paths.FIGURES / name, colours=colours)
    plt.close(fig)


# --- map layers ------------------------------------------------------------------------------


def draw_base(ax, layers: MapLayers, extent=None) -> None:
    """District, buffer window, core outline, institutions and building locations (dot size
    grows with the buildings at a location); no ticks, equal aspect."""
    gpd.GeoSeries([layers.district]).plot(ax=ax, facecolor="#f2f2f2", edgecolor="#777777",
                                          linewidth=0.8)
    gpd.GeoSeries([layers.buffer]).plot(ax=ax, facecolor=C["sky"], alpha=0.25, edgecolor=C["sky"],
                                        linewidth=0.6)
    gpd.GeoSeries([layers.core]).plot(ax=ax, facecolor="none", edgecolor=C["orange"], linewidth=1.8)
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


def label_locations(ax, layers: MapLayers) -> None:
    """Number the locations 1, 2, ... as in the chapter's table, clear of their dots."""
    for k, ((x, y), m) in enumerate(zip(layers.locations, layers.multiplicity), start=1):
        off = 4 + 1.6 * np.sqrt(m)
        ax.annotate(str(k), (x, y), xytext=(off, off), textcoords="offset points", fontsize=8,
                    fontweight="bold", color=C["blue"], zorder=5)


def label_universities(ax, layers: MapLayers, extent) -> None:
    """The Chinese names of the universities inside ``extent`` (xmin, ymin, xmax, ymax)."""
    for name, (x, y) in zip(layers.university_names, layers.institutions):
        if name is not None and extent[0] < x < extent[2] and extent[1] < y < extent[3]:
            ax.annotate(name, (x, y), xytext=(4, -10), textcoords="offset points",
                        fontsize=7.5, color=C["vermillion"], zorder=5)


def _windows_legend(layers: MapLayers) -> list:
    return [
        Line2D([], [], marker="o", ls="", color=C["blue"],
               label="AI building location (size: buildings)"),
        Line2D([], [], marker="^", ls="", color=C["vermillion"], label="University / institute"),
        Line2D([], [], color=C["orange"], lw=1.8, label="Urban core (Ripley–Rasson)"),
        Line2D([], [], color=C["sky"], lw=6, alpha=0.4,
               label=f"Within {layers.buffer_m / 1000:g} km of knowledge/AI places"),
        Line2D([], [], color="#777777", lw=0.8, label="Haidian 海淀 boundary"),
    ]


# --- the figures -----------------------------------------------------------------------------


def windows_figure(layers: MapLayers):
    """Two maps: all of Haidian with the zoom box dashed, and the zoom on the urban core with
    numbered locations and the universities' names."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 5.2), gridspec_kw={"width_ratios": [1, 1.1]})
    draw_base(ax1, layers)
    ext = layers.zoom_extent()
    ax1.add_patch(plt.Rectangle(ext[:2], ext[2] - ext[0], ext[3] - ext[1], fill=False, ls="--",
                                lw=0.8))
    ax1.set_title("Haidian 海淀: the strawman window")
    draw_base(ax2, layers, ext)
    label_locations(ax2, layers)
    label_universities(ax2, layers, ext)
    ax2.set_title("The urban core (dashed box on the left)")
    for ax in (ax1, ax2):
        maps.add_scale_bar(ax)
        maps.add_north_arrow(ax)
    fig.legend(handles=_windows_legend(layers), loc="lower center", ncol=3, frameon=False,
               fontsize=8)
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    return fig


def _panels(results: dict, height: float):
    if not results:
        raise ValueError("need the results of at least one window")
    fig, axes = plt.subplots(1, len(results), figsize=(10, height), sharey=True, squeeze=False)
    return fig, axes[0]


def _legend_below(fig, axes, ncol: int) -> None:
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=ncol, frameon=False, fontsize=8)
    fig.tight_layout(rect=(0, 0.08, 1, 1))


def l_function_figure(lf: dict):
    """One panel per window (:func:`aicluster.clusters.l_function_by_window`): L(r) - r of the
    locations and of the recorded points, the pointwise range of the simulations and the global
    5 % MAD envelope."""
    fig, axes = _panels(lf, 3.5)
    for ax, res in zip(axes, lf.values()):
        r, mad = res.mad.r, res.mad
        ax.fill_between(r, mad.lo - r, mad.hi - r, color="#dddddd",
                        label="pointwise range of simulations")
        ax.plot(r, np.full_like(r, res.critical), "--", color="black", lw=1,
                label="global 5 % envelope (MAD)")
        ax.plot(r, np.full_like(r, -res.critical), "--", color="black", lw=1)
        ax.plot(r, res.ties.observed - r, ":", color=C["orange"], lw=1.6,
                label=f"{res.n_recorded} recorded points, with ties")
        ax.plot(r, mad.observed - r, color=C["blue"], lw=2,
                label=f"{res.n_locations} distinct locations")
        ax.axhline(0, color="#777777", lw=0.6)
        ax.set_title(f"{res.name}\nMAD p = {mad.p_value:.3f}", fontsize=9)
        ax.set_xlabel("r (m)")
    axes[0].set_ylabel("L(r) − r (m)")
    _legend_below(fig, axes, ncol=4)
    return fig


def proximity_cdf_figure(prox: dict, grid=None):
    """One panel per window (:func:`aicluster.clusters.proximity_by_window`): the CDF of the
    sites' distances to the nearest institution against the 95 % pointwise envelope and the
    median of the random points' CDFs, on ``grid`` (default 0-4000 m in 10 m steps)."""
    grid = np.linspace(0, 4000, 401) if grid is None else np.asarray(grid, dtype=float)
    if grid.ndim != 1 or grid.size < 2 or np.any(np.diff(grid) <= 0):
        raise ValueError("grid must be an increasing sequence of distances")
    fig, axes = _panels(prox, 3.4)
    for ax, res in zip(axes, prox.values()):
        lo, hi = cl.cdf_envelope(res.null, grid)
        ax.fill_between(grid, lo, hi, color="#dddddd", step="post",
                        label="95 % pointwise envelope, random points")
        ax.step(grid, np.median(cl.distance_cdf(res.null, grid), axis=0), where="post",
                color="#777777", ls="--", lw=1, label="median of simulations")
        ax.step(grid, cl.distance_cdf(res.site_distances, grid), where="post", color=C["blue"],
                lw=2, label=f"{res.site_distances.size} AI buildings")
        ax.set_title(f"{res.name}\nmean distance p = {res.tests['mean'].p_value:.3f}", fontsize=9)
        ax.set_xlabel("distance to nearest university/institute (m)")
    axes[0].set_ylabel("share of points within the distance")
    _legend_below(fig, axes, ncol=3)
    return fig


def sensitivity_figure(sens: dict, recorded: dict, rng=None):
    """One panel per window (:func:`aicluster.clusters.sensitivity_by_window`): the p-values of
    each test on the displaced copies (jittered by ``rng``) and at the recorded coordinates
    (``recorded``, from :func:`aicluster.clusters.recorded_p_values`), log scale."""
    if set(recorded) != set(sens):
        raise ValueError("recorded p-values must cover exactly the windows of sens")
    fig, axes = _panels(sens, 3.5)
    nrep = {len(res.copies) for res in sens.values()}
    if len(nrep) != 1:
        raise ValueError("every window needs the same number of displaced copies")
    nrep = nrep.pop()
    jitter = np.random.default_rng(rng).uniform(-0.18, 0.18, nrep)
    for ax, (key, res) in zip(axes, sens.items()):
        for i, col in enumerate(cl.SENSITIVITY_TESTS):
            ax.scatter(i + jitter, res.copies[col], s=9, color=C["blue"], alpha=0.5, lw=0)
            ax.scatter([i], [recorded[key][col]], marker="D", s=36, color=C["orange"],
                       edgecolor="black", zorder=3)
        ax.axhline(0.05, color=C["vermillion"], lw=1, ls="--")
        ax.set_yscale("log")
        ax.set_ylim(0.0007, 1.2)
        ax.set_xticks(range(len(cl.SENSITIVITY_TESTS)),
                      [SENSITIVITY_TICKS[c] for c in cl.SENSITIVITY_TESTS], fontsize=8)
        ax.set_title(res.name, fontsize=9)
    axes[0].set_ylabel("p-value (log scale)")
    n_points = next(iter(sens.values())).n_points
    fig.legend(handles=[
        Line2D([], [], marker="o", ls="", color=C["blue"], alpha=0.6,
               label=f"{nrep} displaced copies ({n_points} points)"),
        Line2D([], [], marker="D", ls="", color=C["orange"], markeredgecolor="black",
               label="recorded coordinates"),
        Line2D([], [], color=C["vermillion"], ls="--", label="p = 0.05")],
        loc="lower center", ncol=3, frameon=False, fontsize=8)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def _k_distance_panel(ax, points, ks, walk_eps) -> None:
    for k, colour in zip(ks, (C["sky"], C["blue"], C["purple"]), strict=True):
        kd = cl.k_distances(points, k)
        ax.plot(np.arange(1, len(kd) + 1), kd, "o-", color=colour, ms=4,
                label=f"k = {k} (min_samples = {k + 1})")
        ax.axhline(cl.knee(kd), color=colour, lw=0.8, ls=":")
    for eps in walk_eps:
        ax.axhline(eps, color="#bbbbbb", lw=0.6)
    ax.set_xlabel("points, sorted")
    ax.set_ylabel("distance to k-th nearest neighbour (m)")
    ax.set_title("k-distance curves (dotted: knees; grey: walking radii)", fontsize=9)
    ax.legend(frameon=False, fontsize=8)


def _cluster_map(ax, points, setting, layers: MapLayers) -> None:
    labels = np.array(setting["labels"])
    draw_base(ax, layers, layers.zoom_extent())
    for lab in np.unique(labels):
        pts = points[labels == lab]
        colour = NOISE_COLOUR if lab < 0 else CLUSTER_COLOURS[lab % len(CLUSTER_COLOURS)]
        name = "noise" if lab < 0 else f"cluster {lab + 1}"
        ax.scatter(*pts.T, s=60, color=colour, edgecolor="black", lw=0.6, zorder=6,
                   label=f"{name} ({len(pts)})")
    label_locations(ax, layers)
    maps.add_scale_bar(ax)
    maps.add_north_arrow(ax)
    ax.legend(frameon=True, fontsize=8, loc="lower left")
    ax.set_title(f"DBSCAN at the knee: eps = {setting['eps_m']:,.0f} m, "
                 f"min_samples = {setting['min_samples']}", fontsize=9)


def dbscan_figure(points, setting, layers: MapLayers, ks=(1, 2, 3), walk_eps=cl.WALK_EPS_M):
    """Left: sorted k-distance curves with their knees and the walking radii.  Right: the
    DBSCAN clusters of ``setting`` (a row of :func:`aicluster.clusters.dbscan_sensitivity`) on
    the map of the urban core."""
    points = np.asarray(points, dtype=float)
    if len(setting["labels"]) != len(points):
        raise ValueError("the setting's labels must have one entry per point")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.3), gridspec_kw={"width_ratios": [1, 1.15]})
    _k_distance_panel(ax1, points, ks, walk_eps)
    _cluster_map(ax2, points, setting, layers)
    fig.tight_layout()
    return fig


def _whiten_scale_bar(ax) -> None:
    # The scale bar is the last line and text drawn; black is illegible on the dark surface.
    ax.lines[-1].set_color("white")
    ax.texts[-1].set_color("white")


def kde_figure(surfaces, layers: MapLayers):
    """A 2 x 2 grid of kernel density maps (:func:`aicluster.clusters.kde_surfaces`), each with
    its own colour bar, the Haidian boundary, the core outline, institutions and locations."""
    if len(surfaces) != 4:
        raise ValueError(f"the figure has four panels, got {len(surfaces)} surfaces")
    fig, axes = plt.subplots(2, 2, figsize=(9, 8.6))
    for ax, s in zip(axes.ravel(), surfaces):
        x0, y0, x1, y1 = s.bounds
        im = ax.imshow(s.z, origin="lower", extent=(x0, x1, y0, y1), cmap="viridis")
        gpd.GeoSeries([layers.district.boundary]).plot(ax=ax, color="white", lw=0.8)
        gpd.GeoSeries([layers.core.boundary]).plot(ax=ax, color=C["orange"], lw=1.2)
        ax.scatter(*layers.institutions.T, marker="^", s=30, color=C["vermillion"],
                   edgecolor="white", lw=0.5)
        ax.scatter(*layers.locations.T, s=14, color="white", edgecolor="black", lw=0.5)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
        kind = "cross-validated" if s.cross_validated else "fixed"
        ax.set_title(f"h = {s.bandwidth:,.0f} m ({kind})", fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8, label="buildings per km²")
        maps.add_scale_bar(ax)
        _whiten_scale_bar(ax)
    fig.tight_layout()
    return fig
