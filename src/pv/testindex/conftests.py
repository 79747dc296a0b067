"""conftest.py files: the fixtures, hooks and ``collect_ignore`` lists that shape collection below them.

pytest loads every ``conftest.py`` from the rootdir down to a test file's
directory; the nearest definition of a fixture wins, and the nearest conftest
that sets ``collect_ignore`` / ``collect_ignore_glob`` decides what is ignored
(paths relative to that conftest's directory). Only literal lists are read;
anything computed (an ``append`` under a version check) is recorded as a reason,
so the files below it are decided by pytest's real collection, never guessed.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
from pathlib import PurePosixPath

from pv.testindex.model import FileScan
from pv.testindex.pyconfig import PytestConfig

CONFTEST = "conftest.py"


def _literal_strings(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.List | ast.Tuple) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
    ):
        return [e.value for e in node.elts]  # type: ignore[attr-defined]
    return None


def _read_ignores(tree: ast.Module, scan: FileScan) -> None:
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AugAssign | ast.AnnAssign) and isinstance(node.target, ast.Name):
            names = [node.target.id]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in {
                "collect_ignore", "collect_ignore_glob"}:
            scan.ignore_dynamic = f"{node.value.id}.{node.attr}(...) changes it at run time"
            continue
        for name in names:
            if name not in {"collect_ignore", "collect_ignore_glob"}:
                continue
            value = getattr(node, "value", None)
            found = _literal_strings(value) if isinstance(node, ast.Assign | ast.AnnAssign) and value else None
            top_level = node in tree.body
            if found is None or not top_level:
                scan.ignore_dynamic = f"{name} is computed (line {node.lineno})"
                continue
            if name == "collect_ignore":
                scan.collect_ignore = found
            else:
                scan.collect_ignore_glob = found


def scan_conftest(rel: str, data: bytes, cfg: PytestConfig) -> FileScan:
    """Fixtures, hooks and ignore lists of one conftest.py (its test-named defs are not tests)."""
    from pv.testindex.scan import scan_source

    scan = scan_source(rel, data, cfg)
    scan.functions = []
    scan.sha256 = hashlib.sha256(data).hexdigest()
    if scan.error is None:
        _read_ignores(ast.parse(data, filename=rel), scan)  # it parsed once already: it parses again
    return scan


def chain(rel: str, conftests: dict[str, FileScan]) -> list[FileScan]:
    """The conftests that apply to ``rel`` (a file or directory path), nearest first."""
    parts = PurePosixPath(rel).parts[:-1]
    out: list[FileScan] = []
    for depth in range(len(parts), -1, -1):
        key = "/".join((*parts[:depth], CONFTEST))
        scan = conftests.get(key)
        if scan is not None:
            out.append(scan)
    return out


def ignored(rel: str, conftests: dict[str, FileScan]) -> tuple[str | None, str | None]:
    """(why pytest ignores ``rel`` by collect_ignore(_glob), why that cannot be decided statically).

    Checked for the file and every directory above it, as pytest checks each path it walks."""
    parts = PurePosixPath(rel).parts
    for depth in range(1, len(parts) + 1):
        path = "/".join(parts[:depth])
        above = chain(path, conftests)
        for name in ("collect_ignore", "collect_ignore_glob"):
            for scan in above:
                if scan.ignore_dynamic:
                    return None, f"{scan.path}: {scan.ignore_dynamic}"
                entries = getattr(scan, name)
                if not entries:
                    continue
                base = str(PurePosixPath(scan.path).parent)
                base = "" if base == "." else base + "/"
                for entry in entries:
                    target = base + entry.rstrip("/")
                    if (name == "collect_ignore" and path == str(PurePosixPath(target))) or (
                            name == "collect_ignore_glob" and fnmatch.fnmatch(path, target)):
                        return f"{scan.path} lists it in {name} ({entry!r})", None
                break  # the nearest conftest defining the name decides
    return None, None
