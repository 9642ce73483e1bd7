"""One map object for both books: interactive Leaflet in HTML, a static PNG in the PDF.

`BookMap` collects layers (polygons, points, precision discs) and displays as a MIME bundle with
`text/html` (a folium map in an iframe) and `image/png` (geopandas/matplotlib, drawn in UTM 50N
with a scale bar, north arrow and attribution). myst-nb's HTML builder picks `text/html`; its
LaTeX builder never uses `text/html` and takes the PNG.

Both versions draw the same things in the same order: the bundled context layers under the data
(Yongding river, rail lines as ordered station polylines, stations: ``aicluster.context``; added
unless ``basemap=False``), the data layers, then visible labels (``annotate_col``: the place's key
and name; places sharing a point get one label listing all their keys). The interactive map needs
no network and no tile server: Leaflet comes from the book's own `_extra/vendor/` (relative to the
chapter page), element ids are deterministic, the page scrolls past the map until the reader clicks
it (wheel zoom is off until then), a button resets the view, tooltips wrap to fit, and the legend
sits below the map (never over the data) and folds on narrow screens. Text from data is
HTML-escaped before it reaches a tooltip, label or legend (``escape_text``). A tooltip field whose
value is a list or tuple shows one (escaped) line per item.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import itertools
import re
import textwrap
from dataclasses import dataclass, field

import branca.element
import folium
import geopandas as gpd
import jinja2
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyproj
from matplotlib import patheffects
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from shapely.geometry import box

from . import context, escape, style
from .geo import UTM50N

# Relative to a page in chapters/: the build copies _extra/vendor/ to the site root.
ASSET_BASE = "../vendor/leaflet"
LEAFLET_JS = [("leaflet", f"{ASSET_BASE}/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", f"{ASSET_BASE}/leaflet.css")]
# Context colours (under the data): water, rail stations, station labels.
WATER_COLOUR = "#6BAED6"
STATION_FILL = "#FFFFFF"
CONTEXT_TEXT = "#555555"
# Frames wider than this (degrees of longitude, ~21 km) show only the stations they name.
STATION_DOTS_MAX_DEG = 0.25


@contextlib.contextmanager
def stable_ids(seed: str):
    """Give branca/folium elements ids derived from `seed` and a counter instead of os.urandom."""
    counter = itertools.count()
    original = branca.element.Element._generate_id

    def _generate_id(cls):
        return hashlib.sha1(f"{seed}:{next(counter)}".encode()).hexdigest()[:32]

    branca.element.Element._generate_id = classmethod(_generate_id)
    try:
        yield
    finally:
        branca.element.Element._generate_id = original


def escape_text(value) -> str:
    """Text from data, made safe for Leaflet tooltips and popups (which set innerHTML) and for
    branca's second Jinja pass over rendered scripts (see :func:`aicluster.escape.html`)."""
    return escape.html(value)


class MapRenderError(ValueError):
    """A map could not be drawn; the message names the map, the layer and the data row."""


def describe_row(index, row, label_col=None) -> str:
    """'row 12 (place_id 'hd_pku', name_en 'Peking University')': the row's index label, its
    id columns and its label, so that the reader can find it in data/."""
    ids = [f"{col} {row[col]!r}" for col in row.index if col.endswith("_id") and col != "geometry"]
    if label_col and label_col in row.index and not label_col.endswith("_id"):
        ids.append(f"{label_col} {row[label_col]!r}")
    return f"row {index!r}" + (f" ({', '.join(ids)})" if ids else "")


@dataclass
class _Layer:
    kind: str
    gdf: gpd.GeoDataFrame
    name: str
    colour: str | None = None
    colour_col: str | None = None
    label_col: str | None = None
    fields: dict = field(default_factory=dict)
    radius_px: float = 6
    radius_col: str | None = None
    fill_opacity: float = 0.35
    weight: float = 1.0
    legend: dict | None = None
    annotate_col: str | None = None
    context: bool = False  # context layers are drawn under the data and do not set the frame
    dashed: bool = False


class BookMap:
    """A map displayed as interactive Leaflet (HTML book) and static PNG (PDF book).

    ``basemap=True`` (default) draws the bundled context layers (river, rail, stations) under
    the data, clipped to the map's frame; ``station_labels`` names the stations to label (all
    stations in the frame when None and there are at most ``max_station_labels`` of them).
    ``frame`` (lon_min, lat_min, lon_max, lat_max) fixes the view; by default it is the extent
    of the data layers (precision discs do not widen it)."""

    def __init__(self, title: str, *, map_id: str | None = None, height: int = 480,
                 figsize=(8, 6.5), basemap: bool = True, html_legend: bool = True,
                 station_labels=None, max_station_labels: int = 14, frame=None):
        self.title = title
        self.html_legend = html_legend
        self.map_id = map_id or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        self.height = height
        self.figsize = figsize
        self.basemap = basemap
        self.station_labels = None if station_labels is None else tuple(station_labels)
        self.max_station_labels = max_station_labels
        self.frame = None if frame is None else tuple(float(v) for v in frame)
        self.layers: list[_Layer] = []
        self._png: bytes | None = None

    # -- building -------------------------------------------------------------------------
    def polygons(self, gdf, *, name, colour="#999999", colour_col=None, label_col=None,
                 fields=None, fill_opacity=0.35, weight=1.0, legend=None, annotate_col=None):
        """Add polygons. `label_col` and `fields` (column -> label) make the tooltip;
        `annotate_col` holds the label printed on both maps (empty: no label)."""
        self.layers.append(_Layer("polygons", _wgs84(gdf), name, colour, colour_col, label_col,
                                  dict(fields or {}), fill_opacity=fill_opacity, weight=weight,
                                  legend=legend, annotate_col=annotate_col))
        self._png = None
        return self

    def points(self, gdf, *, name, colour="#0072B2", colour_col=None, label_col=None,
               fields=None, radius_px=6, legend=None, annotate_col=None):
        """Add points (tooltip as for polygons). `annotate_col` is the visible label, e.g.
        "H01 Raycom"; points sharing a coordinate get one label joining theirs."""
        self.layers.append(_Layer("points", _wgs84(gdf), name, colour, colour_col, label_col,
                                  dict(fields or {}), radius_px=radius_px, legend=legend,
                                  annotate_col=annotate_col))
        self._png = None
        return self

    def circles(self, gdf, *, name, radius_col, colour="#0072B2", colour_col=None):
        """Precision discs: radius in metres (e.g. each coordinate's precision_m), one light
        translucent disc per point without an outline, so overlapping discs stay readable."""
        gdf = _wgs84(gdf)
        # places sharing a point: one disc, the largest radius (stacked discs would darken)
        point = gdf.geometry.x.round(6).astype(str) + "," + gdf.geometry.y.round(6).astype(str)
        # a radius that is not a number sorts last here and fails when drawn, naming its row
        radii = pd.to_numeric(gdf[radius_col], errors="coerce").fillna(-np.inf)
        order = radii.to_numpy().argsort(kind="stable")[::-1]
        gdf = gdf.iloc[order][~point.iloc[order].duplicated().to_numpy()].sort_index()
        self.layers.append(_Layer("circles", gdf, name, colour, colour_col,
                                  radius_col=radius_col, fill_opacity=0.07))
        self._png = None
        return self

    # -- context --------------------------------------------------------------------------
    def frame_bounds(self):
        """(lon_min, lat_min, lon_max, lat_max) of the view: `frame`, else the data extent."""
        return self.frame if self.frame is not None else self._bounds()

    def context_layers(self) -> list[_Layer]:
        """The context layers clipped to the frame (padded by 15 %), in drawing order."""
        if not self.basemap:
            return []
        ctx = context.load_context()
        x0, y0, x1, y1 = self.frame_bounds()
        pad_x, pad_y = max((x1 - x0) * 0.15, 0.01), max((y1 - y0) * 0.15, 0.01)
        clip = box(x0 - pad_x, y0 - pad_y, x1 + pad_x, y1 + pad_y)
        layers = []
        rivers = _clip(ctx.rivers, clip)
        if len(rivers):
            rivers["label"] = rivers["name_zh"] + " " + rivers["name_en"]
            layers.append(_Layer("lines", rivers, "Yongding river (Natural Earth)", WATER_COLOUR,
                                 label_col="label", weight=2.5, context=True))
        lakes = _clip(ctx.lakes, clip)
        if len(lakes):
            lakes["label"] = lakes["name_zh"] + " " + lakes["name_en"]
            layers.append(_Layer("polygons", lakes, "Lakes (Natural Earth)", WATER_COLOUR,
                                 label_col="label", fill_opacity=0.5, weight=0.5, context=True))
        lines = _clip(ctx.lines, clip)
        if len(lines):
            lines["label"] = lines["name_zh"] + " " + lines["name_en"]
            lines["dash"] = lines["kind"] == "railway"
            layers.append(_Layer("lines", lines, "Rail lines (OpenStreetMap; straight between "
                                 "stations)", colour_col="colour", label_col="label", weight=2.0,
                                 context=True))
        stations = _clip(ctx.stations, clip)
        if (x1 - x0) > STATION_DOTS_MAX_DEG:
            # at city scale only the named stations are drawn; the rest would be a grey smear
            stations = stations[stations["name_zh"].isin(self.station_labels or ())]
        if len(stations):
            stations = stations.drop_duplicates("name_zh").reset_index(drop=True)
            stations["label"] = (stations["name_zh"] + " " + stations["name_en"]).str.strip()
            stations["station_label"] = self._station_label_text(stations)
            layers.append(_Layer("stations", stations, "Stations (OpenStreetMap)", STATION_FILL,
                                 label_col="label", radius_px=3, context=True,
                                 annotate_col="station_label"))
        return layers

    def _station_label_text(self, stations):
        x0, y0, x1, y1 = self.frame_bounds()
        inside = stations.geometry.x.between(x0, x1) & stations.geometry.y.between(y0, y1)
        if self.station_labels is not None:
            chosen = stations["name_zh"].isin(self.station_labels)
        else:
            chosen = inside if inside.sum() <= self.max_station_labels else inside & False
        return stations["name_zh"].where(chosen & inside, "")

    def attribution(self) -> str:
        """The credit line the map carries (empty when it shows no context layer)."""
        return context.attribution_text() if self.basemap else ""

    # -- interactive ----------------------------------------------------------------------
    def folium_map(self) -> folium.Map:
        with stable_ids(self.map_id):
            return self._build_folium()

    def _build_folium(self) -> folium.Map:
        x0, y0, x1, y1 = self.frame_bounds()
        fmap = folium.Map(location=[(y0 + y1) / 2, (x0 + x1) / 2], tiles=None,
                          zoom_control=True, control_scale=False, scroll_wheel_zoom=False,
                          width="100%", height="100%", zoom_snap=0.25, zoom_delta=0.5)
        fmap.default_js = list(LEAFLET_JS)
        fmap.default_css = list(LEAFLET_CSS)
        for layer in self.context_layers() + self.layers:
            self._add_folium_layer(fmap, layer)
        self._add_folium_labels(fmap)
        if self.html_legend and self.legend_entries():
            HtmlLegend(self.legend_entries()).add_to(fmap)
        folium.LayerControl(collapsed=True).add_to(fmap)
        bounds = [[y0, x0], [y1, x1]]
        fmap.fit_bounds(bounds)
        MapBehaviour(bounds, self.attribution()).add_to(fmap)
        return fmap

    def _add_folium_layer(self, fmap, layer: _Layer) -> None:
        group = folium.FeatureGroup(name=escape_text(layer.name), show=True,
                                    control=not layer.context or layer.kind != "stations")
        for index, row in layer.gdf.iterrows():
            with self._naming_row(layer, index, row):
                self._add_folium_feature(group, layer, row)
        group.add_to(fmap)

    def _add_folium_feature(self, group, layer: _Layer, row) -> None:
        colour = row[layer.colour_col] if layer.colour_col else layer.colour
        tip = self._tooltip_html(layer, row)
        tooltip = folium.Tooltip(tip, sticky=True) if tip else None
        if layer.kind == "polygons":
            folium.GeoJson(
                row.geometry.__geo_interface__,
                style_function=_constant_style(colour, layer.fill_opacity, layer.weight),
                tooltip=tooltip).add_to(group)
        elif layer.kind == "lines":
            folium.GeoJson(
                row.geometry.__geo_interface__,
                style_function=_line_style(colour, layer.weight,
                                           bool(row.get("dash", False))),
                tooltip=tooltip).add_to(group)
        elif layer.kind in ("points", "stations"):
            station = layer.kind == "stations"
            folium.CircleMarker(
                location=[row.geometry.y, row.geometry.x], radius=layer.radius_px,
                color="#333333" if station else "#222222", weight=1, fill=True,
                fill_color=colour, fill_opacity=1.0 if station else 0.9,
                # No folium.Popup: its template calls jQuery, which the offline bundle
                # does not load ("$ is not defined" would stop the rest of the map).
                tooltip=tooltip,
            ).add_to(group)
        else:
            folium.Circle(location=[row.geometry.y, row.geometry.x],
                          radius=float(row[layer.radius_col]), stroke=False,
                          fill=True, fill_color=colour,
                          fill_opacity=layer.fill_opacity).add_to(group)

    def _add_folium_labels(self, fmap) -> None:
        """Visible labels (Leaflet divIcons): station names in grey, place labels in bold."""
        group = folium.FeatureGroup(name="Labels", show=True)
        for (lon, lat), text, kind in self.label_items():
            css = "bookmap-label bookmap-station" if kind == "station" else "bookmap-label"
            anchor = (6, -3) if kind == "station" else (-6, 8)
            if kind == "area":  # an area's name is centred over its anchor point, not beside it
                anchor = (round(_label_width_px(text) / 2), 8)
            label = "<br>".join(escape_text(line) for line in text.split("\n"))
            folium.Marker(
                location=[lat, lon], interactive=False, keyboard=False,  # a label, not a control
                icon=folium.DivIcon(html=f'<div class="{css}">{label}</div>',
                                    icon_size=(0, 0), icon_anchor=anchor),
            ).add_to(group)
        group.add_to(fmap)

    def label_items(self) -> list[tuple[tuple[float, float], str, str]]:
        """((lon, lat), text, "place"/"area"/"station") for every visible label; labels of
        points at the same coordinate (to 1e-6°) are joined into one, in layer order."""
        merged: dict[tuple, list[str]] = {}
        kinds: dict[tuple, str] = {}
        for layer in self.context_layers() + self.layers:
            if not layer.annotate_col:
                continue
            for _, row in layer.gdf.iterrows():
                text = row[layer.annotate_col]
                if not isinstance(text, str) or not text:
                    continue
                pt = (row.geometry.representative_point() if layer.kind == "polygons"
                      else row.geometry)
                kind = {"stations": "station", "polygons": "area"}.get(layer.kind, "place")
                key = (round(pt.x, 6), round(pt.y, 6), kind)  # a station and a place apart
                if text not in merged.setdefault(key, []):
                    merged[key].append(text)
                kinds[key] = kind
        return [(key[:2], _join_labels(texts), kinds[key]) for key, texts in merged.items()]

    @contextlib.contextmanager
    def _naming_row(self, layer: _Layer, index, row):
        """Re-raise an error while drawing one feature as MapRenderError naming its data row."""
        try:
            yield
        except MapRenderError:
            raise
        except Exception as err:
            raise MapRenderError(f"map {self.title!r}, layer {layer.name!r}: cannot draw "
                                 f"{describe_row(index, row, layer.label_col)}: "
                                 f"{type(err).__name__}: {err}") from err


    @staticmethod
    def _tooltip_html(layer: _Layer, row) -> str:
        parts = []
        if layer.label_col:
            parts.append(f"<b>{escape_text(row[layer.label_col])}</b>")
        for col, label in layer.fields.items():
            value = row[col]
            if isinstance(value, (list, tuple)):  # one line per item, under the label
                parts += [f"{escape_text(label)}:"] if label else []
                parts += [escape_text(item) for item in value]
            else:
                parts.append(f"{escape_text(label)}: {escape_text(value)}")
        return "<br>".join(parts)

    def legend_entries(self) -> list[tuple[str, str, str]]:
        """(label, colour, "point" or "area") for every legend entry, in layer order."""
        return [(label, colour, "point" if layer.kind == "points" else "area")
                for layer in self.layers if layer.legend
                for label, colour in layer.legend.items()]

    def html(self) -> str:
        """The interactive map as an iframe (its own document, so page CSS cannot break it)."""
        page = self.folium_map().get_root().render()
        _assert_no_remote_assets(page)
        return (f'<iframe class="bookmap" id="bookmap-{self.map_id}" title="{escape_text(self.title)}" '
                f'srcdoc="{html.escape(page, quote=True)}" style="width:100%;height:{self.height}px;'
                'border:1px solid #ccc"></iframe>')

    # -- static ---------------------------------------------------------------------------
    def figure(self):
        """The static map as a matplotlib figure in UTM 50N with scale bar and north arrow."""
        with plt.rc_context(style.book_rc()):
            return self._draw_figure()

    def _draw_figure(self):
        fig, ax = plt.subplots(figsize=print_size(self.figsize))
        frame = gpd.GeoSeries([box(*self.frame_bounds())], crs="EPSG:4326").to_crs(UTM50N)
        fx0, fy0, fx1, fy1 = frame.total_bounds
        pad = 0.03 * max(fx1 - fx0, fy1 - fy0, 1000)
        handles = []
        for layer in self.context_layers() + self.layers:
            self._draw_static_layer(ax, layer)
            handles += _legend_handles(layer)
        ax.set_xlim(fx0 - pad, fx1 + pad)  # the frame, not the discs, sets the view
        ax.set_ylim(fy0 - pad, fy1 + pad)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_color("#999999")
        ax.set_aspect("equal")
        add_scale_bar(ax)
        add_north_arrow(ax)
        ax.set_title(escape.mathtext(self.title), fontsize=TITLE_PT)
        _fit_title(ax)
        if self.attribution():
            ax.text(1.0, -0.01, self.attribution(), transform=ax.transAxes, ha="right",
                    va="top", fontsize=QUIET_TEXT_PT, color=CONTEXT_TEXT)
        if handles:  # below the map, never over the data
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.04),
                      fontsize=8, frameon=False, ncol=2 if len(handles) > 3 else 1)
        fig.tight_layout()
        # Labels last: they are placed by measuring boxes in display space, which the layout
        # and the equal aspect (applied only when drawn) would otherwise change afterwards.
        ax.apply_aspect()
        self._annotate_static(ax)
        return fig

    @staticmethod
    def _draw_static_layer(ax, layer: _Layer) -> None:
        gdf = layer.gdf.to_crs(UTM50N)
        colours = gdf[layer.colour_col] if layer.colour_col else layer.colour
        if layer.kind == "polygons":
            gdf.plot(ax=ax, color=colours, alpha=min(1.0, layer.fill_opacity + 0.25),
                     edgecolor="#333333", linewidth=0.6, zorder=1)
        elif layer.kind == "lines":
            dashed = gdf["dash"] if "dash" in gdf else False
            for (_, row), dash in zip(gdf.iterrows(), _as_list(dashed, len(gdf))):
                colour = row[layer.colour_col] if layer.colour_col else layer.colour
                xs, ys = row.geometry.xy if row.geometry.geom_type == "LineString" else (
                    [], [])
                if row.geometry.geom_type == "LineString":
                    ax.plot(xs, ys, color=colour, linewidth=layer.weight * 0.7,
                            linestyle=(0, (4, 2)) if dash else "-", zorder=2, alpha=0.9)
                else:
                    gpd.GeoSeries([row.geometry]).plot(ax=ax, color=colour,
                                                       linewidth=layer.weight * 0.7, zorder=2)
        elif layer.kind == "stations":
            gdf.plot(ax=ax, color=STATION_FILL, markersize=10, edgecolor="#333333",
                     linewidth=0.5, zorder=3)
        elif layer.kind == "points":
            gdf.plot(ax=ax, color=colours, markersize=layer.radius_px ** 2 * 1.2,
                     edgecolor="#222222", linewidth=0.5, zorder=5)
        else:  # precision discs: translucent, no outline, clipped to the axes
            discs = gdf.buffer(gdf[layer.radius_col])
            discs.plot(ax=ax, facecolor=colours, edgecolor="none", alpha=0.08, zorder=1.5)

    def _annotate_static(self, ax):
        """Labels placed greedily: areas, then places, then stations, each at the first of a few
        offsets where it overlaps no label already placed and stays inside the frame (a place
        label set further off is tied to its marker by a line); a place label that fits nowhere
        keeps its first position, a station label is dropped (places come first: their labels
        are required, the stations' only give bearings)."""
        to_utm = pyproj.Transformer.from_crs("EPSG:4326", UTM50N, always_xy=True)
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        renderer = ax.figure.canvas.get_renderer()
        frame = ax.get_window_extent(renderer)
        placed = self._marker_boxes(ax, to_utm)  # labels never hide a marker
        # ...nor the scale bar's length, the north arrow or the attribution (drawn already)
        for text in list(ax.texts):
            box_ = (_text_box(text, renderer) if hasattr(text, "xyann")
                    else text.get_window_extent(renderer))
            placed.append(box_.padded(4))  # 4 px more: the scale bar lies under its length
            if getattr(text, "arrow_patch", None) is not None:
                placed.append(text.arrow_patch.get_window_extent(renderer))
        order = {"area": 0, "place": 1, "station": 2}
        items = sorted(self.label_items(), key=lambda item: order[item[2]])
        for (lon, lat), text, kind in items:
            x, y = to_utm.transform(lon, lat)
            if not (x0 <= x <= x1 and y0 <= y <= y1):
                continue
            for offset, ha, va in _label_candidates(kind):
                ann = self._annotation(ax, text, (x, y), kind, offset, ha, va)
                box_ = _text_box(ann, renderer)
                inside = (box_.x0 >= frame.x0 and box_.x1 <= frame.x1
                          and box_.y0 >= frame.y0 and box_.y1 <= frame.y1)
                if inside and not any(box_.overlaps(other) for other in placed):
                    placed.append(box_)
                    break
                ann.remove()
            else:
                if kind != "station":  # a place keeps a label even where it cannot fit
                    ann = self._annotation(ax, text, (x, y), kind,
                                           *_label_candidates(kind)[0])
                    placed.append(_text_box(ann, renderer))

    def _marker_boxes(self, ax, to_utm, half_px=4.5):
        """Display-space boxes around every point marker (places and stations)."""
        boxes = []
        for layer in self.context_layers() + self.layers:
            if layer.kind not in ("points", "stations"):
                continue
            for pt in layer.gdf.geometry:
                x, y = ax.transData.transform(to_utm.transform(pt.x, pt.y))
                boxes.append(Bbox.from_extents(x - half_px, y - half_px, x + half_px,
                                               y + half_px))
        return boxes

    @staticmethod
    def _annotation(ax, text, xy, kind, offset, ha, va):
        station = kind == "station"
        halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
        # A label set further off than the marker's own size is tied to it by a thin line.
        far = kind == "place" and max(abs(offset[0]), abs(offset[1])) > LEADER_FROM_PT
        leader = dict(arrowstyle="-", color="#555555", lw=0.6, shrinkA=0, shrinkB=4) if far else None
        return ax.annotate(text, xy, xytext=offset, textcoords="offset points", arrowprops=leader,
                           fontsize=QUIET_TEXT_PT if station else LABEL_PT,
                           color=CONTEXT_TEXT if station else "#111111",
                           fontstyle="italic" if station else "normal",
                           fontweight="normal" if station or kind == "area" else "bold",
                           ha=ha, va=va, linespacing=1.1, path_effects=halo,
                           zorder=4 if station else 7, annotation_clip=True,
                           parse_math=False)

    def png(self) -> bytes:
        if self._png is None:
            with plt.rc_context(style.book_rc()):
                fig = self._draw_figure()
                self._png = style.png_bytes(fig)
                plt.close(fig)
        return self._png

    def save_png(self, path):
        """Write the static map to `path` (e.g. figures/), byte-identical across runs."""
        return style.write_if_changed(path, self.png())

    # -- display --------------------------------------------------------------------------
    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/html": self.html(),
            "image/png": base64.b64encode(self.png()).decode("ascii"),
            "text/plain": f"BookMap({self.title!r}, {len(self.layers)} layers)",
        }

    def _bounds(self):
        boxes = [layer.gdf.total_bounds for layer in self.layers if len(layer.gdf)]
        if not boxes:
            raise ValueError(f"map {self.title!r} has no features to show")
        return (min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes))


def _wgs84(gdf) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise ValueError("map layers need a CRS (data/ is WGS-84: EPSG:4326)")
    return gdf.to_crs("EPSG:4326")


def _clip(gdf, clip_box) -> gpd.GeoDataFrame:
    """`gdf` clipped to `clip_box` (lines cut at its edge), empty geometries dropped."""
    if not len(gdf):
        return gdf.copy()
    out = gdf.copy()
    out["geometry"] = out.geometry.intersection(clip_box)
    out = out[~out.geometry.is_empty].reset_index(drop=True)
    if len(out) and (out.geom_type == "MultiLineString").any():
        out = out.explode(index_parts=False).reset_index(drop=True)
    return out[out.geom_type.isin(["Point", "LineString", "Polygon", "MultiPolygon"])
               ].reset_index(drop=True)


def _label_candidates(kind):
    """(offset in points, ha, va) to try for a label, in order of preference."""
    if kind == "area":
        return [((0, 0), "center", "center"), ((0, 12), "center", "bottom"),
                ((0, -12), "center", "top")]
    if kind == "station":
        return [((-4, -3), "right", "top"), ((4, -3), "left", "top"),
                ((-4, 3), "right", "bottom"), ((4, 3), "left", "bottom")]
    return [((5, 3), "left", "bottom"), ((5, -3), "left", "top"), ((-5, 3), "right", "bottom"),
            ((-5, -3), "right", "top"), ((0, 7), "center", "bottom"), ((0, -7), "center", "top"),
            ((8, 10), "left", "bottom"), ((-8, -10), "right", "top"),
            # further off, with a leader line: where markers crowd (several buildings within a
            # few hundred metres) no nearby position is free
            *[((dx * r, dy * r), "left" if dx > 0 else "right" if dx < 0 else "center",
               "bottom" if dy > 0 else "top" if dy < 0 else "center")
              for r in (16, 26, 40, 56) for dx, dy in ((1, 1), (-1, 1), (1, -1), (-1, -1), (0, 1.2),
                                               (0, -1.2), (1.3, 0), (-1.3, 0))]]


def _label_width_px(text: str) -> float:
    """About how wide a bold map label is in HTML (11 px font): Latin ~6.5 px, CJK ~11 px a
    character, the widest line."""
    return max(sum(11.0 if ord(ch) > 0x2E80 else 6.5 for ch in line)
               for line in text.split("\n"))


def _text_box(annotation, renderer):
    """The display box of an annotation's text, without its leader line."""
    annotation.update_positions(renderer)  # the text's position follows its offset
    return Text.get_window_extent(annotation, renderer)


#: Place labels set further than this (points) from their marker get a leader line.
LEADER_FROM_PT = 12



def _as_list(value, n):
    return list(value) if hasattr(value, "__len__") and not isinstance(value, str) else [value] * n


def _join_labels(texts: list[str]) -> str:
    """Labels of places sharing a point: 'H04, H07, H13 Tsinghua Science Park' when each text is
    'KEY' or 'KEY name': all keys in order, then the first name given (the others are in the
    tables under their keys)."""
    if len(texts) == 1:
        return texts[0]
    keys = [t.split(" ", 1)[0] for t in texts]
    if all(re.fullmatch(r"[HMW]\d{2}", k) for k in keys):
        names = [t.split(" ", 1)[1] for t in texts if " " in t]
        joined = key_ranges(keys)
        if not names:
            return joined
        return joined + ("\n" if len(keys) > 2 else " ") + names[0]
    return "; ".join(texts)


def key_ranges(keys) -> str:
    """'M01, M03, M05–M08' from ['M05', 'M01', 'M06', 'M03', 'M07', 'M08']: sorted, runs of
    three or more consecutive numbers of one letter written as a range."""
    parsed = sorted({(k[0], int(k[1:])) for k in keys})
    parts, i = [], 0
    while i < len(parsed):
        j = i
        while j + 1 < len(parsed) and parsed[j + 1] == (parsed[i][0], parsed[j][1] + 1):
            j += 1
        first, last = parsed[i], parsed[j]
        if j - i >= 2:
            parts.append(f"{first[0]}{first[1]:02d}\u2013{last[0]}{last[1]:02d}")
        else:
            parts += [f"{k[0]}{k[1]:02d}" for k in parsed[i:j + 1]]
        i = j + 1
    return ", ".join(parts)


def _constant_style(colour, fill_opacity, weight):
    def style_function(_feature):
        return {"color": "#333333", "weight": weight, "fillColor": colour,
                "fillOpacity": fill_opacity}
    return style_function


def _line_style(colour, weight, dashed):
    def style_function(_feature):
        style_ = {"color": colour, "weight": weight, "opacity": 0.85, "fill": False}
        if dashed:
            style_["dashArray"] = "6 4"
        return style_
    return style_function


def _legend_handles(layer: _Layer):
    if layer.context:
        return []
    if not layer.legend:
        return []
    if layer.kind == "points":
        return [Line2D([], [], marker="o", linestyle="", markerfacecolor=c,
                       markeredgecolor="#222222", label=escape.mathtext(lab))
                for lab, c in layer.legend.items()]
    return [Patch(facecolor=c, edgecolor="#333333", label=escape.mathtext(lab))
            for lab, c in layer.legend.items()]


_COLOUR = re.compile(r"#[0-9A-Fa-f]{3}(?:[0-9A-Fa-f]{3})?")

# Inside the iframe: the map fills the space the legend leaves; labels and tooltips wrap.
MAP_CSS = """
html, body {height: 100%; margin: 0;}
body {display: flex; flex-direction: column;}
.folium-map {flex: 1 1 auto; min-height: 0; height: auto !important; position: relative;}
.bookmap-legend {order: 2; flex: 0 0 auto; max-height: 40%; overflow: auto;
  font: 12px/1.45 sans-serif; background: #fafafa; border-top: 1px solid #ccc;}
.bookmap-legend summary {cursor: pointer; padding: 3px 8px; font-weight: bold;}
.bookmap-legend .bookmap-legend-items {display: flex; flex-wrap: wrap; gap: 2px 14px;
  padding: 0 8px 4px;}
.leaflet-tooltip {white-space: normal; max-width: min(280px, 70vw); font-size: 12px;}
.bookmap-label {display: inline-block; white-space: nowrap; font: bold 11px/1.1 sans-serif; color: #111;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; pointer-events: none;}
.bookmap-station {font-weight: normal; font-style: italic; color: #555; font-size: 10px;
  transform: translateX(-100%);}
.bookmap-reset {background: #fff; border: 2px solid rgba(0,0,0,0.2); border-radius: 4px;
  padding: 2px 6px; font: 12px sans-serif; cursor: pointer;}
.bookmap-hint {background: rgba(255,255,255,0.85); padding: 1px 5px; border-radius: 3px;
  font: 11px sans-serif; color: #333;}
.leaflet-control-attribution {font-size: 10px;}
@media (max-width: 500px) { .bookmap-label {font-size: 10px;} .bookmap-station {font-size: 9px;}
  .leaflet-control-attribution {font-size: 8px; max-width: 70vw;} .bookmap-hint {display: none;} }
"""


class HtmlLegend(branca.element.MacroElement):
    """The interactive map's legend, below the map (never over the data): a <details> block
    that is open on wide screens and folded on narrow ones (under 500 px); labels
    HTML-escaped, colours checked to be hex codes; plain JavaScript (no jQuery)."""

    _template = jinja2.Template("""
        {% macro html(this, kwargs) %}
            <details class="bookmap-legend" open><summary>Legend</summary>
            <div class="bookmap-legend-items">{{ this.inner_html }}</div></details>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            (function () {
                var d = document.querySelector(".bookmap-legend");
                if (d && window.innerWidth < 500) { d.open = false; }
                if (d) { d.addEventListener("toggle", function () {
                    {{ this._parent.get_name() }}.invalidateSize(); }); }
            })();
        {% endmacro %}
        """)

    def __init__(self, entries):
        super().__init__()
        self._name = "HtmlLegend"
        self.inner_html = legend_html(entries)


class MapBehaviour(branca.element.MacroElement):
    """Page-friendly behaviour: the page scrolls past the map until the reader clicks it (then
    the wheel zooms; leaving the map turns it off again), a reset-view button, the context
    layers' attribution, and the map's CSS."""

    _template = jinja2.Template("""
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            (function (map) {
                var home = {{ this.bounds|tojson }};
                map.on("click", function () { map.scrollWheelZoom.enable(); });
                map.on("mouseout", function () { map.scrollWheelZoom.disable(); });
                var reset = L.control({position: "topleft"});
                reset.onAdd = function () {
                    var b = L.DomUtil.create("button", "bookmap-reset");
                    b.type = "button"; b.title = "Reset view"; b.textContent = "\u27F2 Reset";
                    L.DomEvent.disableClickPropagation(b);
                    L.DomEvent.on(b, "click", function () { map.fitBounds(home); });
                    return b;
                };
                reset.addTo(map);
                var hint = L.control({position: "bottomright"});
                hint.onAdd = function () {
                    var d = L.DomUtil.create("div", "bookmap-hint");
                    d.textContent = "Click the map to zoom with the wheel";
                    return d;
                };
                hint.addTo(map);
                L.control.scale({imperial: false}).addTo(map);
                // Labels: the chosen station names first (one hidden only where it would
                // overlap another), then each place label at the first free position, or, where
                // none is free, at the position inside the frame with the fewest overlaps.
                var MOVES = ["", "translate(0, 13px)", "translate(calc(-100% - 12px), 0)",
                             "translate(calc(-100% - 12px), 13px)", "translate(0, -13px)",
                             "translate(calc(-100% - 12px), -13px)"];
                function overlaps(a, b) {
                    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
                }
                function declutter() {
                    var labels = Array.prototype.slice.call(
                        document.querySelectorAll(".bookmap-label"));
                    labels.sort(function (a, b) {  // stations first: they were chosen
                        return b.classList.contains("bookmap-station")
                            - a.classList.contains("bookmap-station"); });
                    var kept = [], box = map.getContainer().getBoundingClientRect();
                    function inside(r) {
                        return r.left >= box.left && r.right <= box.right
                            && r.top >= box.top && r.bottom <= box.bottom;
                    }
                    labels.forEach(function (el) {
                        var station = el.classList.contains("bookmap-station");
                        el.style.visibility = "visible";
                        el.style.transform = "";
                        var moves = station ? [""] : MOVES, placed = false;
                        var best = "", fewest = Infinity;
                        for (var i = 0; i < moves.length && !placed; i++) {
                            el.style.transform = moves[i];
                            var r = el.getBoundingClientRect();
                            var clashes = kept.filter(function (k) { return overlaps(r, k); }).length;
                            if (inside(r) && clashes === 0) {
                                kept.push(r); placed = true;
                            } else {
                                // a place label that fits nowhere takes the position inside the
                                // frame with the fewest overlaps, not one past the frame's edge
                                var cost = clashes + (inside(r) ? 0 : 1000);
                                if (cost < fewest) { fewest = cost; best = moves[i]; }
                            }
                        }
                        if (!placed) {
                            if (station) { el.style.visibility = "hidden"; }
                            else { el.style.transform = best; kept.push(el.getBoundingClientRect()); }
                        }
                    });
                }
                // Labels are placed again whenever the view or the frame's size changes. The
                // page can still be laying out when the map is drawn (its width changes when a
                // scrollbar appears): until the reader touches the map, a new size refits the
                // first view at once rather than after Leaflet's 200 ms resize debounce.
                // folium's first fitBounds may animate, starting one frame later, so labels
                // count as placed (data-labels-placed: the size they were placed for) only at
                // the end of a move, or two frames after a call when no move has started.
                var touched = false, moving = false;
                ["mousedown", "touchstart", "wheel", "keydown"].forEach(function (type) {
                    map.getContainer().addEventListener(type, function () { touched = true; },
                                                        {passive: true});
                });
                function place() {
                    declutter();
                    var size = map.getSize();
                    document.documentElement.setAttribute("data-labels-placed",
                                                          size.x + "x" + size.y);
                }
                function settle() {
                    requestAnimationFrame(function () { requestAnimationFrame(function () {
                        if (!moving) { place(); }
                    }); });
                }
                map.on("movestart zoomstart", function () {
                    moving = true;
                    document.documentElement.removeAttribute("data-labels-placed");
                });
                map.on("moveend zoomend", function () { moving = false; place(); });
                map.on("resize", function () {
                    if (!touched) { map.fitBounds(home, {animate: false}); }
                    settle();
                });
                setTimeout(settle, 0);
                window.addEventListener("load", settle);
                if (document.fonts && document.fonts.ready) { document.fonts.ready.then(settle); }
                {% if this.attribution %}
                map.attributionControl.setPrefix(false);
                map.attributionControl.addAttribution({{ this.attribution|tojson }});
                {% endif %}
            })({{ this._parent.get_name() }});
        {% endmacro %}
        """)

    def __init__(self, bounds, attribution: str):
        super().__init__()
        self._name = "MapBehaviour"
        self.bounds = bounds
        self.attribution = escape_text(attribution)
        self.css = MAP_CSS


def legend_html(entries) -> str:
    """The legend's HTML: one swatch (a dot for points, a square for areas) and label per entry."""
    rows = []
    for label, colour, shape in entries:
        if not _COLOUR.fullmatch(str(colour)):
            raise ValueError(f"legend colour {colour!r} is not a hex colour such as #0072B2")
        radius = "50%" if shape == "point" else "2px"
        rows.append(f'<div><span style="display:inline-block;width:11px;height:11px;'
                    f'margin-right:5px;vertical-align:-1px;border:1px solid #333;'
                    f'border-radius:{radius};background:{colour}"></span>{escape_text(label)}</div>')
    return "".join(rows)


def _assert_no_remote_assets(page: str) -> None:
    """Fail loudly if any element would load a script or stylesheet from another host."""
    remote = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', page)
    if remote:
        raise RuntimeError(f"map would load remote assets {remote}; bundle them in _extra/vendor")


def _fit_title(ax) -> None:
    """Wrap the axes title onto more lines when it is wider than the figure (the static map
    is printed at the text width, so a long title would otherwise widen the image and shrink
    all its text)."""
    title = ax.title
    renderer = ax.figure.canvas.get_renderer()
    width = title.get_window_extent(renderer).width
    room = 0.95 * ax.figure.bbox.width
    if width > room:
        text = title.get_text()
        chars = max(12, int(len(text) * room / width))
        title.set_text("\n".join(textwrap.wrap(text, chars)))


def print_size(figsize) -> tuple[float, float]:
    """``figsize`` scaled down, keeping its shape, to at most the PDF's text width: the static
    map prints at 100 % and its font sizes are the printed sizes (at least 8 pt)."""
    width, height = figsize
    scale = min(1.0, style.PRINT_WIDTH_IN / width)
    return (width * scale, height * scale)


def add_scale_bar(ax, *, fraction=0.25):
    """A metric scale bar (axes in metres) with a round length near `fraction` of the width."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) * fraction
    length = max(n for n in (100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000) if n <= target
                 ) if target >= 100 else target
    xs, ys = x1 - (x1 - x0) * 0.05 - length, y0 + (y1 - y0) * 0.04
    ax.plot([xs, xs + length], [ys, ys], color="black", linewidth=3, solid_capstyle="butt")
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(xs + length / 2, ys + (y1 - y0) * 0.012, label, ha="center", va="bottom", fontsize=8)


def add_north_arrow(ax):
    ax.annotate("N", xy=(0.95, 0.95), xytext=(0.95, 0.86), xycoords="axes fraction",
                ha="center", va="center", fontsize=11, fontweight="bold",
                arrowprops=dict(facecolor="black", width=3, headwidth=9))


# -- static context for maps drawn outside BookMap (e.g. aicluster.ppfigures) ----------------
#: Light context under statistical maps: grey rail, thin water, small station dots.
QUIET_RAIL = "#9a9a9a"
#: Station names and attributions: the smallest size the book prints (style.MIN_PRINT_PT).
QUIET_TEXT_PT = float(style.MIN_PRINT_PT)
#: Labels of places and areas on the static maps (points, printed size): the same size.
LABEL_PT = float(style.MIN_PRINT_PT)
#: The static map's title (points, printed size).
TITLE_PT = 11.0


@dataclass(frozen=True)
class QuietContext:
    """Colours of :func:`draw_quiet_context`: ``light`` for pale maps, ``dark`` over a dark
    raster (e.g. a density surface)."""

    rail: str = QUIET_RAIL
    water: str = WATER_COLOUR
    station_fill: str = STATION_FILL
    station_edge: str = "#777777"
    station_size: float = 9.0
    alpha: float = 1.0
    text: str = CONTEXT_TEXT
    halo: str = "white"


QUIET_LIGHT = QuietContext()
# Over a dark raster: pale, half transparent, stations as small hollow rings so that they are
# not confused with the data's white dots.
QUIET_DARK = QuietContext(rail="#d9d9d9", water="#9ecae1", station_fill="none",
                          station_edge="#d9d9d9", station_size=6.0, alpha=0.45, text="white",
                          halo="#222222")


def context_in_view(ax, crs, ctx=None) -> dict[str, gpd.GeoDataFrame]:
    """The context layers (``rivers``, ``lakes``, ``lines``, ``stations``) clipped to the
    axes' current limits (in ``crs`` metres, padded by 5 %) and projected to ``crs``."""
    ctx = ctx or context.load_context()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    pad = 0.05 * max(x1 - x0, y1 - y0)
    view = gpd.GeoSeries([box(x0 - pad, y0 - pad, x1 + pad, y1 + pad)], crs=crs)
    clip = view.to_crs("EPSG:4326").iloc[0]
    return {name: _clip(getattr(ctx, name), clip).to_crs(crs)
            for name in ("rivers", "lakes", "lines", "stations")}


def draw_quiet_context(ax, crs, *, colours: QuietContext = QUIET_LIGHT, ctx=None,
                       zorder: float = 1.5) -> dict[str, gpd.GeoDataFrame]:
    """Rail lines (thin, grey; railways dashed), stations, the Yongding river and lakes under the
    data of a metric map whose limits are already set. Returns the layers drawn (see
    :func:`context_in_view`; label the stations with :func:`label_stations` once the data and
    its labels are drawn); the axes' limits are kept."""
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    layers = context_in_view(ax, crs, ctx)
    if len(layers["lakes"]):
        layers["lakes"].plot(ax=ax, color=colours.water, alpha=0.5 * colours.alpha, lw=0,
                             zorder=zorder)
    for geom in layers["rivers"].geometry:
        ax.plot(*geom.xy, color=colours.water, lw=1.4, zorder=zorder, alpha=colours.alpha,
                gid="context-river")
    for row in layers["lines"].itertuples():
        ax.plot(*row.geometry.xy, color=colours.rail, lw=0.9, zorder=zorder + 0.1,
                alpha=colours.alpha, ls=(0, (4, 2)) if row.kind == "railway" else "-",
                gid="context-rail")
    layers["stations"] = layers["stations"].drop_duplicates("name_zh").reset_index(drop=True)
    stations = layers["stations"]
    if len(stations):
        ax.scatter(stations.geometry.x, stations.geometry.y, s=colours.station_size,
                   facecolor=colours.station_fill, edgecolor=colours.station_edge, lw=0.6,
                   alpha=colours.alpha, zorder=zorder + 0.2, gid="context-stations")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    return layers


#: Offsets (points), ha, va tried in turn by :func:`place_labels`.
LABEL_OFFSETS = (((4, -3), "left", "top"), ((4, 3), "left", "bottom"),
                 ((-4, 3), "right", "bottom"), ((-4, -3), "right", "top"),
                 ((0, 6), "center", "bottom"), ((0, -6), "center", "top"))
#: Farther offsets for labels that must be shown (drawn with a thin leader line).
FAR_OFFSETS = (((12, 12), "left", "bottom"), ((-12, -12), "right", "top"),
               ((12, -12), "left", "top"), ((-12, 12), "right", "bottom"),
               ((0, 16), "center", "bottom"), ((0, -16), "center", "top"),
               ((18, 0), "left", "center"), ((-18, 0), "right", "center"),
               ((20, 22), "left", "bottom"), ((-20, -22), "right", "top"))


def marker_boxes(ax, xy, half_pt: float = 4.0) -> list:
    """Display-space boxes, ``half_pt`` points from centre to edge, around the markers at data
    coordinates ``xy`` (n, 2)."""
    half_px = half_pt * ax.figure.dpi / 72
    boxes = []
    for x, y in ax.transData.transform(np.asarray(xy, dtype=float).reshape(-1, 2)):
        boxes.append(Bbox.from_extents(x - half_px, y - half_px, x + half_px, y + half_px))
    return boxes


def place_labels(ax, items, obstacles: list, *, required: bool, offsets=LABEL_OFFSETS,
                 **text_kw) -> list:
    """Annotate ``items`` ((x, y), text) at the first offset where the label stays inside the
    axes and overlaps no box in ``obstacles`` (which grows with each label placed). A
    ``required`` label also tries :data:`FAR_OFFSETS` (with a thin leader line) and, if it fits
    nowhere, takes the offset where it covers the least; any other label that fits nowhere is
    dropped. Returns the annotations."""
    ax.apply_aspect()  # measure in the box the axes will be drawn in
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    tries = tuple(offsets) + (FAR_OFFSETS if required else ())
    leader = {"arrowstyle": "-", "lw": 0.5, "color": text_kw.get("color", "black"),
              "shrinkA": 0, "shrinkB": 3}

    def annotate(text, xy, offset, ha, va):
        far = abs(offset[0]) + abs(offset[1]) > 16
        ann = ax.annotate(text, xy, xytext=offset, textcoords="offset points", ha=ha, va=va,
                          annotation_clip=True, parse_math=False,
                          arrowprops=leader if far else None, **text_kw)
        ann.set_in_layout(False)  # placed inside the frame: the layout must not move for it
        return ann

    def clash(ext) -> float:
        """Badness of a place: the area (px²) shared with obstacles, ten times (text over text
        is unreadable), plus the area outside the frame (text over the margin still reads)."""
        shared = sum(max(0.0, min(ext.x1, o.x1) - max(ext.x0, o.x0))
                     * max(0.0, min(ext.y1, o.y1) - max(ext.y0, o.y0)) for o in obstacles)
        inside = (max(0.0, min(ext.x1, frame.x1) - max(ext.x0, frame.x0))
                  * max(0.0, min(ext.y1, frame.y1) - max(ext.y0, frame.y0)))
        return 10 * shared + ext.width * ext.height - inside

    made = []
    for xy, text in items:
        best = None  # (clash, order, offset): the least bad place when none is free
        for order, (offset, ha, va) in enumerate(tries):
            ann = annotate(text, xy, offset, ha, va)
            cost = clash(ann.get_window_extent(renderer))
            if cost == 0:
                break
            ann.remove()
            best = min(best or (cost, order, offset), (cost, order, offset))
        else:
            if not required:
                continue
            ann = annotate(text, xy, *tries[best[1]])
        obstacles.append(ann.get_window_extent(renderer))
        made.append(ann)
    return made


def label_stations(ax, stations, obstacles: list, colours: QuietContext = QUIET_LIGHT) -> list:
    """Italic grey station names (sorted, stable) wherever they clear ``obstacles`` (the data's
    markers and labels) and each other; the others are left unnamed."""
    halo = [patheffects.withStroke(linewidth=2.0, foreground=colours.halo)]
    items = [((row.geometry.x, row.geometry.y), row.name_zh)
             for row in stations.sort_values("name_zh").itertuples()]
    return place_labels(ax, items, obstacles + marker_boxes(ax, [xy for xy, _ in items], 2.0),
                        required=False, fontsize=QUIET_TEXT_PT, color=colours.text,
                        fontstyle="italic", path_effects=halo, zorder=2.5,
                        gid="context-station-label")


def quiet_context_handles(layers: dict, colours: QuietContext = QUIET_LIGHT) -> list:
    """Legend entries for the context layers that :func:`draw_quiet_context` drew."""
    handles = []
    if len(layers["lines"]):
        handles.append(Line2D([], [], color=colours.rail, lw=0.9,
                              label="Rail (OpenStreetMap; straight between stations)"))
    if len(layers["stations"]):
        handles.append(Line2D([], [], marker="o", ls="", markerfacecolor=colours.station_fill,
                              markeredgecolor=colours.station_edge, label="Station"))
    if len(layers["rivers"]):
        handles.append(Line2D([], [], color=colours.water, lw=1.4,
                              label="Yongding river 永定河 (Natural Earth)"))
    return handles


def add_attribution(fig, text=None, *, y=0.005) -> None:
    """The context layers' credit line at the bottom right of ``fig``."""
    fig.text(0.995, y, context.attribution_text() if text is None else text, ha="right",
             va="bottom", fontsize=QUIET_TEXT_PT, color=CONTEXT_TEXT, gid="context-attribution")
