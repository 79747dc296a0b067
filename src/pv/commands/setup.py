"""How every command starts: [tool.pv], then the contracts, then (for the status family) the ladder.

One place, so every command reads the same config the same way and refuses the same way: a bad
[tool.pv] table, a missing path or no contract prints one line naming the command and the command
exits 2 (``None`` here), because a run that measured nothing never exits 0.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from pv.config import PvConfig
    from pv.status.project import StatusRun
    from pv.validate import ValidationRun


def config_for(command: str, stderr: TextIO | None = None) -> PvConfig | None:
    """[tool.pv] of the project around the working directory, or None after saying why not."""
    from pv.config import ConfigError, load_config

    try:
        return load_config(Path.cwd())
    except ConfigError as exc:
        (stderr or sys.stderr).write(f"pv {command}: {exc}\n")
        return None


def contracts_for(command: str, paths: Sequence[str], noun: str,
                  stderr: TextIO | None = None) -> tuple[ValidationRun, PvConfig] | None:
    """What ``pv graph``, ``pv audit`` and ``pv coverage`` start with: config and readable contracts.

    Analysis reads every contract that parsed as a mapping, schema errors or not: ``pv validate`` is
    where schema errors are reported, and a graph or a coverage table of a half-valid registry is
    still worth seeing. ``noun`` finishes "no contract to ..." (graph, audit, measure).
    """
    from pv.analysis.source import unreadable
    from pv.validate import validate_paths

    err = stderr or sys.stderr
    config = config_for(command, err)
    if config is None:
        return None
    run = validate_paths(config.contract_paths(paths), config)
    for diag in run.usage_problems + unreadable(run):
        err.write(diag.render() + "\n")
    if run.usage_problems or not run.contracts:
        err.write(f"pv {command}: no contract to {noun}\n")
        return None
    return run, config


def project_for(command: str, paths: Sequence[str], ledger: str | None,
                stderr: TextIO | None = None) -> StatusRun | None:
    """What ``pv run``, ``pv status``, ``pv report`` and ``pv falsify`` start with: contracts, ledger, ladder."""
    from pv.ledger import LedgerError
    from pv.status.project import compute_project

    err = stderr or sys.stderr
    config = config_for(command, err)
    if config is None:
        return None
    try:
        result = compute_project(paths, config, ledger)
    except LedgerError as exc:
        err.write(f"pv {command}: {exc}\n")
        return None
    usage = result.collected.run.usage_problems
    for diag in usage:
        err.write(diag.render() + "\n")
    if result.nothing_checked or usage:
        err.write(f"pv {command}: nothing was checked (no contract found); exit 2\n")
        return None
    return result
