"""One call from "these paths" to computed statuses, shared by status, report, run, falsify and lint.

Reads config-relative defaults (contracts from [tool.pv], the ledger at
``.pv/results.json`` under the project root) so every command agrees on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pv.config import PvConfig
from pv.ledger import DEFAULT_LEDGER, Ledger
from pv.status import codes as _codes  # noqa: F401  (registers PV-STAT-*)
from pv.status.collect import Collected, collect
from pv.status.ladder import ContractStatus, compute_all, falsify_rung


@dataclass(slots=True)
class StatusRun:
    statuses: list[ContractStatus]
    collected: Collected
    ledger: Ledger
    ledger_path: Path
    root: Path  # the project root from [tool.pv]: where tests run and paths resolve

    @property
    def nothing_checked(self) -> bool:
        return self.collected.run.nothing_checked or not self.statuses


def ledger_path(config: PvConfig, given: str | None) -> Path:
    if given:
        path = Path(given)
        return path if path.is_absolute() else Path.cwd() / path
    return config.root / DEFAULT_LEDGER


def compute_project(paths: Sequence[str], config: PvConfig, ledger: str | None = None) -> StatusRun:
    """Validate, classify, read the ledger and apply the ladder (raises LedgerError on a bad ledger)."""
    collected = collect(config.contract_paths(paths), config)
    lpath = ledger_path(config, ledger)
    book = Ledger.load(lpath)
    statuses = compute_all(collected.contracts, book, config.root, collected.file_hashes,
                           falsify_rung(config.extra.get("falsify_required")))
    return StatusRun(statuses, collected, book, lpath, config.root)
