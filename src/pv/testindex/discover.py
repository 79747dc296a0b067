"""Which files pytest would collect: testpaths, norecursedirs, python_files, virtualenvs skipped."""

from __future__ import annotations

import fnmatch
import glob
import os
from pathlib import Path

from pv.testindex.pyconfig import PytestConfig


def _matches_path(rel: str, patterns: tuple[str, ...]) -> bool:
    """pytest's ``fnmatch_ex``: a pattern without ``/`` matches the basename, else the path's tail."""
    name = rel.rsplit("/", 1)[-1]
    for pattern in patterns:
        if "/" not in pattern:
            if fnmatch.fnmatch(name, pattern):
                return True
        elif fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel, f"*/{pattern}"):
            return True
    return False


def is_test_file_name(rel: str, cfg: PytestConfig) -> bool:
    return rel.endswith(".py") and _matches_path(rel, cfg.python_files)


def norecurse_match(path: str, patterns: tuple[str, ...]) -> str | None:
    """The ``norecursedirs`` pattern matching a directory, as pytest's ``fnmatch_ex`` does: a pattern
    without ``/`` matches the basename; one with ``/`` matches the absolute path's tail (``*/pattern``)."""
    name = os.path.basename(path)
    for pat in patterns:
        if "/" not in pat:
            if fnmatch.fnmatch(name, pat):
                return pat
        elif fnmatch.fnmatch(path, pat if os.path.isabs(pat) else f"*/{pat}"):
            return pat
    return None


def _skip_dir(name: str, path: str, cfg: PytestConfig) -> bool:
    if name == "__pycache__":
        return True
    if norecurse_match(path, cfg.norecursedirs):
        return True
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))  # pytest never recurses into a virtualenv


def start_points(cfg: PytestConfig) -> list[Path]:
    """``testpaths`` (globs allowed) when any exist, else the root, as pytest does."""
    root = cfg.rootdir
    found: list[Path] = []
    for entry in cfg.testpaths:
        matches = sorted(glob.glob(str(root / entry), recursive=True))
        found.extend(Path(m) for m in matches)
    return found or [root]


def discover(cfg: PytestConfig, conftests: list[str] | None = None) -> list[str]:
    """Test files (posix, relative to the root), sorted, as pytest's default run would collect them.

    ``conftests`` (when given) receives every conftest.py pytest would load on the way."""
    root = cfg.rootdir
    out: set[str] = set()
    found_conftests: set[str] = set()
    for start in start_points(cfg):
        anchor = start if start.is_dir() else start.parent
        for parent in (anchor, *anchor.parents):  # conftests above a testpath apply too
            if (parent / "conftest.py").is_file():
                found_conftests.add((parent / "conftest.py").relative_to(root).as_posix())
            if parent == root:
                break
        if start.is_file():
            out.add(start.relative_to(root).as_posix())
            continue
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = sorted(d for d in dirnames if not _skip_dir(d, os.path.join(dirpath, d), cfg))
            rel_dir = Path(dirpath).relative_to(root).as_posix()
            for filename in filenames:
                rel = filename if rel_dir == "." else f"{rel_dir}/{filename}"
                if is_test_file_name(rel, cfg):
                    out.add(rel)
                elif filename == "conftest.py":
                    found_conftests.add(rel)
    if conftests is not None:
        conftests.extend(sorted(found_conftests))
    return sorted(out)


def why_not_collected(rel: str, cfg: PytestConfig) -> str | None:
    """For an existing .py file: why the default pytest run skips it, or None if it is collected."""
    if not rel.endswith(".py"):
        return "it is not a .py file"
    parts = rel.split("/")
    starts = [p.relative_to(cfg.rootdir).as_posix() for p in start_points(cfg) if p != cfg.rootdir]
    if starts and not any(rel == s or rel.startswith(s.rstrip("/") + "/") for s in starts):
        return f"it is outside testpaths {list(cfg.testpaths)} ({cfg.source})"
    for depth in range(1, len(parts)):
        pat = norecurse_match(str(cfg.rootdir / "/".join(parts[:depth])), cfg.norecursedirs)
        if pat is not None:
            return f"directory {'/'.join(parts[:depth])}/ matches norecursedirs {pat!r} ({cfg.source})"
    if rel in starts:
        return None
    if not is_test_file_name(rel, cfg):
        return f"its name does not match python_files {list(cfg.python_files)} ({cfg.source})"
    return None
