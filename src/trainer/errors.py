"""The one error type for problems a user can fix.

Every message names the gate or falsifier ID (so users can grep the contract),
the numbers involved and the fix. Raised before any model is allocated where
the check allows it.
"""

from __future__ import annotations


class AprError(Exception):
    """A refusal with a grep-able ID, e.g. ``AprError("GATE-ARCH-370M-011", "...")``."""

    exit_code = 2

    def __init__(self, gate_id: str, message: str, *, fix: str | None = None, exit_code: int | None = None):
        self.gate_id = gate_id
        self.detail = message
        self.fix = fix
        if exit_code is not None:
            self.exit_code = exit_code
        text = f"{gate_id}: {message}"
        if fix:
            text += f" (fix: {fix})"
        super().__init__(text)


class PreflightError(AprError):
    """Input refused before any compute (exit 3)."""

    exit_code = 3


class RunAborted(AprError):
    """A gate fired during training (exit 4); the result file still records it."""

    exit_code = 4
