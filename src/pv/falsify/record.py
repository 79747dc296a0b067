"""Outcomes -> ledger records (with the hashes that make them go stale) and -> findings."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from pv.diagnostics import Diagnostic, Severity
from pv.falsify import codes
from pv.falsify.judge import INVALID, KILLED, SURVIVED, TIMEOUT
from pv.falsify.runner import Outcome
from pv.ledger import MutantResult, git_head, sha256_file


def _hashes(root: Path, rels: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for rel in rels:
        path = root / rel
        out[rel] = sha256_file(path) if path.is_file() else ""
    return out


def to_results(outcomes: Sequence[Outcome], root: Path) -> list[MutantResult]:
    commit, _dirty = git_head(root)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return [MutantResult(key=o.job.mutant.key, falsifier=o.job.mutant.falsifier, outcome=o.verdict.outcome,
                         detail=o.verdict.detail, files=_hashes(root, o.job.mutant.files()),
                         tests=_hashes(root, o.job.test_files), duration_s=round(o.duration_s, 3),
                         git_commit=commit, recorded_at=now) for o in outcomes]


_CODE = {SURVIVED: codes.SURVIVED, INVALID: codes.INVALID, TIMEOUT: codes.TIMEOUT}


def to_diagnostics(outcomes: Sequence[Outcome]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for o in outcomes:
        if o.verdict.outcome == KILLED:
            continue
        m = o.job.mutant
        sev = Severity.ERROR if o.job.ship_blocking else Severity.WARNING
        where = f" at {o.mutated_file}:{o.mutated_line}" if o.mutated_line else ""
        hint = {SURVIVED: "make a bound test assert what this mutant breaks",
                TIMEOUT: "raise --timeout or make the bound tests faster",
                INVALID: "make the mutant break behaviour, not the build"}[o.verdict.outcome]
        if o.verdict.reason == "does-not-apply":
            hint = "update the mutant to the code as it is now (`pv validate` checks it)"
        data = {"falsifier": m.falsifier, "mutant": m.key, "outcome": o.verdict.outcome,
                "reason": o.verdict.reason, "mutated_file": o.mutated_file, "mutated_line": str(o.mutated_line)}
        out.append(Diagnostic(_CODE[o.verdict.outcome], sev, f"{m.label}{where} {o.verdict.outcome}: "
                              f"{o.verdict.detail}", m.contract, m.line, m.col, hint=hint, data=data))
    return out
