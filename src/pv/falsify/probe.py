"""The pytest plugin ``pv falsify`` loads inside the isolated copy (``-p pv.falsify.probe``).

It reports, as JSON at ``$PV_FALSIFY_PROBE``, what the judge needs and pytest's exit code cannot
tell apart: whether each mutated module imports at all and *from where* (a module found outside the
copy means an installed or editable copy shadows the mutated one, and the run proves nothing),
which collection errors happened, and which tests failed in which phase. Standard library only.
"""

from __future__ import annotations

import importlib
import json
import os
import traceback
from typing import Any

_STATE: dict[str, Any] = {"imports": {}, "collect_errors": [], "failed": [], "passed": 0, "selected": 0}


def _short(text: str, width: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def pytest_configure(config: Any) -> None:
    for name in filter(None, os.environ.get("PV_FALSIFY_MODULES", "").split(",")):
        try:
            mod = importlib.import_module(name)
            _STATE["imports"][name] = {"file": getattr(mod, "__file__", None) or "", "error": ""}
        except BaseException as exc:  # a mutant may raise anything at import time, SystemExit included
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            _STATE["imports"][name] = {"file": "", "error": _short(last)}


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _STATE["collect_errors"].append({"nodeid": report.nodeid, "error": _short(report.longreprtext[-600:])})


def pytest_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    _STATE["selected"] = len(items)


def pytest_runtest_logreport(report: Any) -> None:
    if report.failed:
        text = report.longreprtext.strip().splitlines()
        _STATE["failed"].append({"nodeid": report.nodeid, "when": report.when,
                                 "error": _short(text[-1] if text else "")})
    elif report.when == "call" and report.passed:
        _STATE["passed"] += 1


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    path = os.environ.get("PV_FALSIFY_PROBE")
    if path:
        _STATE["exitstatus"] = int(exitstatus)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(_STATE, handle)
