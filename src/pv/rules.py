"""The rule registry: every diagnostic code pv can emit, with its default severity and meaning.

Each rule group (and every other engineer's module: lint, status, evidence) registers its codes
here with :func:`register`, so ``docs/validate.md``, SARIF ``rules`` and severity overrides all read
one table. Codes are ``PV-<CAT>-NNN`` and never reused for a different meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pv.diagnostics import Severity

_CODE = re.compile(r"^PV-[A-Z]+-\d{3}$")


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    default_severity: Severity
    title: str  # one line, shown in SARIF and docs
    explanation: str  # why it matters and how to fix it


RULES: dict[str, Rule] = {}


def register(code: str, default_severity: Severity, title: str, explanation: str) -> Rule:
    """Add a rule; registering the same code twice with a different meaning is a programming error."""
    if not _CODE.match(code):
        raise ValueError(f"rule code {code!r} must look like PV-CAT-NNN")
    rule = Rule(code, default_severity, title, explanation)
    old = RULES.get(code)
    if old is not None and old != rule:
        raise ValueError(f"rule {code} registered twice with different meanings")
    RULES[code] = rule
    return rule


def get(code: str) -> Rule | None:
    return RULES.get(code)


def all_rules() -> list[Rule]:
    """Every registered rule, sorted by code (stable for docs and SARIF)."""
    _load_builtin()
    return [RULES[c] for c in sorted(RULES)]


def _load_builtin() -> None:
    """Import pv's own rule groups so their codes are registered (idempotent).

    Each group keeps its codes beside the checks that emit them; this list is
    the one place that knows all groups, so SARIF rule tables and the docs
    catalogue are complete whichever command ran.
    """
    import importlib

    for module in _BUILTIN_CODE_MODULES:
        importlib.import_module(module)


_BUILTIN_CODE_MODULES = (
    "pv.parse.codes",
    "pv.checks.codes",
    "pv.checks.mutant_codes",
    "pv.testindex.codes",
    "pv.binding.codes",
    "pv.lint.codes",
    "pv.analysis.codes",
    "pv.status.codes",
    "pv.evidence.codes",
    "pv.falsify.codes",
)
