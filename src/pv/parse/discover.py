"""Turn the paths given on the command line into a sorted, deterministic list of files.

Directories are walked recursively (``*.yaml`` / ``*.yml``, hidden directories skipped), globs
are expanded, and every problem is a diagnostic: a missing path, a glob matching nothing, a
directory holding no contracts, a symlink loop. Symlinked directories are followed once; a link
back to an ancestor is reported instead of looping.
"""

from __future__ import annotations

import errno
import glob
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pv.diagnostics import Diagnostic, Severity
from pv.parse import codes

SUFFIXES = (".yaml", ".yml")
Report = Callable[..., None]  # err(code, shown, message, hint=None)
_GLOB_CHARS = set("*?[")


@dataclass(slots=True)
class Discovery:
    files: list[Path] = field(default_factory=list)  # absolute, de-duplicated, in a stable order
    diagnostics: list[Diagnostic] = field(default_factory=list)


def display_path(path: Path, root: Path) -> str:
    """The path as diagnostics show it: relative to the project root when inside it, else absolute."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def discover(paths: list[str | Path], root: Path) -> Discovery:
    out = Discovery()
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.files.append(p.absolute())

    def err(code: str, shown: str, message: str, hint: str | None = None) -> None:
        out.diagnostics.append(Diagnostic(code, Severity.ERROR, message, shown, 1, 1, hint=hint))

    for given in paths:
        text = str(given)
        if any(c in _GLOB_CHARS for c in text) and not Path(text).exists():
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                err(codes.PATH_MISSING, text, "glob matches no file", "check the pattern")
                continue
            for m in matches:
                _one(Path(m), add, err, explicit=False)
            continue
        _one(Path(text), add, err, explicit=True)
    return out


def _one(path: Path, add: Callable[[Path], None], err: Report, explicit: bool) -> None:
    shown = path.as_posix()
    try:
        if path.is_dir():
            found = _walk(path, err)
            if not found:
                err(codes.PATH_NO_CONTRACTS, shown, "directory holds no contracts (*.yaml, *.yml)",
                    "point pv at the contracts directory")
            for f in found:
                add(f)
            return
        if path.is_file():
            if explicit or path.suffix in SUFFIXES:
                add(path)
            return
    except OSError as exc:
        err(codes.PATH_UNREADABLE, shown, f"cannot read path: {exc.strerror or exc}")
        return
    if path.is_symlink():
        err(codes.PATH_UNREADABLE, shown, _broken_link_kind(path), "fix or remove the link")
        return
    err(codes.PATH_MISSING, shown, "path does not exist", "check the spelling")


def _broken_link_kind(link: Path) -> str:
    """Name why a symlink that does not resolve is broken: a loop or a missing target.

    Python <= 3.12 raises RuntimeError for a loop; 3.13 raises OSError with errno ELOOP.
    """
    try:
        link.resolve(strict=True)
    except RuntimeError:
        return "symlink loop"
    except OSError as exc:
        return "symlink loop" if exc.errno == errno.ELOOP else "dangling symlink"
    return "dangling symlink"


def _walk(top: Path, err: Report) -> list[Path]:
    """Recursive, sorted walk that follows directory symlinks but never loops."""
    found: list[Path] = []
    stack_real: set[str] = set()

    def visit(d: Path) -> None:
        try:
            real = os.path.realpath(d)
        except OSError:
            real = str(d)
        if real in stack_real:
            err(codes.PATH_UNREADABLE, d.as_posix(), "symlink loop: this directory links back to an ancestor",
                "remove the link or point it outside the tree")
            return
        stack_real.add(real)
        try:
            try:
                entries = sorted(os.scandir(d), key=lambda e: e.name)
            except OSError as exc:
                err(codes.PATH_UNREADABLE, d.as_posix(), f"cannot list directory: {exc.strerror or exc}")
                return
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                p = Path(entry.path)
                try:
                    is_dir = entry.is_dir()  # follows symlinks
                except OSError:
                    is_dir = False
                if is_dir:
                    visit(p)
                    continue
                if entry.name.endswith(SUFFIXES):
                    if entry.is_symlink() and not p.exists():
                        err(codes.PATH_UNREADABLE, p.as_posix(), _broken_link_kind(p), "fix or remove the link")
                        continue
                    found.append(p)
        finally:
            stack_real.discard(real)

    visit(top)
    return found
