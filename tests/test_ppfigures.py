"""aicluster.ppfigures: each figure has its panels and artists, is byte-stable, and checks its
inputs.  Drawn from the synthetic district of test_point_patterns_chapter with few simulations."""
import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from PIL import Image

import aicluster
from aicluster import clusterstats as cs
from aicluster import context, haidian, paths, style
from aicluster import pointpattern as pp
from aicluster import ppfigures as ppf
from test_point_patterns_chapter import synthetic_chapter

R = np.arange(0.0, 1001.0, 100.0)


@pytest.fixture(autouse=True)
def book_style():
    with plt.rc_context(style.book_rc()):
        yield
    plt.close("all")


@pytest.fixture(scope="module")
def chapter():
    """The synthetic chapter's results, as the notebook computes them (few simulations)."""
    places, sites, institutions, xy, windows = synthetic_chapter()
    gen = np.random.default_rng(1)
    loc, _ = cs.distinct_locations(xy)
    core = windows["core"][1]
    curves = [ppf.CurvePanel(title, R, pp.l_function(loc, w, R) - R,
                             np.array([pp.l_function(pp.csr(w, len(loc), gen), w, R) - R
                                       for _ in range(19)]), f"{len(loc)} distinct locations",
                             critical=50.0)
              for title, w in (("All", windows["haidian"][1]), ("Core", core))]
    grid = np.arange(0.0, 3001.0, 100.0)
    inst = haidian.xy(institutions)
    cross = [ppf.CurvePanel("CSR", grid, pp.g_cross(loc, inst, core, grid, "none"),
                            np.array([pp.g_cross(pp.csr(core, len(loc), gen), inst, core, grid,
                                                 "none") for _ in range(19)]), "locations")]
    copies = {"A": gen.uniform(size=4), "B": gen.uniform(size=4)}
    db = cs.dbscan_sensitivity(xy, (2, 3, 4), cs.WALK_EPS_M)
    layers = ppf.map_layers(windows, 1000.0, institutions, xy)
    return {"sites": sites, "xy": xy, "layers": layers, "curves": curves, "cross": cross,
            "copies": copies, "recorded": {"A": 0.01, "B": 0.5},
            "knee": cs.knee_setting(db, 3),
            "surfaces": cs.kde_surfaces(xy, 750.0, layers.zoom_extent(1500.0), cell=100.0)}


FIGURES = {
    "windows": lambda c: ppf.windows_figure(c["layers"]),
    "l_function": lambda c: ppf.l_excess_figure(c["curves"]),
    "proximity_cdf": lambda c: ppf.cross_g_figure(c["cross"]),
    "sensitivity": lambda c: ppf.sensitivity_figure(c["copies"], c["recorded"], 4, rng=6),
    "dbscan": lambda c: ppf.dbscan_figure(c["xy"], c["knee"], c["layers"]),
    "kde": lambda c: ppf.kde_figure(c["surfaces"], c["layers"]),
}


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


# --- map layers --------------------------------------------------------------------------------

def test_map_layers_hold_the_locations_and_the_universities_names(chapter):
    layers = chapter["layers"]
    assert layers.locations.shape == (6, 2) and layers.multiplicity.tolist() == [3, 1, 1, 1, 1, 1]
    assert layers.university_names == ("北方大学", "南方大学", None)
    x0, y0, x1, y1 = layers.zoom_extent(100.0)
    cx0, cy0, cx1, cy1 = layers.core.bounds
    assert (x0, y0, x1, y1) == (cx0 - 100, cy0 - 100, cx1 + 100, cy1 + 100)


def test_map_layers_are_checked(chapter):
    layers = chapter["layers"]
    with pytest.raises(ValueError, match="one university name"):
        ppf.MapLayers(layers.district, layers.core, layers.buffer, 1000.0, layers.institutions,
                      ("北方大学",), layers.locations, layers.multiplicity)
    with pytest.raises(ValueError, match="one multiplicity per location"):
        ppf.MapLayers(layers.district, layers.core, layers.buffer, 1000.0, layers.institutions,
                      layers.university_names, layers.locations, layers.multiplicity[:2])
    with pytest.raises(ValueError, match="buffer_m"):
        ppf.MapLayers(layers.district, layers.core, layers.buffer, 0.0, layers.institutions,
                      layers.university_names, layers.locations, layers.multiplicity)


# --- each figure: panels and artists -----------------------------------------------------------

def test_windows_figure(chapter):
    fig = ppf.windows_figure(chapter["layers"])
    ax1, ax2 = fig.axes
    assert ax1.get_title() == "Haidian 海淀: the strawman window"
    assert ax2.get_title() == "The urban core (dashed box on the left)"
    assert [t for t in texts(ax2) if t.isdigit()] == ["1", "2", "3", "4", "5", "6"]
    names = [t.get_text() for t in ax2.texts if t.get_gid() != "context-station-label"
             and not t.get_text().isdigit() and t.get_text() != "N"
             and not t.get_text().endswith("m")]
    assert names == ["北方大学", "南方大学"]  # universities named in Chinese, institutes not
    for ax in (ax1, ax2):  # scale bar and north arrow
        assert "N" in texts(ax) and any(t.endswith("km") or t.endswith(" m") for t in texts(ax))
        assert ax.get_aspect() == 1.0 and not ax.get_xticks().size
    assert len(ax1.patches) >= 1  # the dashed zoom box
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()][3] == "Within 1 km of knowledge/AI places"


def test_l_excess_figure_gives_each_panel_its_own_scale(chapter):
    curves = chapter["curves"]
    fig = ppf.l_excess_figure(curves)
    assert len(fig.axes) == 2
    for ax, pan in zip(fig.axes, curves):
        assert ax.get_title() == pan.title
        np.testing.assert_allclose(ax.lines[-1].get_ydata(), pan.observed)
        lo, hi = ax.get_ylim()
        assert lo <= pan.observed.min() and hi >= pan.observed.max()
    # not a shared y axis: each panel is scaled to its own curves
    assert fig.axes[0].get_shared_y_axes().get_siblings(fig.axes[0]) == [fig.axes[0]]
    for text in [t for ax in fig.axes for t in (ax.title, ax.xaxis.label)]:
        assert text.get_fontsize() >= 8
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[-1] == "6 distinct locations" and fig.legends[0].get_texts()[0].get_fontsize() >= 8


def test_cross_g_figure(chapter):
    fig = ppf.cross_g_figure(chapter["cross"])
    (ax,) = fig.axes
    obs = ax.lines[-1].get_ydata()
    assert obs[0] == 0 and obs[-1] == 1  # every location within 3 km of an institution
    with pytest.raises(ValueError, match="simulated"):
        ppf.CurvePanel("x", np.arange(3.0), np.zeros(3), np.zeros((5, 4)), "obs")


def test_sensitivity_figure(chapter):
    fig = ppf.sensitivity_figure(chapter["copies"], chapter["recorded"], 4, rng=6)
    (ax,) = fig.axes
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(dots) == 4  # copies and recorded value, for each of two tests
    assert dots[1].get_offsets()[0][1] == 0.01
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "B"]
    assert fig.legends[0].get_texts()[0].get_text() == "4 displaced copies"
    with pytest.raises(ValueError, match="exactly the tests"):
        ppf.sensitivity_figure(chapter["copies"], {"A": 0.1}, 4)


def test_dbscan_figure(chapter):
    knee = chapter["knee"]
    fig = ppf.dbscan_figure(chapter["xy"], knee, chapter["layers"])
    ax1, ax2 = fig.axes
    assert len(ax1.lines) == 3 * 2 + len(cs.WALK_EPS_M)  # curves, knees, walking radii
    labels = np.array(knee["labels"])
    legend = [t.get_text() for t in ax2.get_legend().get_texts()]
    assert len(legend) == len(np.unique(labels))
    assert f"cluster 1 ({np.sum(labels == 0)})" in legend
    assert ax2.get_title().replace("\n", " ") == (f"DBSCAN at the knee: eps = {knee['eps_m']:,.0f} m, "
                               "min_samples = 3")
    with pytest.raises(ValueError, match="one entry per point"):
        ppf.dbscan_figure(chapter["xy"][:5], knee, chapter["layers"])


def test_kde_figure(chapter):
    surfaces = chapter["surfaces"]
    fig = ppf.kde_figure(surfaces, chapter["layers"])
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 4 and len(fig.axes) == 8  # four maps, four colour bars
    assert [ax.get_title() for ax in panels] == [
        "h = 500 m (fixed)", "h = 1,000 m (fixed)", "h = 2,000 m (fixed)",
        "h = 750 m (cross-validated)"]
    for ax, s in zip(panels, surfaces):
        np.testing.assert_array_equal(ax.images[0].get_array(), s.z)
        assert ax.texts[-1].get_color() == "white"  # the scale bar, legible on the dark map
    with pytest.raises(ValueError, match="four panels"):
        ppf.kde_figure(surfaces[:3], chapter["layers"])


MAPS = {  # figure -> the map axes in it
    "windows": lambda fig: fig.axes,
    "dbscan": lambda fig: fig.axes[1:],
    "kde": lambda fig: [ax for ax in fig.axes if ax.images],
}


@pytest.mark.parametrize("name", sorted(MAPS))
def test_maps_draw_the_context_layers_under_the_data_with_attribution(chapter, name):
    """The synthetic district lies in Haidian (EPSG:4548), so rail lines and stations are in
    view: each map draws them (thin, under the data points), with scale bar and north arrow,
    and the figure credits OpenStreetMap and Natural Earth."""
    fig = FIGURES[name](chapter)
    for ax in MAPS[name](fig):
        rail = [ln for ln in ax.lines if ln.get_gid() == "context-rail"]
        assert rail and all(ln.get_linewidth() <= 1.0 for ln in rail)
        stations = [c for c in ax.collections if c.get_gid() == "context-stations"]
        assert len(stations) == 1 and len(stations[0].get_offsets()) >= 1
        data = [c for c in ax.collections if isinstance(c, PathCollection)
                and c.get_gid() is None]
        assert data and min(c.get_zorder() for c in data) > max(
            ln.get_zorder() for ln in rail + stations)
        assert "N" in texts(ax)
        assert any(t.endswith(" km") or t.endswith(" m") for t in texts(ax))
    credit = [t.get_text() for t in fig.texts if t.get_gid() == "context-attribution"]
    assert credit == [context.attribution_text()]
    assert "© OpenStreetMap contributors" in credit[0] and "Natural Earth" in credit[0]
    assert all(t.get_fontsize() >= 8 for t in fig.texts)


def test_zoomed_maps_name_the_stations_in_view(chapter):
    fig = ppf.windows_figure(chapter["layers"])
    zoom = fig.axes[1]
    labels = [t for t in zoom.texts if t.get_gid() == "context-station-label"]
    assert labels and all(t.get_fontsize() >= 8 for t in labels)
    x0, x1 = zoom.get_xlim()
    y0, y1 = zoom.get_ylim()
    assert all(x0 <= t.xy[0] <= x1 and y0 <= t.xy[1] <= y1 for t in labels)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any(t.startswith("Rail (OpenStreetMap") for t in legend)


def test_empty_results_are_rejected():
    with pytest.raises(ValueError, match="at least one panel"):
        ppf.l_excess_figure([])


# --- deterministic files -----------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figures_are_byte_identical_when_drawn_and_saved_twice(chapter, name, tmp_path,
                                                                monkeypatch):
    monkeypatch.setattr(paths, "FIGURES", tmp_path)
    saved = []
    for _ in range(2):
        fig = FIGURES[name](chapter)
        ppf.save(fig, f"{name}.png")
        assert not plt.fignum_exists(fig.number)  # save closes the figure
        saved.append((tmp_path / f"{name}.png").read_bytes())
        (tmp_path / f"{name}.png").unlink()
    assert saved[0] == saved[1]
    assert b"Software" not in saved[0]
    assert Image.open(io.BytesIO(saved[0])).size[0] > 600


def test_palette_png_for_the_density_maps(chapter, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "FIGURES", tmp_path)
    ppf.save(FIGURES["kde"](chapter), "kde.png", colours=256)
    assert Image.open(tmp_path / "kde.png").mode == "P"


# --- glue_all ----------------------------------------------------------------------------------

def test_glue_all_keeps_the_order_and_glues_sentences_as_markdown(monkeypatch):
    from IPython.display import Markdown

    glued = []
    monkeypatch.setattr(aicluster, "glue", lambda name, value: glued.append((name, value)))
    aicluster.glue_all({"n": 3, "sentence": "Three *buildings*.", "p": 0.5}, markdown=["sentence"])
    assert [name for name, _ in glued] == ["n", "sentence", "p"]
    assert glued[0][1] == 3 and glued[2][1] == 0.5
    assert isinstance(glued[1][1], Markdown) and glued[1][1].data == "Three *buildings*."
    with pytest.raises(KeyError, match="typo"):
        aicluster.glue_all({"n": 3}, markdown=["typo"])


def test_locations_can_be_labelled_with_the_place_keys_of_their_buildings(chapter):
    """With one key per building, each location shows the keys of the buildings at it (the
    three tied buildings as a range), as every other chapter keys its places."""
    places, sites, institutions, xy, windows = synthetic_chapter()
    keys = [f"H{i:02d}" for i in range(1, len(xy) + 1)]
    layers = ppf.map_layers(windows, 1000.0, institutions, xy, site_keys=keys)
    assert layers.location_keys == ("H01\u2013H03", "H04", "H05", "H06", "H07", "H08")
    fig = ppf.windows_figure(layers)
    shown = [t.get_text() for t in fig.axes[1].texts]
    assert set(layers.location_keys) <= set(shown)
    with pytest.raises(ValueError, match="one key per building"):
        ppf.map_layers(windows, 1000.0, institutions, xy, site_keys=keys[:3])


def test_universities_carry_their_place_keys_from_the_book_data():
    """The real institutions all have keys in data/place_keys.csv: the map names a university
    as 'H23 清华大学', the key of every other chapter."""
    from aicluster import context as ctx

    places = haidian.haidian_places()
    inst = haidian.of_kinds(places, haidian.INSTITUTION_KINDS)
    keys = ctx.with_keys(inst)["key"].tolist()
    assert ppf._institution_keys(inst) == tuple(keys)
    partial = inst.copy()
    partial.loc[partial.index[0], "place_id"] = "not_a_place"
    with pytest.raises(ValueError, match="institutions without a key"):
        ppf._institution_keys(partial)


def test_map_labels_do_not_overlap_in_the_saved_figure(chapter):
    """Measured after a save at the book's resolution (a save re-applies the aspect): no two
    labels of the zoomed map overlap, and the station labels stay inside the frame."""
    fig = ppf.windows_figure(chapter["layers"])
    fig.savefig(io.BytesIO(), dpi=style.DPI, bbox_inches="tight")
    ax = fig.axes[1]
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_text() != "N"]
    for i, a in enumerate(boxes):
        assert not any(a.overlaps(b) for b in boxes[i + 1:])
    frame = ax.get_window_extent(renderer)
    for t in ax.texts:
        if t.get_gid() == "context-station-label":
            box = t.get_window_extent(renderer)
            assert frame.x0 <= box.x0 and box.x1 <= frame.x1
