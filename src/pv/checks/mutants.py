"""Declared mutants: read them from a contract's raw YAML and apply them to file text.

A mutant is ``{file, find, replace}`` (``find`` must occur exactly once in ``file``) or ``patch``
(a unified diff, paths relative to the project root, ``a/``/``b/`` prefixes allowed). Applying never
touches the disk: it maps file text to mutated text, so ``pv validate`` can check a mutant against
the user's files and the runner can write the result into an isolated copy only.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pv.parse.yamlload import KeyPath


class MutantError(Exception):
    """A mutant does not apply. ``file``: the file at fault (relative), ``line``: where, if known."""

    def __init__(self, message: str, file: str = "", line: int = 0) -> None:
        super().__init__(message)
        self.file = file
        self.line = line


@dataclass(frozen=True, slots=True)
class Mutant:
    """One declared mutant of one falsifier, with where it is written in the contract."""

    falsifier: str
    index: int  # position in the falsifier's mutants: list
    file: str | None
    find: str | None
    replace: str | None
    patch: str | None
    why: str
    contract: str  # the contract file as displayed
    line: int  # of the mutant in the contract
    col: int
    key_path: KeyPath = ()

    @property
    def key(self) -> str:
        """Ledger key: the falsifier and a hash of what the mutant changes (an edited mutant is a new one)."""
        spec = json.dumps([self.file, self.find, self.replace, self.patch], separators=(",", ":"))
        return f"{self.falsifier}#{hashlib.sha256(spec.encode()).hexdigest()[:12]}"

    @property
    def label(self) -> str:
        return f"{self.falsifier} mutant #{self.index + 1}"

    def files(self) -> list[str]:
        """The files this mutant changes, relative to the project root."""
        if self.patch is not None:
            try:
                return [f.path for f in parse_patch(self.patch)]
            except MutantError:
                return []
        return [self.file] if self.file else []

    def describe(self) -> str:
        if self.patch is not None:
            return f"patch of {', '.join(self.files()) or '?'}"
        old, new = _changed_part(self.find or "", self.replace or "")
        return f"{self.file}: {_one_line(old)!r} -> {_one_line(new)!r}"

    def apply(self, read: Any) -> dict[str, tuple[str, int]]:
        """``read(relpath) -> str | None``; returns relpath -> (mutated text, first changed line)."""
        if self.patch is not None:
            out: dict[str, tuple[str, int]] = {}
            for fp in parse_patch(self.patch):
                text = read(fp.path)
                if text is None:
                    raise MutantError(f"patch target {fp.path} does not exist", fp.path)
                out[fp.path] = apply_file_patch(text, fp)
            return out
        assert self.file is not None and self.find is not None and self.replace is not None
        text = read(self.file)
        if text is None:
            raise MutantError(f"{self.file} does not exist", self.file)
        count = text.count(self.find)
        if count != 1:
            where = "" if count == 0 else " (lines " + ", ".join(
                str(text.count("\n", 0, m.start()) + 1) for m in re.finditer(re.escape(self.find), text)) + ")"
            raise MutantError(f"find text occurs {count} times in {self.file}{where}; it must occur exactly "
                              "once (add surrounding text to make it unique)", self.file)
        at = text.index(self.find)
        return {self.file: (text.replace(self.find, self.replace, 1), text.count("\n", 0, at) + 1)}


def _changed_part(old: str, new: str, keep: int = 12) -> tuple[str, str]:
    """The differing middle of two texts, with a little context (long finds read badly in a table)."""
    pre = 0
    while pre < min(len(old), len(new)) and old[pre] == new[pre]:
        pre += 1
    suf = 0
    while suf < min(len(old), len(new)) - pre and old[-1 - suf] == new[-1 - suf]:
        suf += 1
    start = max(pre - keep, 0)
    def cut(t: str) -> str:
        end = len(t) - max(suf - keep, 0)
        return ("…" if start else "") + t[start:end] + ("…" if end < len(t) else "")
    return cut(old), cut(new)


def _one_line(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


# ---- unified diffs ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Hunk:
    old_start: int
    lines: tuple[str, ...]  # each starting with ' ', '-' or '+'


@dataclass(frozen=True, slots=True)
class FilePatch:
    path: str
    hunks: tuple[Hunk, ...]


_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@")


def _strip_prefix(name: str) -> str:
    name = name.split("\t", 1)[0].strip()
    return name[2:] if name[:2] in ("a/", "b/") else name


def parse_patch(text: str) -> list[FilePatch]:
    """The files and hunks of a unified diff; raises MutantError when it is not one."""
    files: list[FilePatch] = []
    path: str | None = None
    hunks: list[Hunk] = []
    current: list[str] | None = None
    start = 0

    def flush_hunk() -> None:
        nonlocal current
        if current is not None:
            hunks.append(Hunk(start, tuple(current)))
            current = None

    def flush_file() -> None:
        nonlocal hunks
        flush_hunk()
        if path is not None:
            if not hunks:
                raise MutantError(f"patch for {path} has no hunk (@@ -l,n +l,n @@)", path)
            files.append(FilePatch(path, tuple(hunks)))
        hunks = []

    for raw in text.splitlines():
        if raw.startswith("--- "):
            flush_file()
            path = None
            continue
        if raw.startswith("+++ "):
            path = _strip_prefix(raw[4:])
            continue
        m = _HUNK.match(raw)
        if m:
            if path is None:
                raise MutantError("patch hunk before a '+++ file' header")
            flush_hunk()
            start = int(m.group(1))
            current = []
            continue
        if current is not None and raw[:1] in (" ", "-", "+"):
            current.append(raw)
        elif current is not None and raw == "":
            current.append(" ")  # an empty context line whose leading space was trimmed
        elif raw.startswith(("diff ", "index ", "\\")):
            continue
    flush_file()
    if not files:
        raise MutantError("patch: is not a unified diff (needs '--- a/file', '+++ b/file' and '@@' hunks)")
    return files


def apply_file_patch(text: str, fp: FilePatch) -> tuple[str, int]:
    """Apply every hunk exactly (context and removed lines must match); (new text, first changed line)."""
    lines = text.splitlines(keepends=True)
    offset = 0
    first = 0
    for h in fp.hunks:
        old = [ln[1:] for ln in h.lines if ln[0] in (" ", "-")]
        new = [ln[1:] for ln in h.lines if ln[0] in (" ", "+")]
        want = max(h.old_start - 1, 0) + offset
        at = _find_block(lines, old, want)
        if at is None:
            raise MutantError(f"patch hunk @@ -{h.old_start} does not apply to {fp.path}: its context "
                              "and removed lines are not in the file", fp.path, h.old_start)
        ends = [lines[at + i][len(old[i]):] if i < len(old) else "\n" for i in range(len(old))]
        eol = ends[-1] if ends else "\n"
        repl = [n + (ends[i] if i < len(ends) else eol or "\n") for i, n in enumerate(new)]
        changed = next((i for i, ln in enumerate(h.lines) if ln[0] != " "), 0)
        ctx_before = sum(1 for ln in h.lines[:changed] if ln[0] == " ")
        first = first or at + ctx_before + 1
        lines[at:at + len(old)] = repl
        offset += len(new) - len(old)
    return "".join(lines), first


def _find_block(lines: list[str], block: list[str], want: int) -> int | None:
    def matches(at: int) -> bool:
        return at + len(block) <= len(lines) and all(
            lines[at + i].rstrip("\r\n") == b for i, b in enumerate(block))
    if matches(want):
        return want
    hits = [i for i in range(len(lines) - len(block) + 1) if matches(i)]
    return hits[0] if len(hits) == 1 else None


# ---- reading mutants out of contracts ----------------------------------------------------------
def mutants_of(contract: Any) -> dict[str, list[Mutant]]:
    """Falsifier ID -> its declared mutants (malformed entries are the schema check's business)."""
    out: dict[str, list[Mutant]] = {}
    for view in contract.falsifiers():
        item = _item(contract.raw, view.key_path)
        raw = item.get("mutants") if isinstance(item, dict) else None
        if not isinstance(raw, list):
            continue
        found: list[Mutant] = []
        for i, m in enumerate(raw):
            if not isinstance(m, dict):
                continue
            kp = (*view.key_path, "mutants", i)
            line, col = contract.locate(kp)
            strs = {k: (m.get(k) if isinstance(m.get(k), str) else None)
                    for k in ("file", "find", "replace", "patch", "why")}
            if strs["patch"] is None and not (strs["file"] and strs["find"] and strs["replace"] is not None):
                continue
            found.append(Mutant(view.id, i, strs["file"], strs["find"], strs["replace"], strs["patch"],
                                strs["why"] or "", contract.path, line, col, kp))
        if found:
            out.setdefault(view.id, []).extend(found)
    return out


def _item(raw: Any, key_path: KeyPath) -> Any:
    for k in key_path:
        try:
            raw = raw[k]
        except (KeyError, IndexError, TypeError):
            return None
    return raw


def reader(root: Path) -> Any:
    """A ``read(relpath)`` for :meth:`Mutant.apply` over the files under ``root`` (None: missing)."""
    base = root.resolve()

    def read(rel: str) -> str | None:
        path = (base / rel).resolve()
        if not path.is_relative_to(base) or not path.is_file():
            return None
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
    return read
