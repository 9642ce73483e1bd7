"""A map (or ledger) that raises while it renders fails its cell, so the build, with a message
naming the data row; IPython alone would print the traceback as an output and let the cell pass.

Each case runs a small notebook in a real kernel (nbclient, as myst-nb and store_outputs do).
"""
from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from aicluster import paths

MAP_WITH_A_BAD_ROW = """
import geopandas as gpd
from shapely.geometry import Point
import aicluster
from aicluster import maps
{setup}
pts = gpd.GeoDataFrame({{"place_id": ["hd_ok", "hd_bad"], "name_en": ["Fine", "Broken"],
                        "colour": ["#0072B2", "#D55E00"], "radius": [100, "far"]}},
                       geometry=[Point(116.30, 40.0), Point(116.31, 40.01)], crs="EPSG:4326")
m = maps.BookMap("Test map", map_id="test", basemap=False)
_ = m.circles(pts, name="Precision", radius_col="radius")
"""


def run(*cells: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(paths.ROOT)}}).execute()
    return nb


@pytest.mark.parametrize("show", ["m", "aicluster.glue('test_map', m, display=False)",
                                  "from IPython.display import display; display(m)"])
def test_a_map_that_fails_to_render_fails_its_cell_naming_the_row(show):
    with pytest.raises(CellExecutionError) as info:
        run(MAP_WITH_A_BAD_ROW.format(setup="aicluster.setup()"), show)
    message = str(info.value)
    assert "MapRenderError" in message, message[-2000:]
    assert "layer 'Precision'" in message and "place_id 'hd_bad'" in message, message[-2000:]
    assert "could not convert string to float: 'far'" in message


def test_without_the_strict_display_a_glued_map_hides_the_error():
    # Why aicluster.setup() installs it: the book glues its maps, and myst-nb's glue formats
    # them with IPython's formatters, which catch the exception, print it as an output and let
    # the cell succeed: the map would vanish from the book while the build passed.
    nb = run(MAP_WITH_A_BAD_ROW.format(setup=""), "aicluster.glue('test_map', m, display=False)")
    errors = [o for o in nb.cells[1].outputs if o["output_type"] == "error"]
    assert [e["ename"] for e in errors] == ["MapRenderError"]


def test_a_good_map_still_displays_with_both_representations():
    nb = run(MAP_WITH_A_BAD_ROW.format(setup="aicluster.setup()")
             + "m = maps.BookMap('Good', map_id='good', basemap=False)\n"
               "m.points(pts.iloc[:1], name='Points', label_col='name_en')", "m")
    data = nb.cells[1].outputs[0]["data"]
    assert {"text/html", "image/png", "text/plain"} <= set(data)
    assert data["text/plain"] == "BookMap('Good', 1 layers)"
