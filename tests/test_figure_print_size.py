"""Every figure the book saves prints its text at 8 pt or more.

The PDF includes each PNG of ``figures/`` (``{figure}`` directives and the glued static maps,
which are the same bytes) at its natural size (pixels / the PNG's dpi), scaled down to the text
width when it is wider (Sphinx's ``\\sphinxincludegraphics``).  :func:`aicluster.style.png_bytes`
records the figure's smallest font size, in points at the drawn size, in the PNG; the printed
size is that times the scale.
"""
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
import yaml
from PIL import Image

from aicluster import style

ROOT = Path(__file__).resolve().parents[1]
FIGURES = sorted((ROOT / "figures").glob("*.png"))
PAPER_WIDTH_IN = {"a4paper": 210 / 25.4, "letterpaper": 8.5}
# Sphinx's default LaTeX horizontal margins (the ``hmargin`` key of ``sphinxsetup``, 1in each
# side: Sphinx documentation, "The sphinxsetup configuration setting"), used unless the book
# sets its own.
SPHINX_HMARGIN_IN = 1.0


def text_width_in() -> float:
    """The PDF's text width from the book's LaTeX settings (_config.yml)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    elements = config["sphinx"]["config"]["latex_elements"]
    assert "hmargin" not in elements.get("sphinxsetup", ""), "read the book's own hmargin"
    return PAPER_WIDTH_IN[elements.get("papersize", "letterpaper")] - 2 * SPHINX_HMARGIN_IN


def printed_font_pt(png: Path) -> tuple[float, float]:
    """(smallest font at print size in pt, natural width in inches) of a saved figure."""
    with Image.open(png) as image:
        text = getattr(image, "text", {})
        assert style.MIN_FONT_KEY in text, f"{png.name}: not saved with style.png_bytes"
        dpi = image.info.get("dpi", (style.DPI, style.DPI))[0]
        width_in = image.size[0] / dpi
    scale = min(1.0, text_width_in() / width_in)
    return float(text[style.MIN_FONT_KEY]) * scale, width_in


def test_text_width_is_a4_less_sphinx_margins():
    assert text_width_in() == pytest.approx(6.27, abs=0.01)
    assert style.PRINT_WIDTH_IN <= text_width_in()


@pytest.mark.parametrize("png", FIGURES, ids=[p.name for p in FIGURES])
def test_saved_figure_text_is_at_least_8_pt_in_print(png):
    printed, width_in = printed_font_pt(png)
    assert printed >= style.MIN_PRINT_PT - 0.05, (
        f"{png.name}: drawn {width_in:.2f} in wide, printed at {text_width_in():.2f} in, its "
        f"smallest text prints at {printed:.1f} pt (< {style.MIN_PRINT_PT} pt)")


def test_min_font_is_recorded_and_discriminates(tmp_path):
    with plt.rc_context(style.book_rc()):
        fig, ax = plt.subplots(figsize=(12, 3))  # wider than the page: printed at about half size
        ax.plot([0, 1], [0, 1])
        ax.tick_params(labelsize=9)
        ax.set_xlabel("x", fontsize=12)
        ax.text(0.5, 0.5, "small", fontsize=8)
        ax.text(0.5, 0.2, "", fontsize=3)  # empty text is not drawn
        assert style.min_font_pt(fig) == 8
        path = style.save_png(fig, tmp_path / "wide.png")
        plt.close(fig)
    printed, width_in = printed_font_pt(path)
    assert width_in > 9
    assert printed < style.MIN_PRINT_PT  # 8 pt drawn 12 in wide prints at about 4 pt


def test_palette_png_keeps_the_record(tmp_path):
    with plt.rc_context(style.book_rc()):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.imshow([[0, 1], [1, 0]])
        ax.set_title("t", fontsize=11)
        ax.tick_params(labelsize=9)
        path = style.save_png(fig, tmp_path / "p.png", colours=64)
        plt.close(fig)
    printed, width_in = printed_font_pt(path)
    assert printed == 9 and width_in < 4


def test_overlapping_labels_are_named():
    with plt.rc_context(style.book_rc()):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.set_xticks([0, 1], ["2023", "2024"])
        ax.annotate("C080: 100", (0, 0), xytext=(-6, -12), textcoords="offset points",
                    va="center", ha="right", fontsize=8)
        ax.set_title("clear")
        with pytest.raises(ValueError, match="C080: 100"):
            style.check_labels_clear(fig)
        ax.texts[-1].remove()
        ax.annotate("C080: 100", (0.5, 0.5), xytext=(8, 0), textcoords="offset points",
                    va="center", fontsize=8)
        style.check_labels_clear(fig)
        plt.close(fig)


def test_tick_labels_outside_the_view_are_not_counted():
    with plt.rc_context(style.book_rc()):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.plot([0, 1], [0, 3400])
        ax.set_ylim(0, 3400)  # the locator also makes a 3500 tick, which is not drawn
        ax.set_title("A title over the top tick")
        shown = {t.get_text() for t in style.drawn_texts(fig)}
        assert "3000" in shown and "3500" not in shown
        style.check_labels_clear(fig)
        plt.close(fig)
