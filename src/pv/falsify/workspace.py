"""An isolated copy of the work tree for one mutant: never the user's files, always cleaned up.

What is copied is what git would ship plus the working changes: tracked files as they are on disk
(modified, not HEAD) and untracked files git does not ignore (``git ls-files --cached --others
--exclude-standard``). Ignored paths (.venv, build outputs, caches, .pv) stay behind, which is what
keeps the copy cheap (bench/bench_falsify.py). Outside git, the tree is walked with the same
exclusions pv's test index uses. Files are *copied*, never hard-linked: a test that writes into a
tracked file in place must not reach the user's file through a shared inode.

Where: ``$TMPDIR`` when it is set (or ``tempfile.tempdir``), else ``/dev/shm`` when it is a
writable directory (memory-backed: creating 350 files there is ~10x faster than on a busy VM disk),
else the system temp directory.

Cleanup: :class:`Workspace` is a context manager (``finally`` removes the directory); every live
workspace is also in a registry that :func:`remove_all` empties, which the command calls from its
SIGINT/SIGTERM path, so Ctrl-C leaves no copy behind either.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

_SKIP_DIRS = frozenset({".git", ".venv", "venv", "__pycache__", ".pv", ".pytest_cache", ".mypy_cache",
                        ".ruff_cache", "node_modules", "build", "dist", ".tox", ".nox", ".hypothesis"})
_LIVE: set[Path] = set()
_LOCK = threading.Lock()


def tree_files(root: Path) -> list[str]:
    """Relative paths of the files an isolated copy needs (see the module docstring)."""
    try:
        proc = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                              cwd=root, capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        proc = None
    if proc is not None and proc.returncode == 0:
        names = [n for n in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
        return [n for n in dict.fromkeys(names) if (root / n).is_file() or (root / n).is_symlink()]
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS and not d.endswith(".egg-info")]
        rel = Path(dirpath).relative_to(root)
        out.extend((rel / f).as_posix() for f in filenames)
    return out


class Workspace:
    """``with Workspace(root, files) as ws:`` ws.path is a fresh copy; removed on exit, whatever happens."""

    def __init__(self, root: Path, files: list[str], prefix: str = "pv-falsify-") -> None:
        self.root = root.resolve()
        self.files = files
        self.prefix = prefix
        self.path: Path = Path()

    def __enter__(self) -> Workspace:
        where = base_dir()
        try:
            self._make(where)
        except OSError:
            if where is None:
                raise
            self._make(None)  # /dev/shm too small (a container's 64 MB): the disk it is
        return self

    def _make(self, where: str | None) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=self.prefix, dir=where))
        with _LOCK:
            _LIVE.add(self.path)
        try:
            copy_tree(self.root, self.path, self.files)
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        with _LOCK:
            _LIVE.discard(self.path)

    def write(self, rel: str, text: str) -> None:
        """Replace a file of the copy (a new inode, so nothing shared with the source is touched)."""
        target = self.path / rel
        if not target.resolve().is_relative_to(self.path.resolve()):
            raise ValueError(f"{rel} is outside the work tree")
        tmp = target.with_name(target.name + ".pv-mutant")
        tmp.write_text(text, encoding="utf-8")
        with contextlib.suppress(OSError):
            os.chmod(tmp, (self.root / rel).stat().st_mode & 0o7777)
        os.replace(tmp, target)


def base_dir() -> str | None:
    """Where copies go (see the module docstring); None: tempfile's default."""
    if os.environ.get("TMPDIR") or tempfile.tempdir:
        return None
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return None


def copy_tree(src: Path, dst: Path, files: list[str]) -> None:
    made: set[Path] = set()
    for rel in files:
        source = src / rel
        target = dst / rel
        parent = target.parent
        if parent not in made:
            parent.mkdir(parents=True, exist_ok=True)
            made.add(parent)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        else:
            shutil.copyfile(source, target)
            shutil.copymode(source, target)


def remove_all() -> None:
    """Remove every workspace still alive (the interrupt path)."""
    with _LOCK:
        live = list(_LIVE)
        _LIVE.clear()
    for path in live:
        shutil.rmtree(path, ignore_errors=True)


def live() -> list[Path]:
    with _LOCK:
        return sorted(_LIVE)
