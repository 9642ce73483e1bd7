"""Sphinx extension: author-year labels for the bibliography ("Clark and Evans 1954").

The book cites author-year (sphinxcontrib-bibtex's `bibtex_reference_style: author_year`), but
pybtex's styles label the reference list with numbers ([1]) or abbreviations ([CE54]). This
registers the pybtex formatting style `authoryear`: pybtex's `plain` (sorted by author, year,
title) with labels made of the authors' surnames and the year, a/b/... added when two entries
would share a label. Select it with `bibtex_default_style: authoryear`.
"""
from __future__ import annotations

import functools
import re
from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting import BaseSortingStyle


def _surname(person) -> str:
    # Braced names ({Wang Jici 王缉慈}, {Executable Books Community}) are kept whole.
    return re.sub(r"[{}]", "", " ".join(person.prelast_names + person.last_names))


def author_year_label(entry) -> str:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_surname(p) for p in people]
    if len(names) >= 3:
        who = f"{names[0]} et al."
    elif names:
        who = " and ".join(names)
    else:
        who = entry.fields.get("title", entry.key)
    return f"{who} {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        labels = [author_year_label(e) for e in entries]
        repeated = {label for label, n in Counter(labels).items() if n > 1}
        seen: Counter = Counter()
        for label in labels:
            if label in repeated:
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label]]
                seen[label] += 1
            else:
                yield label


class AuthorYearSortingStyle(BaseSortingStyle):
    """Sort by the label's names, then year, then title, ignoring braces and case (pybtex's own
    sorting puts braced corporate and Chinese names after every other entry)."""

    def sorting_key(self, entry):
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = " ".join(_surname(p) for p in people).casefold()
        return names, entry.fields.get("year", ""), entry.fields.get("title", "").casefold()

    def sort(self, entries):
        return sorted(entries, key=self.sorting_key)


class AuthorYearStyle(PlainStyle):
    default_label_style = AuthorYearLabelStyle
    default_sorting_style = AuthorYearSortingStyle


def remember_plugin_lookups() -> None:
    """pybtex looks up a plugin (a style, a backend) in the installed packages' entry points each
    time a citation is formatted, and every lookup scans all installed distributions (about
    25 ms): 70 lookups, nearly 2 s of each full build. The installed packages do not change
    during a build, so each answer is kept. (A lookup that fails raises, and is not kept.)"""
    from pybtex import plugin

    if not hasattr(plugin._load_entry_point, "cache_info"):
        plugin._load_entry_point = functools.lru_cache(maxsize=None)(plugin._load_entry_point)


def setup(app):
    remember_plugin_lookups()
    register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabelStyle, force=True)
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle, force=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
