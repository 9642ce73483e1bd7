"""Shared code of the book *The economic geography of Beijing's AI clusters*.

Chapters import from here; logic lives once and is tested in tests/.
"""
__version__ = "0.1.0"


def setup() -> None:
    """Per-notebook set-up: the book's figure style with a verified CJK font, and display
    errors of the package's objects (a map that fails to render) failing their cell."""
    from . import display, style

    style.use_book_style()
    display.install_strict_display()


def glue(name: str, value, display: bool = False):
    """myst-nb's glue for prose numbers, with numpy scalars turned into plain Python values.

    numpy 2 reprs scalars as ``np.float64(…)``, which myst-nb cannot format with a spec such as
    ``{glue:text}`name:.1f```; plain floats and ints format correctly.
    """
    import numpy as np
    from myst_nb import glue as _glue

    if isinstance(value, np.generic):
        value = value.item()
    return _glue(name, value, display=display)


def glue_all(values: dict, markdown=()) -> None:
    """Glue every ``name: value`` of ``values`` in order (with :func:`glue`); the names in
    ``markdown`` are sentences pasted with ``{glue:md}``, so they are glued as Markdown."""
    from IPython.display import Markdown

    unknown = set(markdown) - set(values)
    if unknown:
        raise KeyError(f"no value for the Markdown name(s) {sorted(unknown)}")
    for name, value in values.items():
        glue(name, Markdown(value) if name in markdown else value)
