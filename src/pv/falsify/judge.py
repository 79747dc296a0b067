"""Judge one mutant's run: killed, survived, invalid (say which way) or timeout.

- killed: at least one bound test failed or errored in setup/call/teardown, with the mutated code
  importing from the isolated copy and every bound test collected;
- survived: every bound test passed on the mutated code;
- invalid: the mutant does not apply, the mutated module does not import (or is shadowed by an
  installed copy), or the bound tests cannot be collected (a broken import is not a test noticing);
- timeout: the run did not finish in time (never counted as killed: a slow machine is not a test).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

KILLED, SURVIVED, INVALID, TIMEOUT = "killed", "survived", "invalid", "timeout"
OUTCOMES = (KILLED, SURVIVED, INVALID, TIMEOUT)


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: str
    detail: str  # one line: the failing test, or why invalid
    reason: str = ""  # invalid: "does-not-apply" | "does-not-import" | "shadowed" | "collection" | "no-tests" | "pytest"


def judge(probe: dict[str, Any] | None, exit_code: int, copy_root: Path, output_tail: str) -> Verdict:
    if probe is None:
        return Verdict(INVALID, f"pytest did not start (exit {exit_code}): {output_tail or 'no output'}", "pytest")
    root = copy_root.resolve()
    for name, info in probe.get("imports", {}).items():
        if info.get("error"):
            return Verdict(INVALID, f"the mutated code no longer imports: {name}: {info['error']}", "does-not-import")
        file = info.get("file") or ""
        if file and not Path(file).resolve().is_relative_to(root):
            return Verdict(INVALID, f"{name} was imported from {file}, not from the isolated copy: an installed "
                                    "or editable copy shadows the mutated code", "shadowed")
    errors = probe.get("collect_errors") or []
    if errors:
        first = errors[0]
        return Verdict(INVALID, f"the bound tests cannot be collected ({first['nodeid'] or 'session'}): "
                                f"{first['error']}", "collection")
    failed = probe.get("failed") or []
    if failed:
        first = failed[0]
        when = "" if first["when"] == "call" else f" in {first['when']}"
        return Verdict(KILLED, f"{first['nodeid']} failed{when}: {first['error']}")
    if not probe.get("selected"):
        return Verdict(INVALID, "no bound test was collected in the copy", "no-tests")
    if exit_code == 0:
        return Verdict(SURVIVED, f"all {probe.get('passed', 0)} bound test(s) passed with the mutant applied")
    return Verdict(INVALID, f"pytest exited {exit_code} without a failing test: {output_tail}", "pytest")
