"""Replay a ``pv lint`` run whose inputs did not change (``.pv/cache/lint-runs.json``, safe to delete).

The key covers everything the result depends on: pv's own source files, the
command-line options, ``pyproject.toml`` and the pytest ini files, the bytes of
every file under the contract paths and the configured contract directories,
the bytes of every test file pytest would collect, the baseline file, the
evidence directory (manifests by content, other files by size and mtime), the
files pv keeps in ``.pv/`` outside its cache (the results ledger), the git
HEAD (gates compare against it), the extra paths gates declare in
``CACHE_INPUTS``, and the existence of every other path the previous run
probed (evidence packs, cited files outside the index). Any change is a miss
and a fresh run. A gate module that sets ``CACHEABLE = False`` turns replay
off. Computing the
key imports nothing heavy (no pydantic, no YAML), which is what makes a warm
run fast. ``--collect``, ``--no-cache``, ``--update-baseline`` and colored
output are never cached.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import pv

if TYPE_CHECKING:
    from pv.config import PvConfig
    from pv.lint.framework import LintContext

FORMAT = 3
MAX_ENTRIES = 8
_INI_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


def _file_digest(h: hashlib._Hash, path: Path) -> None:
    try:
        h.update(path.read_bytes())
    except OSError as exc:
        h.update(f"<unreadable {exc.errno}>".encode())


def _walk(h: hashlib._Hash, start: Path) -> None:
    """Every file below ``start`` (sorted): name and bytes of YAML, name and size of the rest."""
    if start.is_file():
        h.update(f"F{start}\0".encode())
        _file_digest(h, start)
        return
    if not start.exists():
        h.update(f"M{start}\0".encode())
        return
    for dirpath, dirnames, filenames in os.walk(start, followlinks=True):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            h.update(f"F{path}\0".encode())
            if name.endswith((".yaml", ".yml")):
                _file_digest(h, path)
            else:
                try:
                    h.update(str(path.stat().st_size).encode())
                except OSError:
                    h.update(b"?")
        if len(dirnames) > 10_000:  # pathological trees: stop hashing, never replay
            h.update(os.urandom(8))


def _gate_declarations() -> tuple[bool, list[str]]:
    """(cacheable, extra inputs) declared by gate modules, read from their source without importing them."""
    import ast

    folder = Path(pv.__file__).parent / "lint" / "gates"
    cacheable = True
    inputs: list[str] = []
    for module in sorted(folder.glob("*.py")):
        try:
            tree = ast.parse(module.read_bytes())
        except (OSError, SyntaxError, ValueError):
            return False, []
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                name = stmt.targets[0].id
                try:
                    value = ast.literal_eval(stmt.value)
                except ValueError:
                    continue
                if name == "CACHEABLE" and value is False:
                    cacheable = False
                elif name == "CACHE_INPUTS" and isinstance(value, list | tuple):
                    inputs.extend(str(v) for v in value)
    return cacheable, inputs


def _walk_stat(h: hashlib._Hash, start: Path, skip: Path | None = None) -> None:
    """Files below ``start``: JSON/YAML/text by content, everything else by size and mtime (none if absent)."""
    for dirpath, dirnames, filenames in os.walk(start):
        dirnames.sort()
        if skip is not None:
            dirnames[:] = [d for d in dirnames if Path(dirpath, d) != skip]
        for name in sorted(filenames):
            path = Path(dirpath, name)
            h.update(f"F{path}\0".encode())
            if name.endswith((".json", ".yaml", ".yml", ".txt", ".jsonl")):
                _file_digest(h, path)
            else:
                try:
                    st = path.stat()
                    h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
                except OSError:
                    h.update(b"?")


_MUTANT_FILE = re.compile(rb"^[ \t-]*(?:file:[ \t]*[\"']?([^\"'#\s]+)|\+\+\+ (?:b/)?(\S+))", re.M)


def _mutant_targets(h: hashlib._Hash, root: Path, starts: list[Path]) -> None:
    """The files declared mutants change (``file:`` / ``+++ b/...`` in contract YAML): ``pv validate``
    checks each mutant against them, so an edit of one must be a miss. A regex, not a YAML parse:
    a ``file:`` key elsewhere only adds a harmless input."""
    seen: set[bytes] = set()
    for start in starts:
        files = [start] if start.is_file() else sorted(
            p for ext in ("*.yaml", "*.yml") for p in start.rglob(ext)) if start.is_dir() else []
        for f in files:
            try:
                text = f.read_bytes()
            except OSError:
                continue
            if b"mutants:" not in text:
                continue
            for m in _MUTANT_FILE.finditer(text):
                seen.add(m.group(1) or m.group(2))
    for rel in sorted(seen):
        h.update(b"M" + rel + b"\0")
        _file_digest(h, root / rel.decode("utf-8", "replace"))


def _git_head(h: hashlib._Hash, root: Path) -> None:
    for folder in (root, *root.parents):
        git = folder / ".git"
        if git.is_dir():
            head = git / "HEAD"
            _file_digest(h, head)
            try:
                text = head.read_text(encoding="utf-8").strip()
            except OSError:
                return
            if text.startswith("ref:"):
                ref = git / text[4:].strip()
                if ref.is_file():
                    _file_digest(h, ref)
            packed = git / "packed-refs"
            if packed.is_file():
                _file_digest(h, packed)
            # The version-bump gate's base (merge-base with origin/main, or a --base/diff_base
            # ref) moves when remote-tracking refs or tags move: a replay must not outlive it.
            _walk_stat(h, git / "refs" / "remotes")
            _walk_stat(h, git / "refs" / "tags")
            return
        if git.is_file():  # a worktree or submodule: hash the pointer (and never trust it further)
            _file_digest(h, git)
            h.update(os.urandom(8))
            return


def _pv_source_stamp() -> str:
    """Changes whenever any pv module changes (so a pv upgrade or a local edit never replays)."""
    h = hashlib.sha256(pv.__version__.encode())
    base = Path(pv.__file__).parent
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".py"):
                st = os.stat(os.path.join(dirpath, name))
                h.update(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}\0".encode())
    return h.hexdigest()


class RunCache:
    def __init__(self, root: Path, argv_key: str, config: PvConfig, paths: list[str], baseline: str | None) -> None:
        self.root = root
        self.file = root / ".pv" / "cache" / "lint-runs.json"
        self.argv_key = argv_key
        self.config = config
        self.paths = paths
        self.baseline = baseline
        self._inputs: str | None = None
        self.extra_inputs: list[str] = []

    @classmethod
    def for_args(cls, args: argparse.Namespace, config: PvConfig, paths: list[str]) -> RunCache | None:
        if args.no_cache or args.collect or args.update_baseline:
            return None
        cacheable, extra = _gate_declarations()
        if not cacheable:
            return None
        if args.format == "text" and (args.color == "always" or (args.color == "auto" and _isatty())):
            return None
        argv = {
            "cwd": os.getcwd(), "paths": list(args.paths), "format": args.format, "strict": args.strict,
            "stb": args.strict_test_binding, "quiet": args.quiet, "baseline": args.baseline,
            "color": args.color, "base": args.base, "pv": _pv_source_stamp(), "format_version": FORMAT,
            "unknown_keys": getattr(args, "unknown_keys", None),
        }  # fmt: skip
        key = hashlib.sha256(json.dumps(argv, sort_keys=True).encode()).hexdigest()
        cache = cls(config.root, key, config, paths, args.baseline)
        cache.extra_inputs = extra
        return cache

    # ---- key -------------------------------------------------------------------------------
    def inputs_key(self) -> str:
        if self._inputs is not None:
            return self._inputs
        from pv.testindex.discover import discover
        from pv.testindex.pyconfig import PytestConfigError, load_pytest_config

        h = hashlib.sha256()
        for name in _INI_FILES:
            path = self.root / name
            h.update(f"I{name}\0".encode())
            if path.is_file():
                _file_digest(h, path)
        if self.config.source is not None:
            _file_digest(h, self.config.source)
        starts = [Path(p) for p in self.paths] + [self.root / c for c in self.config.contracts]
        for start in starts:
            text = str(start)
            if any(ch in text for ch in "*?["):
                import glob

                h.update(f"G{text}\0".encode())
                for match in sorted(glob.glob(text, recursive=True)):
                    _walk(h, Path(match))
            else:
                _walk(h, start.resolve() if start.exists() else start)
        _mutant_targets(h, self.root, starts)
        try:
            cfg = load_pytest_config(self.root)
            test_files = discover(cfg)
        except (PytestConfigError, OSError):
            test_files = []
            h.update(os.urandom(8))  # a broken config: never replay
        for rel in test_files:
            h.update(f"T{rel}\0".encode())
            _file_digest(h, self.root / rel)
        if self.baseline:
            h.update(b"B")
            _walk(h, Path(self.baseline))
        _walk_stat(h, self.root / "evidence")
        _walk_stat(h, self.root / ".pv", skip=self.root / ".pv" / "cache")
        for rel in self.extra_inputs:
            _walk_stat(h, self.root / rel)
        _git_head(h, self.root)
        self._inputs = h.hexdigest()
        return self._inputs

    # ---- storage -----------------------------------------------------------------------------
    def _load(self) -> dict[str, dict]:  # type: ignore[type-arg]
        try:
            raw = json.loads(self.file.read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(raw, dict) or raw.get("format") != FORMAT or not isinstance(raw.get("entries"), dict):
            return {}
        return raw["entries"]

    def replay(self, stream: TextIO) -> int | None:
        """Write the stored output and return its exit code, or None on any miss."""
        entry = self._load().get(self.argv_key)
        if not isinstance(entry, dict) or entry.get("inputs") != self.inputs_key():
            return None
        probes = entry.get("probes", {})
        for path, existed in probes.items():
            if Path(path).exists() != existed:
                return None
        stream.write(entry.get("output", ""))
        code = entry.get("code")
        if code == 2 and entry.get("stderr"):
            import sys

            sys.stderr.write(entry["stderr"])
        return int(code) if isinstance(code, int) else None

    def store(self, ctx: LintContext, output: str, code: int) -> None:
        entries = self._load()
        resolver = ctx.resolver_if_built
        probes = dict(getattr(resolver, "probes", {}) or {})
        entries.pop(self.argv_key, None)
        entries[self.argv_key] = {"inputs": self.inputs_key(), "probes": probes, "output": output, "code": code,
                                  "stderr": "pv lint: nothing was measured (no contract, or no test reference "
                                            "under --strict-test-binding); exit 2\n" if code == 2 else ""}
        while len(entries) > MAX_ENTRIES:
            entries.pop(next(iter(entries)))
        import contextlib

        from pv.atomic import write_json

        # a cache that cannot be written only costs the next run its replay
        with contextlib.suppress(OSError):
            write_json(self.file, {"format": FORMAT, "entries": entries})


def _isatty() -> bool:
    import sys

    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False
