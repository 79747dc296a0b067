"""pytest plugin ``--pv-record[=PATH]``: a normal test run records the results ledger.

CI runs the suite once, not twice: ``pytest --pv-record`` records every test's
outcome, duration, test-file sha256 and git commit into ``.pv/results.json``
under the rootdir (or ``--pv-record=PATH.json``), which ``pv status`` reads.
``pv run`` uses the same plugin for just the bound tests.

Loaded in every pytest session through the ``pytest11`` entry point, so it
does nothing unless the flag is given and imports only the standard library
(plus :mod:`pv.ledger`, which is stdlib-only) at module scope. Under
pytest-xdist only the controller writes; workers forward their reports to it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pv.ledger import DEFAULT_LEDGER, TestResult, git_head, record_results, sha256_file

_FLAG_UNSET = object()
_KEY = "_pv_recorder"


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("pv", "pv contract verification")
    group.addoption(
        "--pv-record",
        action="store",
        nargs="?",
        const=str(DEFAULT_LEDGER),
        default=None,
        metavar="PATH",
        help="record each test's outcome into pv's results ledger (default .pv/results.json under rootdir; "
        "PATH must end in .json, write it as --pv-record=PATH.json)",
    )


def pytest_configure(config: Any) -> None:
    value = config.getoption("--pv-record", default=None)
    if value is None or hasattr(config, "workerinput"):
        return  # not asked, or an xdist worker (the controller records)
    if not str(value).endswith(".json"):
        import pytest

        raise pytest.UsageError(
            f"--pv-record: ledger path must end in .json (got {value!r}); write --pv-record=PATH.json, "
            "or put test paths before a bare --pv-record"
        )
    path = Path(value)
    if not path.is_absolute():
        path = Path(config.rootpath) / path
    recorder = _Recorder(Path(config.rootpath), path)
    config.pluginmanager.register(recorder, _KEY)


class _Recorder:
    """Collects one outcome per node ID from the setup/call/teardown reports."""

    def __init__(self, root: Path, ledger_path: Path) -> None:
        self.root = root
        self.ledger_path = ledger_path
        self.outcomes: dict[str, str] = {}
        self.durations: dict[str, float] = {}
        self.commit, self.dirty = git_head(root)
        self.saved = 0
        self.hashes: dict[str, str | None] = {}

    def pytest_collection_finish(self, session: Any) -> None:
        """Hash test files when collected: the result describes the code that was imported.

        Under xdist the controller collects nothing; files are then hashed at
        session end, in :meth:`pytest_sessionfinish`.
        """
        for item in getattr(session, "items", ()):
            self._hash(item.nodeid.split("::", 1)[0])

    def _hash(self, rel: str) -> str | None:
        if rel not in self.hashes:
            path = self.root / rel
            self.hashes[rel] = sha256_file(path) if path.is_file() else None
        return self.hashes[rel]

    def pytest_runtest_logreport(self, report: Any) -> None:
        nid = report.nodeid
        self.durations[nid] = self.durations.get(nid, 0.0) + float(getattr(report, "duration", 0.0) or 0.0)
        outcome = _phase_outcome(report)
        if outcome is None:
            return
        current = self.outcomes.get(nid)
        # The worst phase wins: a teardown error turns a pass into an error.
        if current is None or _RANK[outcome] > _RANK[current]:
            self.outcomes[nid] = outcome

    def pytest_sessionfinish(self, session: Any) -> None:
        if not self.outcomes:
            return
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        results = []
        for nid, outcome in self.outcomes.items():
            rel = nid.split("::", 1)[0]
            results.append(
                TestResult(
                    node_id=nid, outcome=outcome, duration_s=round(self.durations.get(nid, 0.0), 6), file=rel,
                    file_sha256=self._hash(rel), git_commit=self.commit, git_dirty=self.dirty, recorded_at=now,
                )
            )
        _, warning = record_results(self.ledger_path, results)
        if warning:  # never silently drop the run: say the old ledger was unreadable
            session.config.get_terminal_writer().line(f"pv-record: {warning}", yellow=True)
        self.saved = len(results)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_line(f"pv-record: {self.saved} test outcome(s) recorded in {self.ledger_path}")


_RANK = {"passed": 0, "skipped": 1, "xpassed": 1, "xfailed": 1, "failed": 2, "error": 3}


def _phase_outcome(report: Any) -> str | None:
    """Map one phase report to a ledger outcome (None: this phase says nothing new)."""
    was_xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if was_xfail:
            return "xfailed" if report.skipped else "xpassed" if report.passed else "failed"
        if report.passed:
            return "passed"
        return "skipped" if report.skipped else "failed"
    # setup / teardown
    if report.failed:
        return "error"
    if report.skipped:
        return "xfailed" if was_xfail else "skipped"
    return None


def plugin_args() -> list[str]:
    """pytest arguments that make this plugin load exactly once.

    Installed pv registers the plugin through the ``pytest11`` entry point;
    passing ``-p pv.record_plugin`` as well makes pluggy refuse the second
    registration, so ``-p`` is added only when the entry point is absent or
    plugin autoloading is disabled.
    """
    import os
    from importlib.metadata import entry_points

    if not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        for ep in entry_points(group="pytest11"):
            if ep.value.strip() == __name__:
                return []
    return ["-p", __name__]
