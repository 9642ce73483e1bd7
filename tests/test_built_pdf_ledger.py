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
    claim_ids = pd.read_csv(paths.DATA / "claims.csv", dtype=str)["claim_id"]
    # pages of the ledger table: many claim ids at the start of lines
    ledger = [i + 1 for i, text in enumerate(pages)
              if len(re.findall(r"^\s*C\d{3}\s", text, re.M)) >= 5]
    assert ledger, "no ledger pages found"
    found = set()
    for number in ledger:
        found |= set(re.findall(r"^\s*(C\d{3})\s", pages[number - 1], re.M))
    assert found == set(claim_ids), "the ledger does not list every claim once"
    rot = rotations(pdf_path)
    assert all(rot[n] in (90, 270) for n in ledger), {n: rot[n] for n in ledger}
    # an appendix: after every chapter, headed by its title, and fewer pages than in portrait
    first = pages[ledger[0] - 1]
    assert pdfbook.LEDGER_APPENDIX_TITLE in first and "APPENDIX" in first.upper()
    assert ledger == list(range(ledger[0], ledger[-1] + 1)) and len(ledger) <= 7
    chapters_before = "".join(pages[: ledger[0] - 1])
    assert "Glossary" in chapters_before
