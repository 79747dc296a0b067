"""The ladder's input: what each falsifier cites, already classified and resolved.

A plain data model, independent of how contracts are parsed and references
classified, so the ladder rules (pv.status.ladder) can be tested on hand-made
facts and fed by pv.status.collect from the real parser and binding modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pv.evidence.predicate import CheckLike
from pv.model.status import Status


class RefKind(StrEnum):
    """How one reference counts on the ladder."""

    TEST = "test"  # a pytest node ID, bare test name or `pytest ...` command
    LIVE_PENDING = "live-pending"  # `LIVE-PENDING: <reason>`
    LIVE = "live"  # `LIVE: evidence/<pack>`
    PV = "pv"  # `pv validate ...` / `pv lint ...`: pv checking itself, not a test
    SHELL = "shell"  # `shell: <cmd>`: never counts as a bound test
    INVALID = "invalid"  # unclassifiable, or a LIVE-PENDING without a reason


@dataclass(frozen=True, slots=True)
class RefFacts:
    """One reference: its class, and for tests the collected node IDs it resolves to."""

    text: str
    kind: RefKind
    node_ids: tuple[str, ...] = ()  # TEST: the existing node IDs it resolves to (empty: dangling)
    problem: str = ""  # TEST that does not resolve / INVALID: why
    reason: str = ""  # LIVE_PENDING: the stated reason
    pack: str = ""  # LIVE: pack directory relative to the project root, e.g. "evidence/run-1"
    seal: str = ""  # LIVE: the manifest sha256 the reference carries (`@sha256:...`); "" unsealed

    @property
    def resolves(self) -> bool:
        return self.kind is RefKind.TEST and bool(self.node_ids) and not self.problem


@dataclass(frozen=True, slots=True)
class FalsifierFacts:
    id: str
    ship_blocking: bool
    refs: tuple[RefFacts, ...]
    check: CheckLike | None = None
    prediction: str = ""
    line: int = 1
    col: int = 1
    mutants: tuple[Any, ...] = ()  # pv.checks.mutants.Mutant: its declared mutants (pv falsify)


@dataclass(frozen=True, slots=True)
class ContractFacts:
    contract_id: str
    version: str
    path: Path  # relative to the project root when inside it
    declared: Status | None
    declared_line: int = 1
    declared_col: int = 1
    falsifiers: tuple[FalsifierFacts, ...] = field(default_factory=tuple)
    # Error-level findings of `pv validate` for this file, rendered; non-empty: not even DRAFT.
    validation_errors: tuple[str, ...] = ()
