"""``--collect``: ask pytest itself (``pytest --collect-only -q`` in a subprocess) for the node IDs.

The static index is fast and exact for what the source states; pytest's real
collection also sees conftest hooks, plugins and run-time parametrization.
With ``--collect`` pytest's answer is the authority for existence, and every
disagreement with the static index is reported (PV-BIND-025) so the index's
blind spots are visible instead of silently papered over.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field

from pv.binding import codes
from pv.diagnostics import Diagnostic, Severity
from pv.testindex.index import TestIndex

TIMEOUT_S = 600
_NODE_ID_LINE = re.compile(r"^[^\s:]+\.py::\S")
MAX_REPORTED = 50  # disagreements listed one by one; the rest are counted


@dataclass(slots=True)
class Collection:
    node_ids: set[str] | None  # None when pytest could not collect
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _command(index: TestIndex) -> list[str]:
    return [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
            "--rootdir", str(index.root)]


def parse_collect_output(stdout: str) -> tuple[set[str], list[str]]:
    """Node IDs (lines before the first blank line that name a test) and ERROR lines."""
    ids: set[str] = set()
    errors: list[str] = []
    for line in stdout.splitlines():
        text = line.rstrip()
        if text.startswith("ERROR "):
            errors.append(text)
        elif _NODE_ID_LINE.match(text):
            ids.add(text)
    return ids, errors


def run_collection(index: TestIndex) -> Collection:
    """Run pytest's collection in the project root; never raises."""
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    cfg_path = str(index.root / "pyproject.toml")
    try:
        proc = subprocess.run(_command(index), cwd=index.root, capture_output=True, text=True,
                              timeout=TIMEOUT_S, env=env, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Collection(None, [Diagnostic(codes.COLLECT_FAILED, Severity.ERROR,
                                            f"could not run pytest --collect-only: {exc}", cfg_path)])
    ids, errors = parse_collect_output(proc.stdout)
    diags: list[Diagnostic] = []
    if proc.returncode not in (0, 5) or errors:
        tail = "; ".join(errors[:5]) or (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        diags.append(Diagnostic(codes.COLLECT_FAILED, Severity.ERROR,
                                f"pytest --collect-only exited {proc.returncode}: {tail}", cfg_path))
    return Collection(ids if (ids or proc.returncode in (0, 5)) else None, diags)


def compare(index: TestIndex, collected: set[str]) -> list[Diagnostic]:
    """PV-BIND-025 for every node ID one side has and the other lacks (undecidable tests excluded)."""
    static = index.item_ids()
    undecidable = {f.base_nodeid for f in index.functions() if f.params_undecidable is not None}

    def base(nid: str) -> str:
        return nid.split("[", 1)[0] if nid.endswith("]") else nid

    only_pytest = sorted(n for n in collected - static if base(n) not in undecidable)
    only_static = sorted(n for n in static - collected)
    diags: list[Diagnostic] = []
    for nid in only_pytest[:MAX_REPORTED]:
        diags.append(Diagnostic(codes.COLLECT_DISAGREES, Severity.WARNING,
                                f"pytest collects {nid} but the static index does not", nid.split("::", 1)[0]))
    for nid in only_static[:MAX_REPORTED]:
        func = index.function(base(nid))
        line, col = (func.line, func.col) if func else (1, 1)
        diags.append(Diagnostic(codes.COLLECT_DISAGREES, Severity.WARNING,
                                f"the static index lists {nid} but pytest does not collect it",
                                nid.split("::", 1)[0], line, col))
    hidden = len(only_pytest) + len(only_static) - len(diags)
    if hidden > 0:
        diags.append(Diagnostic(codes.COLLECT_DISAGREES, Severity.WARNING,
                                f"{hidden} more disagreements between the static index and pytest",
                                str(index.root / "pyproject.toml")))
    return diags
