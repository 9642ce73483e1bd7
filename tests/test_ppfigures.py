"""aicluster.ppfigures: each figure has its panels and artists, is byte-stable, and checks its
inputs.  Drawn from the synthetic district of test_clusters with few simulations."""
import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection, PolyCollection
from PIL import Image

import aicluster
from aicluster import clusters as cl
from aicluster import haidian, paths, style
from aicluster import ppfigures as ppf
from test_clusters import ORIGIN, synthetic_chapter

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
    inst = haidian.xy(institutions)
    ce = cl.clark_evans_by_window(windows, xy, 19, seed=(1, 1))
    lf = cl.l_function_by_window(windows, xy, 19, seed=(1, 2), ties_seed=(1, 3), r=R)
    prox = cl.proximity_by_window(windows, inst, cl.nearest_distances(xy, inst), 19, seed=(1, 4))
    sens = cl.sensitivity_by_window(windows, xy, 200.0, inst, nrep=4, nsim=19, seed=(1, 5))
    db = cl.dbscan_sensitivity(xy, (2, 3, 4), cl.WALK_EPS_M)
    layers = ppf.map_layers(windows, 1000.0, institutions, xy)
    return {"sites": sites, "xy": xy, "layers": layers, "ce": ce, "lf": lf, "prox": prox,
            "sens": sens, "recorded": cl.recorded_p_values(ce, lf, prox),
            "knee": cl.knee_setting(db, 3),
            "surfaces": cl.kde_surfaces(xy, 750.0, layers.zoom_extent(1500.0), cell=100.0)}


FIGURES = {
    "windows": lambda c: ppf.windows_figure(c["layers"]),
    "l_function": lambda c: ppf.l_function_figure(c["lf"]),
    "proximity_cdf": lambda c: ppf.proximity_cdf_figure(c["prox"]),
    "sensitivity": lambda c: ppf.sensitivity_figure(c["sens"], c["recorded"], rng=6),
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
    names = [t for t in texts(ax2) if not t.isdigit() and t != "N" and not t.endswith("m")]
    assert names == ["北方大学", "南方大学"]  # universities named in Chinese, institutes not
    for ax in (ax1, ax2):  # scale bar and north arrow
        assert "N" in texts(ax) and any(t.endswith("km") or t.endswith(" m") for t in texts(ax))
        assert ax.get_aspect() == 1.0 and not ax.get_xticks().size
    assert len(ax1.patches) >= 1  # the dashed zoom box
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()][3] == "Within 1 km of knowledge/AI places"


def test_l_function_figure(chapter):
    lf = chapter["lf"]
    fig = ppf.l_function_figure(lf)
    assert len(fig.axes) == 3
    for ax, res in zip(fig.axes, lf.values()):
        assert ax.get_title() == f"{res.name}\nMAD p = {res.mad.p_value:.3f}"
        assert len(ax.lines) == 5 and sum(isinstance(c, PolyCollection) for c in ax.collections) == 1
        blue = ax.lines[3]
        np.testing.assert_allclose(blue.get_ydata(), res.excess)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "pointwise range of simulations", "global 5 % envelope (MAD)",
        "8 recorded points, with ties", "6 distinct locations"]


def test_proximity_cdf_figure(chapter):
    prox = chapter["prox"]
    fig = ppf.proximity_cdf_figure(prox)
    assert len(fig.axes) == 3
    for ax, res in zip(fig.axes, prox.values()):
        assert ax.get_title().endswith(f"mean distance p = {res.tests['mean'].p_value:.3f}")
        sites_cdf = ax.lines[-1].get_ydata()
        assert sites_cdf[0] == 0 and sites_cdf[-1] == 1  # no building is 4 km from an institution
    assert "8 AI buildings" in [t.get_text() for t in fig.legends[0].get_texts()]
    with pytest.raises(ValueError, match="increasing"):
        ppf.proximity_cdf_figure(prox, grid=[0, 100, 50])


def test_sensitivity_figure(chapter):
    sens, recorded = chapter["sens"], chapter["recorded"]
    fig = ppf.sensitivity_figure(sens, recorded, rng=6)
    assert len(fig.axes) == 3
    for ax, (key, res) in zip(fig.axes, sens.items()):
        dots = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert len(dots) == 6  # copies and recorded value, for each of three tests
        assert dots[1].get_offsets()[0][1] == recorded[key]["ce_p"]
        assert ax.get_yscale() == "log" and ax.get_title() == res.name
        assert [t.get_text() for t in ax.get_xticklabels()] == ["Clark–Evans", "L (MAD)",
                                                                "Proximity"]
    assert fig.legends[0].get_texts()[0].get_text() == "4 displaced copies (8 points)"
    with pytest.raises(ValueError, match="exactly the windows"):
        ppf.sensitivity_figure(sens, {"core": recorded["core"]})


def test_dbscan_figure(chapter):
    knee = chapter["knee"]
    fig = ppf.dbscan_figure(chapter["xy"], knee, chapter["layers"])
    ax1, ax2 = fig.axes
    assert len(ax1.lines) == 3 * 2 + len(cl.WALK_EPS_M)  # curves, knees, walking radii
    labels = np.array(knee["labels"])
    legend = [t.get_text() for t in ax2.get_legend().get_texts()]
    assert len(legend) == len(np.unique(labels))
    assert f"cluster 1 ({np.sum(labels == 0)})" in legend
    assert ax2.get_title() == (f"DBSCAN at the knee: eps = {knee['eps_m']:,.0f} m, "
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


def test_empty_results_are_rejected():
    with pytest.raises(ValueError, match="at least one window"):
        ppf.l_function_figure({})


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
