"""Figure style: a CJK-capable font, a colour-blind-safe palette, and byte-stable PNGs."""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

CJK_FONT = "Noto Sans CJK SC"
# Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = {
    "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000",
    "grey": "#999999",
}
DISTRICT_COLOURS = {"haidian": PALETTE["blue"], "shijingshan": PALETTE["vermillion"],
                    "mentougou": PALETTE["green"]}
DPI = 150
# The PDF's text width (A4, Sphinx's 1-inch margins: 8.27 - 2 in, rounded down). A figure drawn at
# this width prints at 100 %, so its font sizes in points are the printed sizes; nothing is
# smaller than MIN_PRINT_PT.
PRINT_WIDTH_IN = 6.2
MIN_PRINT_PT = 8
#: The PNG text key under which png_bytes records the figure's smallest font size (points).
MIN_FONT_KEY = "aicluster:min-font-pt"


class MissingCJKFont(RuntimeError):
    pass


def _font_available(family: str) -> bool:
    return any(f.name == family for f in font_manager.fontManager.ttflist)


def ensure_cjk_font(family: str = CJK_FONT) -> str:
    """Make `family` usable by matplotlib, rebuilding a font cache made before it was installed."""
    if not _font_available(family):
        # A cache written before fonts-noto-cjk was installed does not list it: rebuild once.
        manager = font_manager._load_fontmanager(try_read_cache=False)
        font_manager.fontManager = manager
        font_manager.findfont = manager.findfont  # matplotlib binds these at import time
        font_manager.get_font_names = manager.get_font_names
    if not _font_available(family):
        raise MissingCJKFont(
            f"The font {family!r} is not installed, so Chinese text cannot be drawn. "
            "Install it with: sudo apt-get install fonts-noto-cjk (then re-run)."
        )
    return family


def use_book_style() -> None:
    """Apply the book's matplotlib defaults (call once per notebook, via aicluster.setup())."""
    plt.rcParams.update(book_rc())


def book_rc() -> dict:
    """The book's matplotlib settings, for plt.rc_context or rcParams.update."""
    family = ensure_cjk_font()
    return {
        # Latin glyphs from DejaVu Sans, Chinese ones by per-glyph fallback to the CJK font.
        "font.family": ["DejaVu Sans", family],
        "axes.unicode_minus": False,
        "figure.dpi": 100,
        "savefig.dpi": DPI,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titleweight": "bold",
        "axes.prop_cycle": matplotlib.cycler(color=[PALETTE[k] for k in (
            "blue", "vermillion", "green", "orange", "purple", "sky", "yellow", "black")]),
        "svg.hashsalt": "aicluster",
        "path.simplify": True,
    }


def png_bytes(fig, colours: int | None = None) -> bytes:
    """PNG of `fig` with no timestamp or software version, so reruns are byte-identical.

    `colours` (at most 256) stores a palette PNG of that many colours instead of full RGBA:
    raster-heavy figures (density surfaces) shrink to about a third, which keeps pages light.
    """
    buf = io.BytesIO()
    # The smallest font is recorded in the PNG, so a test can check every saved figure's text
    # at print size without redrawing it (tests/test_figure_print_size.py).
    smallest = f"{min_font_pt(fig):g}"
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight",
                metadata={"Software": None, MIN_FONT_KEY: smallest})
    if colours is None:
        return buf.getvalue()
    from PIL import Image, PngImagePlugin

    if not 2 <= colours <= 256:
        raise ValueError(f"colours must be between 2 and 256, not {colours}")
    image = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    palette = image.quantize(colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text(MIN_FONT_KEY, smallest)
    palette.save(out, format="PNG", optimize=True, pnginfo=info, dpi=(DPI, DPI))
    return out.getvalue()


def min_font_pt(fig) -> float:
    """The smallest font size (points, at the figure's drawn size) of any visible, non-empty
    text in `fig`: titles, labels, tick labels, legends, annotations.  Raises if the figure
    has no text (nothing to check is not a pass)."""
    sizes = [t.get_fontsize() for t in drawn_texts(fig)]
    if not sizes:
        raise ValueError("the figure has no visible text")
    return float(min(sizes))


def drawn_texts(fig) -> list:
    """The visible, non-empty texts of `fig` as drawn: titles, labels, annotations, legend
    entries and the tick labels of the ticks inside the view (matplotlib keeps the text of
    ticks outside the limits, but does not draw it)."""
    fig.draw_without_rendering()  # tick labels get their text only when drawn
    tick_labels, drawn_ticks = set(), set()
    for ax in fig.axes:
        for axis in ax._axis_map.values():
            for tick in axis.majorTicks + axis.minorTicks:
                tick_labels |= {id(tick.label1), id(tick.label2)}
            if ax.get_visible() and axis.get_visible():
                for tick in axis._update_ticks():
                    drawn_ticks |= {id(tick.label1), id(tick.label2)}
    return [t for t in fig.findobj(matplotlib.text.Text)
            if t.get_visible() and t.get_text().strip()
            and (id(t) not in tick_labels or id(t) in drawn_ticks)]


def overlapping_texts(fig, pad_px: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of visible, non-empty texts of `fig` whose drawn boxes overlap (tick labels,
    annotations, titles, legend entries), for charts whose labels are placed by hand."""
    texts = drawn_texts(fig)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer).padded(-pad_px) for t in texts]
    return [(texts[i].get_text(), texts[j].get_text())
            for i in range(len(texts)) for j in range(i + 1, len(texts))
            if boxes[i].overlaps(boxes[j])]


def check_labels_clear(fig) -> None:
    """Raise ValueError naming the texts of `fig` that overlap each other."""
    clashes = overlapping_texts(fig)
    if clashes:
        raise ValueError("overlapping text in the figure: "
                         + "; ".join(f"{a!r} / {b!r}" for a, b in clashes))


def save_png(fig, path: Path | str, colours: int | None = None) -> Path:
    """Write `fig` to `path` deterministically, only rewriting the file when bytes change."""
    return write_if_changed(path, png_bytes(fig, colours))


def write_if_changed(path: Path | str, data: bytes) -> Path:
    """Write `data` to `path` (atomically) unless the file already holds exactly these bytes."""
    from . import atomic

    path = Path(path)
    if not path.exists() or path.read_bytes() != data:
        atomic.write_bytes(path, data)
    return path
