"""The run-time table of "Reproducing this book" (aicluster/exectable.py): chapters by title,
no clock time of the build."""
import re

from bs4 import BeautifulSoup


def test_run_time_table_names_chapters_and_shows_no_clock_time(html_dir):
    soup = BeautifulSoup((html_dir / "chapters" / "reproduce.html").read_text(encoding="utf-8"),
                         "html.parser")
    tables = [t for t in soup.find_all("table") if "Run Time" in t.get_text()]
    assert len(tables) == 1
    table = tables[0]
    header = [th.get_text(" ", strip=True) for th in table.find("thead").find_all("th")]
    assert header == ["Chapter", "Method", "Run Time (s)", "Status"]
    text = table.get_text(" ")
    assert "Do AI firms cluster?" in text and "chapters/" not in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}", text)
