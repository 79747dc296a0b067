"""Crash-safe file writes: a reader sees the old file or the new one, never half of one.

Recipe: write a temporary file in the destination's directory (same filesystem,
so the rename is atomic), flush and fsync it, ``os.replace`` it over the
destination, then fsync the directory so the rename itself survives a power
cut. Every run artifact (checkpoints, metadata, result.json) goes through here.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def _default_mode() -> int:
    """0o666 minus the process umask: what ``open(path, 'w')`` would have created.

    mkstemp creates 0o600 files; without this every checkpoint would be
    unreadable to the rest of a team sharing a run directory.
    """
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_MODE = _default_mode()


def _fsync_dir(directory: Path) -> None:
    """Persist a rename; a no-op where directories cannot be opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``path`` atomically when the block exits cleanly.

    On an exception the temporary file is removed and ``path`` is untouched,
    so a crash leaves at most a stray ``.<name>.*.tmp`` next to an intact
    previous version. Use it to stream large files (checkpoints) without
    building them in memory.
    """
    target = Path(path)
    directory = target.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, _MODE)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(directory)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path for writers that insist on a file name (e.g. safetensors'
    ``save_file``); it replaces ``path`` atomically, fsynced, when the block exits cleanly,
    and is removed on an exception. Same guarantees as :func:`atomic_open`."""
    target = Path(path)
    directory = target.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        yield Path(tmp_name)
        fd = os.open(tmp_name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp_name, _MODE)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(directory)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes | bytearray | memoryview) -> Path:
    """Atomically replace ``path`` with ``data``; returns the path."""
    with atomic_open(path) as fh:
        fh.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """``atomic_write_bytes`` for text (written exactly as given, no newline translation)."""
    return atomic_write_bytes(path, text.encode(encoding))


def stale_temps(directory: str | os.PathLike[str]) -> list[Path]:
    """The ``.<name>.*.tmp`` files a killed ``atomic_open``/``atomic_path`` left in ``directory``.

    The rename that would have published one never happened, so none holds
    anything a reader may use; the caller removes them once it knows the
    writer is gone (``--resume`` of a killed run).
    """
    d = Path(directory)
    if not d.is_dir():
        return []
    return sorted(p for p in d.glob(".*.tmp") if p.is_file() and not p.is_symlink())


def remove_stale_temps(*directories: str | os.PathLike[str]) -> list[Path]:
    """Delete the stale temporary files of ``directories``; returns what was removed."""
    removed: list[Path] = []
    for directory in directories:
        for path in stale_temps(directory):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed
