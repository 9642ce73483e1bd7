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
