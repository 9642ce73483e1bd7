"""Atomic file writes: a reader (or a build after a kill) sees the old file or the new one, never
a truncated one.

Every file the book's tools write (stored notebook outputs, figures, generated data) goes through
:func:`write_bytes` or :func:`write_text`: the content is written to a temporary file in the same
directory, flushed to disk, and moved over the target with :func:`os.replace`, which is atomic on
POSIX file systems when both names are in one directory.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_bytes(path: Path | str, data: bytes) -> Path:
    """Replace `path` with `data` atomically (the directory is created if needed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path | str, text: str, encoding: str = "utf-8") -> Path:
    """Replace `path` with `text` atomically."""
    return write_bytes(path, text.encode(encoding))
