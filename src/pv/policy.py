"""The one severity policy: how serious a finding is, and which findings [tool.pv] suppresses.

Every command asks here, so a ``[tool.pv]`` setting or a ``--strict`` flag means the same thing in
``pv validate``, ``pv lint``, ``pv audit`` and ``pv status``, and changing what it means is one edit.
The order, highest first: a ``[tool.pv] severity`` override; the command's raised codes (``--strict-
test-binding`` makes "undecidable" an error); the codes a setting lowers (``ambiguous_bare_names =
"warning"``); the rule's default (an unknown code is an error: nothing unregistered passes quietly).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from pv.config import PvConfig, Suppression
from pv.diagnostics import Diagnostic, Severity
from pv.rules import get as get_rule


def severity_of(code: str, config: PvConfig | None = None, *, raised: Collection[str] = (),
                lowered: Collection[str] = ()) -> Severity:
    """The severity ``code`` has here (see the module docstring for the order)."""
    if config is not None and code in config.severity:
        return config.severity[code]
    if code in raised:
        return Severity.ERROR
    if code in lowered:
        return Severity.WARNING
    rule = get_rule(code)
    return rule.default_severity if rule else Severity.ERROR


def is_error(code: str, config: PvConfig | None = None, *, raised: Collection[str] = (),
             lowered: Collection[str] = ()) -> bool:
    return severity_of(code, config, raised=raised, lowered=lowered) >= Severity.ERROR


def escalate(diags: Sequence[Diagnostic]) -> list[Diagnostic]:
    """``--strict``: every warning becomes an error (infos stay infos)."""
    return [d.with_severity(Severity.ERROR) if d.severity == Severity.WARNING else d for d in diags]


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
