"""The PDF book: Chinese text extractable, a CJK font embedded, figures present."""
import re
import subprocess


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def test_pdf_contains_chinese_names(pdf_path):
    text = run("pdftotext", "-enc", "UTF-8", str(pdf_path), "-")
    for name in ("海淀区", "门头沟", "石景山"):
        assert name in text, f"{name} not found in the PDF text"


def test_pdf_embeds_a_cjk_font(pdf_path):
    fonts = run("pdffonts", str(pdf_path))
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk, f"no CJK font in the PDF:\n{fonts}"
    assert all(" yes " in line for line in cjk), f"CJK font not embedded:\n{fonts}"


def test_pdf_has_the_map_figure(pdf_path):
    images = run("pdfimages", "-list", str(pdf_path)).splitlines()[2:]
    large = [line for line in images if int(line.split()[3]) >= 600]  # width in pixels
    assert large, "no figure of map size in the PDF"


def test_pdf_has_no_unrendered_map_repr(pdf_path):
    text = run("pdftotext", "-enc", "UTF-8", str(pdf_path), "-")
    assert "folium.folium.Map" not in text
    assert not re.search(r"BookMap\('[^']*', \d+ layers\)", text), "a map printed as text"
    assert "{glue" not in text
