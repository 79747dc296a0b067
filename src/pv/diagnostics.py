"""The one diagnostic type every pv check, gate and formatter speaks.

A finding names a stable code (``PV-SCH-001``), a severity and the YAML node at
fault (1-based line and column), so people and CI annotations land on the
exact place, and baselines can match findings across unrelated edits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from enum import IntEnum


class Severity(IntEnum):
    """Ordered so that ``max()`` over findings gives the worst one."""

    INFO = 0
    WARNING = 1
    ERROR = 2

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        norm = text.strip().lower()
        aliases = {"warn": "warning", "err": "error", "note": "info"}
        norm = aliases.get(norm, norm)
        try:
            return cls[norm.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}; use one of: info, warning, error") from None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: ``path:line:col: CODE message``."""

    code: str
    severity: Severity
    message: str
    path: str
    line: int = 1
    col: int = 1
    hint: str | None = None  # the fix, in one sentence
    # Extra, machine-readable context for JSON/SARIF (e.g. the falsifier ID).
    data: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def render(self) -> str:
        text = f"{self.path}:{self.line}:{self.col}: {self.code} {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def fingerprint(self) -> str:
        """Stable across line moves: code, file and message, not the position."""
        raw = f"{self.code}\0{self.path}\0{self.message}".encode()
        return hashlib.sha256(raw).hexdigest()[:16]

    def with_severity(self, severity: Severity) -> Diagnostic:
        return replace(self, severity=severity)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.col, self.code)
