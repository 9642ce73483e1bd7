"""One map object for both books: interactive Leaflet in HTML, a static PNG in the PDF.

`BookMap` collects layers (polygons, points, precision circles) and displays as a MIME bundle
with `text/html` (a folium map in an iframe) and `image/png` (geopandas/matplotlib, drawn in
UTM 50N with a scale bar and north arrow). myst-nb's HTML builder picks `text/html`; its LaTeX
builder never uses `text/html` and takes the PNG.

The interactive map needs no network: Leaflet is loaded from the book's own `_extra/vendor/`
(`_extra/vendor/`, relative to the chapter page), element ids are deterministic, and the OpenStreetMap base layer
is off by default (a reader can switch it on; without it polygons and points still show).
Text from data is HTML-escaped before it reaches a tooltip or popup. A tooltip field whose value
is a list or tuple shows one (escaped) line per item. The interactive map also shows the static map's legend (colour swatches and labels, escaped) as a Leaflet control (``html_legend=False`` leaves it out).
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import itertools
import re
from dataclasses import dataclass, field

import branca.element
import folium
import geopandas as gpd
import jinja2
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from . import escape, style
from .geo import UTM50N

# Relative to a page in chapters/: the build copies _extra/vendor/ to the site root.
ASSET_BASE = "../vendor/leaflet"
LEAFLET_JS = [("leaflet", f"{ASSET_BASE}/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", f"{ASSET_BASE}/leaflet.css")]
# Only when the bundled copy cannot be found (e.g. a notebook opened in JupyterLab, where
# relative paths do not reach _static/) does the map fall back to the public CDN copy.
_FALLBACK = (
    '<script>if(typeof L==="undefined"){'
    'document.write(\'<link rel="stylesheet" href="https://unpkg.com/leaflet@1.9.4/dist/leaflet.css"/>\');'
    'document.write(\'<script src="https://unpkg.com/leaflet@1.9.4/dist/leaflet.js"><\\/script>\');}'
    "</script>"
)
OSM_ATTRIBUTION = ('&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
                   "contributors")


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


class BookMap:
    """A map displayed as interactive Leaflet (HTML book) and static PNG (PDF book)."""

    def __init__(self, title: str, *, map_id: str | None = None, height: int = 480,
                 figsize=(8, 6.5), basemap: bool = True, html_legend: bool = True):
        self.title = title
        self.html_legend = html_legend
        self.map_id = map_id or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        self.height = height
        self.figsize = figsize
        self.basemap = basemap
        self.layers: list[_Layer] = []
        self._png: bytes | None = None

    # -- building -------------------------------------------------------------------------
    def polygons(self, gdf, *, name, colour="#999999", colour_col=None, label_col=None,
                 fields=None, fill_opacity=0.35, weight=1.0, legend=None, annotate_col=None):
        """Add polygons. `label_col` and `fields` (column -> label) make the tooltip;
        `annotate_col` holds the text printed on the static map (empty: no label)."""
        self.layers.append(_Layer("polygons", _wgs84(gdf), name, colour, colour_col, label_col,
                                  dict(fields or {}), fill_opacity=fill_opacity, weight=weight,
                                  legend=legend, annotate_col=annotate_col))
        self._png = None
        return self

    def points(self, gdf, *, name, colour="#0072B2", colour_col=None, label_col=None,
               fields=None, radius_px=6, legend=None, annotate_col=None):
        """Add points (tooltip and popup as for polygons)."""
        self.layers.append(_Layer("points", _wgs84(gdf), name, colour, colour_col, label_col,
                                  dict(fields or {}), radius_px=radius_px, legend=legend,
                                  annotate_col=annotate_col))
        self._png = None
        return self

    def circles(self, gdf, *, name, radius_col, colour="#0072B2", colour_col=None):
        """Circles of a radius in metres (e.g. each coordinate's precision)."""
        self.layers.append(_Layer("circles", _wgs84(gdf), name, colour, colour_col,
                                  radius_col=radius_col, fill_opacity=0.08))
        self._png = None
        return self

    # -- interactive ----------------------------------------------------------------------
    def folium_map(self) -> folium.Map:
        with stable_ids(self.map_id):
            return self._build_folium()

    def _build_folium(self) -> folium.Map:
        bounds = self._bounds()
        fmap = folium.Map(location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
                          tiles=None, zoom_control=True, control_scale=True,
                          width="100%", height="100%")  # fills the iframe
        fmap.default_js = list(LEAFLET_JS)
        fmap.default_css = list(LEAFLET_CSS)
        if self.basemap:
            folium.TileLayer("OpenStreetMap", name="OpenStreetMap base map (online only)",
                             attr=OSM_ATTRIBUTION, show=False, control=True).add_to(fmap)
        for layer in self.layers:
            self._add_folium_layer(fmap, layer)
        if self.html_legend and self.legend_entries():
            HtmlLegend(self.legend_entries()).add_to(fmap)
        folium.LayerControl(collapsed=True).add_to(fmap)
        fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
        return fmap

    def _add_folium_layer(self, fmap, layer: _Layer) -> None:
        group = folium.FeatureGroup(name=escape_text(layer.name), show=True)
        for index, row in layer.gdf.iterrows():
            with self._naming_row(layer, index, row):
                self._add_folium_feature(group, layer, row)
        group.add_to(fmap)

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

    def _add_folium_feature(self, group, layer: _Layer, row) -> None:
        colour = row[layer.colour_col] if layer.colour_col else layer.colour
        tip = self._tooltip_html(layer, row)
        if layer.kind == "polygons":
            folium.GeoJson(
                row.geometry.__geo_interface__,
                style_function=_constant_style(colour, layer.fill_opacity, layer.weight),
                tooltip=folium.Tooltip(tip, sticky=True) if tip else None,
            ).add_to(group)
        elif layer.kind == "points":
            folium.CircleMarker(
                location=[row.geometry.y, row.geometry.x], radius=layer.radius_px,
                color="#222222", weight=1, fill=True, fill_color=colour, fill_opacity=0.9,
                # No folium.Popup: its template calls jQuery, which the offline bundle
                # does not load ("$ is not defined" would stop the rest of the map).
                tooltip=folium.Tooltip(tip) if tip else None,
            ).add_to(group)
        else:
            folium.Circle(location=[row.geometry.y, row.geometry.x],
                          radius=float(row[layer.radius_col]), color=colour, weight=1,
                          fill=True, fill_opacity=layer.fill_opacity).add_to(group)

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
        page = page.replace(f'<script src="{LEAFLET_JS[0][1]}"></script>',
                            f'<script src="{LEAFLET_JS[0][1]}"></script>{_FALLBACK}', 1)
        return (f'<iframe class="bookmap" id="bookmap-{self.map_id}" title="{escape_text(self.title)}" '
                f'srcdoc="{html.escape(page, quote=True)}" style="width:100%;height:{self.height}px;'
                'border:1px solid #ccc"></iframe>')

    # -- static ---------------------------------------------------------------------------
    def figure(self):
        """The static map as a matplotlib figure in UTM 50N with scale bar and north arrow."""
        with plt.rc_context(style.book_rc()):
            return self._draw_figure()

    def _draw_figure(self):
        fig, ax = plt.subplots(figsize=self.figsize)
        handles = []
        for layer in self.layers:
            gdf = layer.gdf.to_crs(UTM50N)
            colours = gdf[layer.colour_col] if layer.colour_col else layer.colour
            if layer.kind == "polygons":
                gdf.plot(ax=ax, color=colours, alpha=min(1.0, layer.fill_opacity + 0.25),
                         edgecolor="#333333", linewidth=0.6)
            elif layer.kind == "points":
                gdf.plot(ax=ax, color=colours, markersize=layer.radius_px ** 2 * 1.2,
                         edgecolor="#222222", linewidth=0.5, zorder=5)
            else:
                gdf.buffer(gdf[layer.radius_col]).plot(ax=ax, facecolor="none",
                                                       edgecolor=colours, linewidth=0.5)
            if layer.annotate_col:
                self._annotate(ax, gdf, layer)
            handles += _legend_handles(layer)
        ax.set_axis_off()
        ax.set_aspect("equal")
        add_scale_bar(ax)
        add_north_arrow(ax)
        ax.set_title(escape.mathtext(self.title))
        if handles:
            ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=True)
        fig.tight_layout()
        return fig

    def _annotate(self, ax, gdf, layer):
        for index, row in gdf.iterrows():
            with self._naming_row(layer, index, row):
                self._annotate_one(ax, row, layer)

    @staticmethod
    def _annotate_one(ax, row, layer):
        text = row[layer.annotate_col]
        if not isinstance(text, str) or not text:
            return
        pt = row.geometry.representative_point() if layer.kind == "polygons" else row.geometry
        ax.annotate(text, (pt.x, pt.y), fontsize=7, ha="center", parse_math=False,
                    va="center" if layer.kind == "polygons" else "bottom",
                    xytext=(0, 0 if layer.kind == "polygons" else 5),
                    textcoords="offset points", zorder=6)

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


def _constant_style(colour, fill_opacity, weight):
    def style_function(_feature):
        return {"color": "#333333", "weight": weight, "fillColor": colour,
                "fillOpacity": fill_opacity}
    return style_function


def _legend_handles(layer: _Layer):
    if not layer.legend:
        return []
    if layer.kind == "points":
        return [Line2D([], [], marker="o", linestyle="", markerfacecolor=c,
                       markeredgecolor="#222222", label=escape.mathtext(lab))
                for lab, c in layer.legend.items()]
    return [Patch(facecolor=c, edgecolor="#333333", label=escape.mathtext(lab))
            for lab, c in layer.legend.items()]


_COLOUR = re.compile(r"#[0-9A-Fa-f]{3}(?:[0-9A-Fa-f]{3})?")


class HtmlLegend(branca.element.MacroElement):
    """A legend for the interactive map: a Leaflet control (bottom left) built with plain
    JavaScript (no jQuery), its labels HTML-escaped and its colours checked to be hex codes."""

    _template = jinja2.Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: "bottomleft"});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create("div", "bookmap-legend");
                div.innerHTML = {{ this.inner_html|tojson }};
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """)

    def __init__(self, entries):
        super().__init__()
        self._name = "HtmlLegend"
        self.inner_html = legend_html(entries)


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
    return ('<div style="background:rgba(255,255,255,0.9);padding:5px 8px;border-radius:4px;'
            'box-shadow:0 0 4px rgba(0,0,0,0.3);font:12px/1.5 sans-serif">' + "".join(rows)
            + "</div>")


def _assert_no_remote_assets(page: str) -> None:
    """Fail loudly if any element would load a script or stylesheet from another host."""
    remote = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', page)
    if remote:
        raise RuntimeError(f"map would load remote assets {remote}; bundle them in _extra/vendor")


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
