"""Version sanity (PV-SEM-001..007): semver, top vs metadata, and the changelog.

The contract's version is the top-level ``version`` when present (the gate dialect publishes it
there), else ``metadata.version``. The changelog is either strings ``"X.Y.Z (date): text"`` (the
date may be left out and the version may carry a ``v``: ``"v1.2.0: text"``, as in the Rust pv's
registries) or mappings ``{version, date, change}``; its newest entry must be the version, the version must
have an entry, and entries run in one direction (newest first or oldest first) without repeats.
"""

from __future__ import annotations

import re
from typing import Any

from pv.checks import codes
from pv.diagnostics import Diagnostic, Severity
from pv.model.contract import LoadedContract

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
CHANGELOG_LINE = re.compile(
    r"^\s*v?(?P<version>\d+\.\d+\.\d+[0-9A-Za-z.+-]*)\s*(?:\((?P<date>\d{4}-\d{2}-\d{2})\)\s*)?:\s*(?P<text>\S.*)",
    re.S)

Key = tuple[int, int, int, tuple[Any, ...]]


def semver_key(text: str) -> Key | None:
    """Sort key for a semver string (pre-releases sort before the release), None if not semver."""
    m = SEMVER.match(text)
    if not m:
        return None
    pre = m.group(4)
    pre_key: tuple[Any, ...] = (1,) if pre is None else (0, *((0, int(p)) if p.isdigit() else (1, p)
                                                             for p in pre.split(".")))
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), pre_key


def check_versions(contract: LoadedContract) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    raw, md = contract.raw, contract.metadata
    top = raw.get("version") if "version" in raw else None
    meta = md.get("version") if "version" in md else None

    def diag(code: str, path: tuple[str | int, ...], message: str, hint: str | None = None) -> None:
        line, col = contract.locate(path)
        out.append(Diagnostic(code, Severity.ERROR, message, contract.path, line, col, hint=hint))

    if top is None and meta is None:
        where = ("metadata",) if "metadata" in raw else ()
        diag(codes.SEM_NO_VERSION, where, "the contract states no version (top-level 'version' or "
             "'metadata.version')", "add metadata.version: '1.0.0'")
        return out
    for value, path in ((top, ("version",)), (meta, ("metadata", "version"))):
        if isinstance(value, str) and semver_key(value) is None:
            diag(codes.SEM_NOT_SEMVER, path, f"version '{value}' is not semver (MAJOR.MINOR.PATCH)",
                 "write it as e.g. '1.0.0'")
    if isinstance(top, str) and isinstance(meta, str) and top != meta:
        diag(codes.SEM_MISMATCH, ("metadata", "version"),
             f"metadata.version '{meta}' disagrees with the top-level version '{top}'",
             "bump both together")
    version = top if isinstance(top, str) else meta if isinstance(meta, str) else None
    changelog = md.get("changelog")
    if isinstance(changelog, list) and changelog:
        out.extend(_check_changelog(contract, changelog, version))
    return out


def _entry_version(entry: Any) -> tuple[str | None, str | None]:
    """(version, problem) of one changelog entry."""
    if isinstance(entry, str):
        m = CHANGELOG_LINE.match(entry)
        if not m:
            return None, "a changelog string reads 'X.Y.Z (YYYY-MM-DD): text' or 'vX.Y.Z: text'"
        return m.group("version"), None
    if isinstance(entry, dict):
        v = entry.get("version")
        if not isinstance(v, str):
            return None, None  # reported by the schema (missing or wrong type)
        return v, None
    return None, None  # wrong type: reported by the schema


def _check_changelog(contract: LoadedContract, changelog: list[Any], version: str | None) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    entries: list[tuple[int, str, Key]] = []
    for i, entry in enumerate(changelog):
        v, problem = _entry_version(entry)
        path = ("metadata", "changelog", i)
        line, col = contract.locate(path if not isinstance(entry, dict) else (*path, "version"))
        if problem:
            out.append(Diagnostic(codes.SEM_ENTRY, Severity.ERROR, f"changelog entry {i + 1}: {problem}",
                                  contract.path, line, col, hint="start it with 'X.Y.Z (YYYY-MM-DD): '"))
            continue
        if v is None:
            continue
        key = semver_key(v)
        if key is None:
            out.append(Diagnostic(codes.SEM_NOT_SEMVER, Severity.ERROR,
                                  f"changelog version '{v}' is not semver", contract.path, line, col))
            continue
        entries.append((i, v, key))
    if not entries:
        return out
    # Direction is set by the first two distinct entries; every later step must keep it. Only the
    # first break is reported (with a count): one misplaced entry would otherwise flag every later one.
    direction = 0
    breaks: list[tuple[int, str, str]] = []
    prev_i, prev_v, prev_k = entries[0]
    for i, v, k in entries[1:]:
        step = (k > prev_k) - (k < prev_k)
        if step == 0:
            line, col = contract.locate(_entry_path(changelog, i))
            out.append(Diagnostic(codes.SEM_ORDER, Severity.ERROR,
                                  f"changelog repeats version {v} (entry {prev_i + 1} has it too)",
                                  contract.path, line, col, hint="merge the two entries"))
        elif direction == 0:
            direction = step
        elif step != direction:
            breaks.append((i, v, prev_v))
        prev_i, prev_v, prev_k = i, v, k
    if breaks:
        i, v, before = breaks[0]
        order = "newest first" if direction < 0 else "oldest first"
        more = f" (and {len(breaks) - 1} more out-of-order step(s) after it)" if len(breaks) > 1 else ""
        line, col = contract.locate(_entry_path(changelog, i))
        out.append(Diagnostic(codes.SEM_ORDER, Severity.ERROR,
                              f"changelog goes backwards: {v} follows {before} in a changelog written {order}{more}",
                              contract.path, line, col, hint="put every entry in its place in the order",
                              data={"version": v, "after": before}))
    if version is None or semver_key(version) is None:
        return out
    newest_i, newest_v, _ = max(entries, key=lambda e: e[2])
    versions = {v for _, v, _ in entries}
    if version not in versions:
        line, col = contract.locate(("metadata", "changelog"))
        out.append(Diagnostic(codes.SEM_NOT_IN_CHANGELOG, Severity.ERROR,
                              f"changelog skips the current version {version}", contract.path, line, col,
                              hint=f"add an entry for {version}"))
    if newest_v != version:
        line, col = contract.locate(_entry_path(changelog, newest_i))
        out.append(Diagnostic(codes.SEM_NEWEST, Severity.ERROR,
                              f"newest changelog entry is {newest_v} but the contract's version is {version}",
                              contract.path, line, col,
                              hint="bump the version to the newest entry, or fix the entry"))
    return out


def _entry_path(changelog: list[Any], i: int) -> tuple[str | int, ...]:
    base: tuple[str | int, ...] = ("metadata", "changelog", i)
    return (*base, "version") if isinstance(changelog[i], dict) else base
