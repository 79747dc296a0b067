"""The status ladder every contract climbs: DRAFT < PARTIAL_ALGORITHM_LEVEL < FUNCTIONAL < DISCHARGED.

It is an ``IntEnum`` so that "declared above computed" is a plain ``>`` comparison.
Spellings found in real registries map onto a rung (documented in docs/schema.md):

- ``PROPOSED`` -> DRAFT (the contract is written before the code);
- ``ACTIVE`` -> FUNCTIONAL (the seeds promote to ACTIVE once every falsifier passes on main);
- ``ACTIVE_RUNTIME`` -> DISCHARGED (a live run proves it at runtime; the target rung);
- ``DRAFT_PARTIAL_DISCHARGE`` -> PARTIAL_ALGORITHM_LEVEL (some falsifiers bound, live ones pending).

Matching ignores case and treats ``-`` and spaces like ``_``. Anything else is a ValueError,
never a silent default.
"""

from __future__ import annotations

from enum import IntEnum


class Status(IntEnum):
    DRAFT = 0
    PARTIAL_ALGORITHM_LEVEL = 1
    FUNCTIONAL = 2
    DISCHARGED = 3

    @classmethod
    def parse(cls, text: str) -> Status:
        """Read a declared status; raises ValueError naming the accepted spellings."""
        if not isinstance(text, str):
            raise ValueError(f"status must be a string, got {type(text).__name__}")
        norm = text.strip().upper().replace("-", "_").replace(" ", "_")
        if norm in cls.__members__:
            return cls[norm]
        if norm in ALIASES:
            return ALIASES[norm]
        raise ValueError(f"unknown status {text!r}; use one of: {', '.join(accepted_spellings())}")


# Accepted spellings that are not rung names, and the rung each one means.
ALIASES: dict[str, Status] = {
    "PROPOSED": Status.DRAFT,
    "ACTIVE": Status.FUNCTIONAL,
    "ACTIVE_RUNTIME": Status.DISCHARGED,
    "DRAFT_PARTIAL_DISCHARGE": Status.PARTIAL_ALGORITHM_LEVEL,
}


def accepted_spellings() -> list[str]:
    """Every spelling ``Status.parse`` accepts, rungs first (used in messages and the JSON Schema)."""
    return [s.name for s in Status] + list(ALIASES)
