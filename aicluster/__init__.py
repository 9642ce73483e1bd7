"""Shared code of the book *The economic geography of Beijing's AI clusters*.

Chapters import from here; logic lives once and is tested in tests/.
"""
__version__ = "0.1.0"


def setup() -> None:
    """Per-notebook set-up: the book's figure style with a verified CJK font."""
    from . import style

    style.use_book_style()
