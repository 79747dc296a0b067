"""The static test index: every test pytest would collect in a project, without running pytest.

Built from ``ast`` scans of the files pytest's configuration selects, reusing
cached scans whose file content is unchanged. It answers the questions test
binding asks (does this node ID exist, which tests have this name, which tests
does this ``-k`` select) and knows why a near miss is not collected.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pv.testindex import cache
from pv.testindex.discover import discover
from pv.testindex.model import FileScan, TestFunction
from pv.testindex.pyconfig import PytestConfig, load_pytest_config


@dataclass(slots=True)
class IndexStats:
    files: int = 0
    functions: int = 0
    items: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    seconds: float = 0.0


@dataclass(slots=True)
class TestIndex:
    """Every test of a project, by node ID and by name."""

    __test__ = False  # not a pytest test class, whatever its name
    root: Path
    config: PytestConfig
    files: dict[str, FileScan]
    stats: IndexStats = field(default_factory=IndexStats)
    by_nodeid: dict[str, TestFunction] = field(default_factory=dict)
    by_name: dict[str, list[TestFunction]] = field(default_factory=dict)
    conftests: dict[str, FileScan] = field(default_factory=dict)
    # Files pytest's collect_ignore(_glob) drops: rel -> reason (they are not in ``files``).
    ignored: dict[str, str] = field(default_factory=dict)
    # Why a file's set of tests may differ from its source (a collection hook, a computed
    # collect_ignore): only pytest's collection can say what exists there. rel -> reason.
    file_dynamic: dict[str, str] = field(default_factory=dict)
    # Why a test's items (parametrize IDs) cannot be known statically: base node ID -> reason.
    undecidable: dict[str, str] = field(default_factory=dict)

    def file_hashes(self) -> dict[str, str | None]:
        """sha256 of every readable test file as scanned now, keyed like the ledger's ``file``,
        so result freshness (pv.ledger.freshness) never hashes a file the index already read."""
        return {rel: scan.sha256 for rel, scan in self.files.items() if scan.sha256}

    def __post_init__(self) -> None:
        for scan in self.files.values():
            for func in scan.functions:
                self.by_nodeid[func.base_nodeid] = func
                self.by_name.setdefault(func.name, []).append(func)
        self.stats.files = len(self.files)
        self.stats.functions = len(self.by_nodeid)
        self.stats.items = sum(len(f.params) if f.params else 1 for f in self.by_nodeid.values())
        self._decide()

    def _decide(self) -> None:
        """Fill ``undecidable`` and ``file_dynamic`` from the scans, their conftest chains and fixtures."""
        from pv.testindex.conftests import chain
        from pv.testindex.fixtures import undecidable_reason

        for rel, scan in self.files.items():
            confs = chain(rel, self.conftests)
            hooks = [(scan.path, h) for h in scan.hooks] + [(c.path, h) for c in confs for h in c.hooks]
            if hooks and rel not in self.file_dynamic:
                where, hook = hooks[0]
                self.file_dynamic[rel] = (f"{where} defines tests under a module-level if/try" if hook == "<conditional>"
                                          else f"{where} defines {hook}, which can add, drop or parametrize tests")
            for func in scan.functions:
                why = (self.file_dynamic.get(rel) or func.params_undecidable or func.dynamic
                       or undecidable_reason(func, scan, confs))
                if why is not None:
                    self.undecidable[func.base_nodeid] = why

    def functions(self) -> Iterator[TestFunction]:
        return iter(self.by_nodeid.values())

    def function(self, base_nodeid: str) -> TestFunction | None:
        return self.by_nodeid.get(base_nodeid)

    def named(self, name: str) -> list[TestFunction]:
        return self.by_name.get(name, [])

    def file(self, rel: str) -> FileScan | None:
        return self.files.get(rel)

    def under(self, prefix_nodeid: str) -> list[TestFunction]:
        """Tests selected by a module or class node ID (``tests/x.py`` or ``tests/x.py::TestC``)."""
        rel, _, rest = prefix_nodeid.partition("::")
        scan = self.files.get(rel)
        if scan is None:
            return []
        classes = tuple(rest.split("::")) if rest else ()
        return [f for f in scan.functions if f.classes[: len(classes)] == classes]

    def item_ids(self) -> set[str]:
        """Every node ID the static index can name (undecidable parametrizations excluded)."""
        out: set[str] = set()
        for func in self.by_nodeid.values():
            if func.params_undecidable is None:
                out.update(func.item_ids())
        return out


def build_index(root: Path, *, use_cache: bool = True, config: PytestConfig | None = None) -> TestIndex:
    """Scan (or reuse cached scans of) every test file pytest would collect under ``root``."""
    started = time.perf_counter()
    root = root.resolve()
    cfg = config or load_pytest_config(root)
    key = f"{cfg.fingerprint()}-{cache.code_stamp()}"
    cached = cache.load(root, key) if use_cache else {}
    scans: dict[str, FileScan] = {}
    stats = IndexStats()
    conftest_paths: list[str] = []
    candidates = discover(cfg, conftest_paths)
    conftests: dict[str, FileScan] = {}
    for rel in conftest_paths:
        conftests[rel] = _scan_one(root, CONFTEST_KEY + rel, rel, cfg, cached, stats, conftest=True)
    from pv.testindex.conftests import ignored as ignored_by

    ignored: dict[str, str] = {}
    file_dynamic: dict[str, str] = {}
    for rel in candidates:
        why, undecided = ignored_by(rel, conftests) if conftests else (None, None)
        if why is not None:
            ignored[rel] = why
            continue
        if undecided is not None:
            file_dynamic[rel] = f"whether pytest collects it depends on {undecided}"
        scans[rel] = _scan_one(root, rel, rel, cfg, cached, stats)
    everything = {**scans, **{CONFTEST_KEY + k: v for k, v in conftests.items()}}
    if use_cache and (stats.cache_misses or len(cached) != len(everything)):
        cache.save(root, key, everything)
    index = TestIndex(root=root, config=cfg, files=scans, stats=stats, conftests=conftests, ignored=ignored,
                      file_dynamic=file_dynamic)
    index.stats.seconds = time.perf_counter() - started
    return index


CONFTEST_KEY = "conftest:"  # cache keys of conftest scans (never a test file's relative path)


def _scan_one(root: Path, key: str, rel: str, cfg: PytestConfig, cached: dict, stats: IndexStats,  # type: ignore[type-arg]
              *, conftest: bool = False) -> FileScan:
    """One file's scan, reused from the cache when its content hash is unchanged."""
    try:
        data = (root / rel).read_bytes()
    except OSError as exc:
        return FileScan(path=rel, sha256="", error=f"cannot read: {exc.strerror}")
    digest = hashlib.sha256(data).hexdigest()
    hit = cached.get(key)
    if hit is not None and hit.get("sha256") == digest:
        try:
            scan = FileScan.from_json(hit)
            stats.cache_hits += 1
            return scan
        except (KeyError, IndexError, TypeError, ValueError):
            pass  # a damaged entry is just rescanned
    stats.cache_misses += 1
    if conftest:
        from pv.testindex.conftests import scan_conftest

        return scan_conftest(rel, data, cfg)
    from pv.testindex.scan import scan_source  # only on a miss: a warm run never imports the scanner

    return scan_source(rel, data, cfg)


def item_keywords(func: TestFunction, param: str | None) -> list[str]:
    """The names pytest's ``-k`` matches for one item (see testindex/kexpr.py)."""
    parts = func.file.split("/")
    names = [*parts, *func.classes, func.name if param is None else f"{func.name}[{param}]"]
    names.extend(func.mark_names)
    return names
