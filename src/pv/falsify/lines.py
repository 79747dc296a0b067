"""The pytest plugin ``pv falsify --suggest`` loads in an unmutated copy (``-p pv.falsify.lines``).

It records which lines of the code under test the bound tests execute, so suggested mutants land
only where a test could notice them. With coverage.py installed it measures with coverage (fast,
C tracer); without it, a plain ``sys.settrace`` line tracer does the same job more slowly. Started
at import time, which is before pytest imports conftest files and test modules. Writes
``{"tool": "coverage"|"settrace", "lines": {abs_path: [line, ...]}, "failed": n, "passed": n}``
to ``$PV_FALSIFY_LINES``. Only files under ``$PV_FALSIFY_ROOT`` are kept.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

_ROOT = os.path.realpath(os.environ.get("PV_FALSIFY_ROOT", os.getcwd()))
_HITS: dict[str, set[int]] = {}
_STATE: dict[str, Any] = {"failed": 0, "passed": 0}

try:
    import coverage

    _COV: Any = coverage.Coverage(data_file=None, include=[os.path.join(_ROOT, "*")], branch=False)
    _COV.start()
    _TOOL = "coverage"
except ImportError:
    _COV = None
    _TOOL = "settrace"

    def _trace(frame: Any, event: str, arg: Any) -> Any:
        filename = frame.f_code.co_filename
        if not filename.startswith(_ROOT):
            return None
        hits = _HITS.setdefault(filename, set())

        def local(frame: Any, event: str, arg: Any) -> Any:
            if event == "line":
                hits.add(frame.f_lineno)
            return local
        if event == "call":
            hits.add(frame.f_lineno)
        return local

    sys.settrace(_trace)
    threading.settrace(_trace)


def pytest_runtest_logreport(report: Any) -> None:
    if report.failed:
        _STATE["failed"] += 1
    elif report.when == "call" and report.passed:
        _STATE["passed"] += 1


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    lines: dict[str, list[int]] = {}
    if _COV is not None:
        _COV.stop()
        data = _COV.get_data()
        for f in data.measured_files():
            lines[f] = sorted(data.lines(f) or [])
    else:
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]
        lines = {f: sorted(v) for f, v in _HITS.items()}
    path = os.environ.get("PV_FALSIFY_LINES")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"tool": _TOOL, "lines": lines, **_STATE, "exitstatus": int(exitstatus)}, handle)
