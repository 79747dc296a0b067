"""Severity overrides and suppressions from [tool.pv], applied to any list of findings.

Shared by every command so a suppression means the same thing in ``pv validate`` and ``pv lint``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field

from pv.config import PvConfig, Suppression
from pv.diagnostics import Diagnostic


@dataclass(slots=True)
class PolicyResult:
    kept: list[Diagnostic] = field(default_factory=list)
    suppressed: list[tuple[Diagnostic, Suppression]] = field(default_factory=list)
    unused: list[Suppression] = field(default_factory=list)  # matched nothing: stale


def matches(s: Suppression, d: Diagnostic) -> bool:
    if s.fingerprint is not None:
        return d.fingerprint() == s.fingerprint
    if s.rule is not None:
        return d.code == s.rule or fnmatch.fnmatchcase(d.code, s.rule)
    if s.file is not None:
        return d.path == s.file or fnmatch.fnmatchcase(d.path, s.file)
    return False


def apply_policy(diags: Sequence[Diagnostic], config: PvConfig) -> PolicyResult:
    result = PolicyResult()
    used: set[int] = set()
    for d in diags:
        if d.code in config.severity:
            d = d.with_severity(config.severity[d.code])
        hit = next((i for i, s in enumerate(config.suppress) if matches(s, d)), None)
        if hit is None:
            result.kept.append(d)
        else:
            used.add(hit)
            result.suppressed.append((d, config.suppress[hit]))
    result.unused = [s for i, s in enumerate(config.suppress) if i not in used]
    return result
