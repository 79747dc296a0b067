"""The one diagnostic type every pv check, gate and formatter speaks.

A finding names a stable code (``PV-SCH-001``), a severity and the YAML node at
fault (1-based line and column), so people and CI annotations land on the
exact place, and baselines can match findings across unrelated edits.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from enum import IntEnum

# Characters that must never reach a terminal or a line-oriented log from input (a contract's
# keys and values, file names): C0 controls (ESC starts a cursor/erase sequence, CR returns to
# the line start, LF forges a new finding line), DEL, C1 controls (U+0085 is a line break to some
# terminals, U+009B a one-byte CSI), the Unicode line/paragraph separators and the bidirectional
# overrides that reorder what a reader sees ("Trojan Source").
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_one(match: re.Match[str]) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character escaped visibly (``\\x1b``, ``\\n``, ``\\u202e``).

    Every text-like output (text, github, junit, sarif, the lint and status tables) passes input
    strings through here, so a hostile key cannot redraw a fake ``OK`` line or forge a finding.
    Plain text is returned as is (the common case costs one regex scan).
    """
    return _CONTROL_RE.sub(_escape_one, text) if _CONTROL_RE.search(text) else text


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
        """The finding as one line; input-derived text has its control characters escaped."""
        text = f"{self.path}:{self.line}:{self.col}: {self.code} {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return printable(text)

    def fingerprint(self) -> str:
        """Stable across line moves: code, file and message, not the position."""
        raw = f"{self.code}\0{self.path}\0{self.message}".encode()
        return hashlib.sha256(raw).hexdigest()[:16]

    def with_severity(self, severity: Severity) -> Diagnostic:
        return replace(self, severity=severity)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.col, self.code)
