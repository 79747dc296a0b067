"""Read files as they were at a git revision (for ``pv diff --git`` and the version-bump gate).

One ``git cat-file --batch`` process serves every file, so comparing a
thousand contracts costs two git processes, not a thousand. Every failure
is returned as a reason in words (not a repository, unknown revision, file
not in that revision), because the caller must report "nothing to compare"
as such, never as a pass.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


class GitError(Exception):
    """git is missing, the path is not in a repository, or the revision is unknown."""


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=False, timeout=60)
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {' '.join(args)} timed out") from None
    if check and proc.returncode != 0:
        raise GitError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"git {args[0]} failed")
    return proc


def repo_root(start: Path) -> Path:
    """The top of the work tree containing ``start``; GitError when there is none."""
    folder = start if start.is_dir() else start.parent
    proc = _git(folder, "rev-parse", "--show-toplevel", check=False)
    if proc.returncode != 0:
        raise GitError(f"{folder} is not inside a git repository")
    return Path(proc.stdout.strip()).resolve()


def resolve(root: Path, ref: str) -> str:
    """The commit sha ``ref`` names; GitError naming the ref when it is unknown."""
    proc = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise GitError(f"unknown git revision {ref!r}")
    return proc.stdout.strip()


def default_base(root: Path) -> tuple[str, str]:
    """(revision, how it was chosen): the merge-base with origin/main if that exists, else HEAD."""
    for upstream in ("origin/main",):
        if _git(root, "rev-parse", "--verify", "--quiet", f"{upstream}^{{commit}}", check=False).returncode == 0:
            proc = _git(root, "merge-base", upstream, "HEAD", check=False)
            if proc.returncode == 0 and proc.stdout.strip():
                return proc.stdout.strip(), f"merge-base of HEAD and {upstream}"
    return resolve(root, "HEAD"), "HEAD"


@dataclass(frozen=True, slots=True)
class RevisionFile:
    """A path's text at a revision, or why there is none (``text`` is None then)."""

    rel_path: str
    text: str | None
    reason: str = ""


def blob_id(data: bytes) -> str:
    """The id git gives these bytes as a blob (sha1 of ``blob <size>\\0<data>``)."""
    return hashlib.sha1(b"blob %d\x00" % len(data) + data, usedforsecurity=False).hexdigest()


def blob_ids_at(root: Path, rev: str, rel_paths: Iterable[str]) -> dict[str, str | None]:
    """Blob id of each repo-relative path at ``rev`` (None when absent), from one ``git ls-tree``.

    Comparing these ids with :func:`blob_id` of the working files tells the
    unchanged files apart without reading a single blob.
    """
    wanted = list(dict.fromkeys(rel_paths))
    if not wanted:
        return {}
    proc = _git(root, "ls-tree", "-r", "-z", "--full-tree", rev)
    found: dict[str, str] = {}
    keep = set(wanted)
    for record in proc.stdout.split("\0"):
        meta, _, path = record.partition("\t")
        if path in keep:
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob":
                found[path] = parts[2]
    return {p: found.get(p) for p in wanted}


def read_at(root: Path, rev: str, rel_paths: Iterable[str]) -> dict[str, RevisionFile]:
    """Text of each repo-relative path at ``rev`` (one batch process for all of them)."""
    paths = list(dict.fromkeys(rel_paths))
    if not paths:
        return {}
    request = "".join(f"{rev}:{p}\n" for p in paths)
    try:
        proc = subprocess.run(["git", "-C", str(root), "cat-file", "--batch"], input=request.encode(),
                              capture_output=True, check=False, timeout=120)
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    if proc.returncode != 0:
        raise GitError(proc.stderr.decode(errors="replace").strip() or "git cat-file failed")
    out: dict[str, RevisionFile] = {}
    data = proc.stdout
    pos = 0
    for path in paths:
        end = data.index(b"\n", pos)
        header = data[pos:end].decode(errors="replace")
        pos = end + 1
        parts = header.split()
        if len(parts) >= 2 and parts[-1] == "missing":
            out[path] = RevisionFile(path, None, f"{path} does not exist at {rev[:12]} (a new file)")
            continue
        if len(parts) != 3 or parts[1] != "blob":
            out[path] = RevisionFile(path, None, f"{path} at {rev[:12]} is not a file ({header})")
            if len(parts) == 3 and parts[2].isdigit():
                pos += int(parts[2]) + 1
            continue
        size = int(parts[2])
        blob = data[pos:pos + size]
        pos += size + 1
        try:
            out[path] = RevisionFile(path, blob.decode("utf-8"))
        except UnicodeDecodeError:
            out[path] = RevisionFile(path, None, f"{path} at {rev[:12]} is not UTF-8 text")
    return out


def relative_to_repo(root: Path, path: Path) -> str | None:
    """``path`` relative to the repository root in git's spelling, or None when outside it.

    ``root`` should already be resolved (``repo_root`` returns it so).
    """
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None
