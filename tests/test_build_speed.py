"""What makes every Sphinx build faster holds: the search index is stemmed in C, and pybtex's
plugin lookups are remembered (docs/benchmarks.md measures the builds; no timings here)."""
from __future__ import annotations


def test_the_search_index_stemmer_is_pystemmer():
    """PyStemmer is pinned so that snowballstemmer, which Sphinx's English search index uses,
    stems in C (the same Snowball algorithms); without it snowballstemmer silently falls back to
    its pure-Python stemmers."""
    import snowballstemmer
    import Stemmer

    stemmer = snowballstemmer.stemmer("porter")
    assert isinstance(stemmer, Stemmer.Stemmer)
    assert stemmer.stemWord("clustering") == "cluster"


def test_pybtex_plugin_lookups_are_remembered():
    from pybtex import plugin

    from aicluster import bibstyle

    bibstyle.remember_plugin_lookups()
    bibstyle.remember_plugin_lookups()  # a second build in the same process: not wrapped twice
    lookup = plugin._load_entry_point
    assert not hasattr(lookup.__wrapped__, "cache_info")
    before = lookup.cache_info()
    first = plugin.find_plugin("pybtex.style.formatting", "plain")
    assert plugin.find_plugin("pybtex.style.formatting", "plain") is first
    after = lookup.cache_info()
    assert after.hits >= before.hits + 1
