"""The results ledger: what each bound test did the last time it ran.

``pv status`` computes FUNCTIONAL from *recorded* outcomes, never from a claim,
so every recorded outcome carries what it takes to tell whether it still says
anything about the code on disk: the sha256 of the test file when it ran (a
changed file makes the result *stale*), the git commit, and the time.

The ledger is one JSON file, by default ``.pv/results.json`` under the project
root (docs/evidence.md, "Results ledger")::

    {
      "schema_version": 1,
      "results": {
        "tests/test_x.py::test_y": {
          "outcome": "passed",            # passed|failed|error|skipped|xfailed|xpassed
          "duration_s": 0.012,
          "file": "tests/test_x.py",
          "file_sha256": "…64 hex…",
          "git_commit": "…40 hex…" | null,
          "git_dirty": false | null,
          "recorded_at": "2026-11-22T05:40:00Z"
        }
      }
    }

``pv falsify`` records its verdicts beside them, under ``"mutants"`` (absent until it has run)::

      "mutants": {
        "GATE-X-001#3fa2c1d0e9b8": {      # falsifier ID + hash of what the mutant changes
          "falsifier": "GATE-X-001",
          "outcome": "killed",            # killed|survived|invalid|timeout
          "detail": "tests/test_x.py::test_y failed: AssertionError…",
          "files": {"src/x.py": "…sha256 of the unmutated file…"},
          "tests": {"tests/test_x.py": "…sha256…"},
          "duration_s": 2.1, "git_commit": "…", "recorded_at": "…"
        }
      }

A mutant result is stale when the mutated file or any bound test file no longer has its hash.

A run merges into the ledger: node IDs it ran are replaced, others are kept.
Only ``passed`` counts as passed; skipped, xfailed and xpassed never do.

This module imports only the standard library: the pytest plugin that writes
the ledger loads in every pytest session.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from pv.atomic import write_json

SCHEMA_VERSION = 1
DEFAULT_LEDGER = Path(".pv") / "results.json"
OUTCOMES: frozenset[str] = frozenset({"passed", "failed", "error", "skipped", "xfailed", "xpassed"})


class LedgerError(Exception):
    """The ledger file exists but cannot be trusted (bad JSON, wrong shape)."""


@dataclass(frozen=True, slots=True)
class TestResult:
    """One node ID's most recent recorded outcome."""

    __test__ = False  # a data class, not a pytest test class

    node_id: str
    outcome: str
    duration_s: float
    file: str
    file_sha256: str | None
    git_commit: str | None
    git_dirty: bool | None
    recorded_at: str

    @property
    def passed(self) -> bool:
        """Only a plain pass counts: skipped/xfailed/xpassed prove nothing."""
        return self.outcome == "passed"

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        del data["node_id"]
        return data


@dataclass(frozen=True, slots=True)
class Freshness:
    """Whether a recorded result still describes the test file on disk."""

    fresh: bool
    reason: str  # "" when fresh; otherwise why not ("test file changed since the run")


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, streamed so large files stay cheap."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def git_head(root: Path) -> tuple[str | None, bool | None]:
    """(commit, dirty) of the repository at ``root``; (None, None) outside git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--verify", "-q", "HEAD"],
            cwd=root, capture_output=True, text=True, timeout=10, check=False,
        )
        if head.returncode != 0:
            return None, None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, timeout=30, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None, None
    dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    return head.stdout.strip(), dirty


def _parse_entry(node_id: str, raw: object, where: str) -> TestResult:
    if not isinstance(raw, dict):
        raise LedgerError(f"{where}: entry for {node_id!r} is not an object")
    outcome = raw.get("outcome")
    if outcome not in OUTCOMES:
        raise LedgerError(f"{where}: entry for {node_id!r} has outcome {outcome!r}; expected one of {sorted(OUTCOMES)}")
    try:
        return TestResult(
            node_id=node_id,
            outcome=str(outcome),
            duration_s=float(raw.get("duration_s", 0.0)),
            file=str(raw["file"]),
            file_sha256=raw.get("file_sha256"),
            git_commit=raw.get("git_commit"),
            git_dirty=raw.get("git_dirty"),
            recorded_at=str(raw.get("recorded_at", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise LedgerError(f"{where}: entry for {node_id!r} is malformed ({exc})") from None


MUTANT_OUTCOMES: frozenset[str] = frozenset({"killed", "survived", "invalid", "timeout"})


@dataclass(frozen=True, slots=True)
class MutantResult:
    """One declared mutant's most recent ``pv falsify`` verdict, with the hashes it was judged on."""

    key: str
    falsifier: str
    outcome: str
    detail: str
    files: dict[str, str]  # mutated file (relative) -> sha256 of its unmutated content
    tests: dict[str, str]  # bound test file -> sha256
    duration_s: float
    git_commit: str | None
    recorded_at: str

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        del data["key"]
        return data

    def freshness(self, root: Path, cache: dict[str, str | None] | None = None) -> Freshness:
        """Fresh while the mutated file and every bound test file still have the recorded hashes."""
        cache = cache if cache is not None else {}
        for rel, digest in (*self.files.items(), *self.tests.items()):
            if rel not in cache:
                path = root / rel
                cache[rel] = sha256_file(path) if path.is_file() else None
            if cache[rel] != digest:
                return Freshness(False, f"stale: {rel} changed since `pv falsify` ran")
        return Freshness(True, "")


def _parse_mutant(key: str, raw: object, where: str) -> MutantResult:
    if not isinstance(raw, dict) or raw.get("outcome") not in MUTANT_OUTCOMES:
        raise LedgerError(f"{where}: mutant entry {key!r} is malformed; expected an object with an outcome "
                          f"in {sorted(MUTANT_OUTCOMES)}")
    try:
        return MutantResult(key=key, falsifier=str(raw["falsifier"]), outcome=str(raw["outcome"]),
                            detail=str(raw.get("detail", "")), files=dict(raw["files"]), tests=dict(raw["tests"]),
                            duration_s=float(raw.get("duration_s", 0.0)), git_commit=raw.get("git_commit"),
                            recorded_at=str(raw.get("recorded_at", "")))
    except (KeyError, TypeError, ValueError) as exc:
        raise LedgerError(f"{where}: mutant entry {key!r} is malformed ({exc})") from None


class Ledger:
    """Node ID -> most recent :class:`TestResult`, loaded from / saved to JSON."""

    def __init__(self, results: Mapping[str, TestResult] | None = None, path: Path | None = None,
                 mutants: Mapping[str, MutantResult] | None = None) -> None:
        self.results: dict[str, TestResult] = dict(results or {})
        self.mutants: dict[str, MutantResult] = dict(mutants or {})
        self.path = path
        self._children: dict[str, list[str]] | None = None  # ID -> recorded IDs under it (built on demand)

    # ---- persistence -------------------------------------------------
    @classmethod
    def load(cls, path: Path) -> Ledger:
        """Read a ledger; a missing file is an empty ledger (nothing has run yet)."""
        if not path.exists():
            return cls(path=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LedgerError(f"{path}: cannot read the results ledger ({exc}); delete it and rerun `pv run`") from None
        if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
            raise LedgerError(
                f"{path}: not a pv results ledger with schema_version {SCHEMA_VERSION}; delete it and rerun `pv run`"
            )
        results = data.get("results")
        if not isinstance(results, dict):
            raise LedgerError(f"{path}: 'results' must be an object")
        mutants = data.get("mutants", {})
        if not isinstance(mutants, dict):
            raise LedgerError(f"{path}: 'mutants' must be an object")
        return cls({nid: _parse_entry(nid, raw, str(path)) for nid, raw in results.items()}, path=path,
                   mutants={k: _parse_mutant(k, raw, str(path)) for k, raw in mutants.items()})

    def save(self, path: Path | None = None) -> Path:
        """Write atomically (temp file + rename) so a killed run never leaves half a ledger."""
        target = path or self.path
        if target is None:
            raise ValueError("no ledger path")
        payload = {
            "schema_version": SCHEMA_VERSION,
            "results": {nid: self.results[nid].to_json() for nid in sorted(self.results)},
        }
        if self.mutants:
            payload["mutants"] = {k: self.mutants[k].to_json() for k in sorted(self.mutants)}
        write_json(target, payload, trailing_newline=True, indent=1, sort_keys=True)
        return target

    def merge(self, new: Iterable[TestResult]) -> None:
        """A later run replaces the entries of the node IDs it ran."""
        for result in new:
            self.results[result.node_id] = result
        self._children = None

    # ---- queries -------------------------------------------------------
    def lookup(self, node_id: str) -> list[TestResult]:
        """Results recorded for a node ID, or for all its parametrized cases.

        A contract may cite ``tests/t.py::test_f`` while pytest records
        ``tests/t.py::test_f[a]`` and ``[b]``; a class ID covers its methods.
        Matching is exact on the ID or on the ID followed by ``[`` or ``::``,
        never by substring.
        """
        exact = self.results.get(node_id)
        if exact is not None:
            return [exact]
        if self._children is None:
            self._children = self._index_children()
        return [self.results[nid] for nid in self._children.get(node_id, ())]

    def _index_children(self) -> dict[str, list[str]]:
        """Every ``::``-prefix and un-parametrized form of each recorded ID -> the IDs under it."""
        children: dict[str, list[str]] = {}
        for nid in sorted(self.results):
            base = nid.split("[", 1)[0]
            parts = base.split("::")
            owners = {"::".join(parts[:k]) for k in range(1, len(parts))}
            if base != nid:
                owners.add(base)
            for owner in owners:
                children.setdefault(owner, []).append(nid)
        return children


def record_results(path: Path, results: Iterable[TestResult],
                   mutants: Iterable[MutantResult] = ()) -> tuple[Path, str | None]:
    """Merge ``results`` into the ledger at ``path`` under an exclusive lock.

    Two test runs finishing at once (two terminals, CI shards on one disk)
    must not lose each other's results: load-merge-save happens under
    ``flock`` on ``<path>.lock`` where the platform has it. An unreadable
    existing ledger is replaced, and the returned warning says so.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    warning: str | None = None
    with open(path.with_name(path.name + ".lock"), "a+") as lock:
        try:
            import fcntl

            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        except ImportError:  # no flock on this platform: atomic replace still prevents a torn file
            pass
        try:
            ledger = Ledger.load(path)
        except LedgerError as exc:
            warning = f"{exc}; starting a new ledger"
            ledger = Ledger(path=path)
        ledger.merge(results)
        for m in mutants:
            ledger.mutants[m.key] = m
        ledger.save(path)
    return path, warning


def freshness(result: TestResult, root: Path, _cache: dict[str, str | None] | None = None) -> Freshness:
    """A result is fresh when its test file still has the hash recorded with it.

    ``_cache`` maps a test file (as recorded) to its current sha256, so a
    status run hashes each test file once however many results it holds.
    """
    if result.file_sha256 is None:
        return Freshness(False, "no file hash was recorded with the result")
    cache = _cache if _cache is not None else {}
    if result.file not in cache:
        path = root / result.file
        cache[result.file] = sha256_file(path) if path.is_file() else None
    current = cache[result.file]
    if current is None:
        return Freshness(False, f"test file {result.file} no longer exists")
    if current != result.file_sha256:
        return Freshness(False, f"stale: {result.file} changed since the recorded run")
    return Freshness(True, "")
