"""The bundled demo corpus: the Python standard library's own ``.py`` sources.

Present on every machine with Python, so `apr demo` needs no download. Files
come from ``sysconfig.get_paths()['stdlib']``, walked in sorted order,
excluding site-packages/dist-packages, ``__pycache__`` and test directories
(``test``, ``tests``, ``idle_test``: large, repetitive and sometimes
deliberately malformed). The held-out split is fixed by the file's relative
path: ``sha256(path)`` mod 100 < VAL_PERCENT puts a file in 'val', so a file
is in exactly one split on every machine with the same Python version.
"""

from __future__ import annotations

import hashlib
import os
import sysconfig
from functools import lru_cache
from pathlib import Path
from typing import Literal

VAL_PERCENT = 5
EXCLUDED_DIRS = frozenset({"site-packages", "dist-packages", "__pycache__", "test", "tests", "idle_test"})

Split = Literal["train", "val"]


def stdlib_root() -> Path:
    """Directory of the running interpreter's standard library."""
    return Path(sysconfig.get_paths()["stdlib"])


def split_of(relative_path: str) -> Split:
    """Fixed split of a file by its POSIX path relative to the stdlib root."""
    bucket = int.from_bytes(hashlib.sha256(relative_path.encode("utf-8")).digest()[:8], "big") % 100
    return "val" if bucket < VAL_PERCENT else "train"


@lru_cache(maxsize=4)
def _all_sources(root: Path) -> tuple[tuple[str, Path], ...]:
    found: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in EXCLUDED_DIRS)
        for name in filenames:
            if name.endswith(".py"):
                path = Path(dirpath) / name
                found.append((path.relative_to(root).as_posix(), path))
    found.sort()
    return tuple(found)


def stdlib_sources(split: Split, root: Path | None = None) -> list[Path]:
    """The stdlib's own .py files in ``split`` ('train' or 'val'), sorted by relative path."""
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', not {split!r}")
    return [path for rel, path in _all_sources(root or stdlib_root()) if split_of(rel) == split]
