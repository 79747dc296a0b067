"""One call from "these paths" to computed statuses, shared by status, report, run and lint.

Reads config-relative defaults (contracts from [tool.pv], the ledger at
``.pv/results.json`` under the project root) so every command agrees on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

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


def default_paths(paths: Sequence[str], config: PvConfig) -> list[str]:
    return list(paths) or [str(config.root / c) for c in config.contracts]


def ledger_path(config: PvConfig, given: str | None) -> Path:
    if given:
        path = Path(given)
        return path if path.is_absolute() else Path.cwd() / path
    return config.root / DEFAULT_LEDGER


def compute_project(paths: Sequence[str], config: PvConfig, ledger: str | None = None) -> StatusRun:
    """Validate, classify, read the ledger and apply the ladder (raises LedgerError on a bad ledger)."""
    collected = collect(default_paths(paths, config), config)
    lpath = ledger_path(config, ledger)
    book = Ledger.load(lpath)
    statuses = compute_all(collected.contracts, book, config.root, collected.file_hashes,
                           falsify_rung(config.extra.get("falsify_required")))
    return StatusRun(statuses, collected, book, lpath, config.root)


def project_for_command(command: str, paths: Sequence[str], ledger: str | None, stderr: TextIO) -> StatusRun | None:
    """What ``pv run``, ``pv status`` and ``pv report`` start with: config, contracts, ledger, ladder.

    Prints the one-line reason and returns None when there is nothing to work on
    (bad config or ledger, a missing path, no contract found): those commands then
    exit 2, because a run that measured nothing never exits 0.
    """
    from pv.config import ConfigError, load_config
    from pv.ledger import LedgerError

    try:
        result = compute_project(paths, load_config(Path.cwd()), ledger)
    except (ConfigError, LedgerError) as exc:
        stderr.write(f"pv {command}: {exc}\n")
        return None
    usage = result.collected.run.usage_problems
    for diag in usage:
        stderr.write(diag.render() + "\n")
    if result.nothing_checked or usage:
        stderr.write(f"pv {command}: nothing was checked (no contract found); exit 2\n")
        return None
    return result
