"""The PDF prints the claims ledger as a landscape appendix, not in the sources chapter."""
import re
import subprocess

import pandas as pd

from aicluster import paths, pdfbook


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def page_texts(pdf) -> list[str]:
    return run("pdftotext", "-enc", "UTF-8", "-layout", str(pdf), "-").split("\f")


def rotations(pdf) -> dict[int, int]:
    info = run("pdfinfo", "-f", "1", "-l", "100000", str(pdf))
    return {int(n): int(r) for n, r in re.findall(r"Page\s+(\d+) rot:\s+(\d+)", info)}


def test_ledger_is_a_landscape_appendix(pdf_path):
    pages = page_texts(pdf_path)
    rot = rotations(pdf_path)
    landscape = sorted(n for n, r in rot.items() if r in (90, 270))
    assert landscape, "no landscape page in the PDF"
    assert landscape == list(range(landscape[0], landscape[-1] + 1)), "landscape pages apart"
    # every claim is a row of the landscape pages, and of no portrait page before them
    claim_ids = set(pd.read_csv(paths.DATA / "claims.csv", dtype=str)["claim_id"])
    rows = re.compile(r"^\s*(C\d{3})\s+S\d{3}\s", re.M)
    found = set().union(*(rows.findall(pages[n - 1]) for n in landscape))
    assert found == claim_ids
    assert not any(rows.findall(pages[n]) for n in range(landscape[0] - 1))
    # an appendix headed by its title, numbered A, after the chapters
    first = pages[landscape[0] - 1]
    assert pdfbook.LEDGER_APPENDIX_TITLE.upper() in first.upper() and "APPENDIX" in first.upper()
    assert "Table A.1: The claims ledger" in first
    assert "Glossary" in "".join(pages[: landscape[0] - 1])
