"""Figure style: CJK font checks and byte-stable PNGs."""
import matplotlib.pyplot as plt
import pytest

from aicluster import style


def test_missing_font_says_what_to_install():
    with pytest.raises(style.MissingCJKFont, match="apt-get install fonts-noto-cjk"):
        style.ensure_cjk_font("No Such CJK Font")


def test_cjk_font_is_available():
    assert style.ensure_cjk_font() == "Noto Sans CJK SC"


def test_png_is_byte_identical_and_has_no_software_tag(tmp_path):
    def draw():
        with plt.rc_context(style.book_rc()):
            fig, ax = plt.subplots(figsize=(3, 2))
            ax.plot([0, 1], [1, 0])
            ax.set_title("门头沟 Mentougou")
            data = style.png_bytes(fig)
            plt.close(fig)
            return data
    first, second = draw(), draw()
    assert first == second
    assert b"Software" not in first and b"matplotlib" not in first.lower()
    path = style.write_if_changed(tmp_path / "f.png", first)
    mtime = path.stat().st_mtime_ns
    style.write_if_changed(path, second)
    assert path.stat().st_mtime_ns == mtime  # unchanged bytes are not rewritten


def _density_figure():
    import numpy as np
    with plt.rc_context(style.book_rc()):
        fig, ax = plt.subplots(figsize=(4, 3))
        y, x = np.mgrid[-2:2:200j, -2:2:200j]
        ax.imshow(np.exp(-(x ** 2 + y ** 2)), cmap="viridis")
        ax.set_title("核密度 kernel density")
    return fig


def test_palette_png_is_smaller_deterministic_and_has_at_most_that_many_colours():
    import io
    from PIL import Image
    fig = _density_figure()
    full, first, second = style.png_bytes(fig), style.png_bytes(fig, 64), style.png_bytes(fig, 64)
    plt.close(fig)
    assert first == second and len(first) < len(full)
    image = Image.open(io.BytesIO(first))
    assert image.mode == "P" and len(image.getcolors(256)) <= 64
    assert b"Software" not in first


def test_palette_size_is_checked():
    fig = _density_figure()
    with pytest.raises(ValueError, match="between 2 and 256"):
        style.png_bytes(fig, 1000)
    plt.close(fig)
