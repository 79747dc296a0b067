"""Finding codes of the status ladder (PV-STAT-*), registered in pv's rule registry."""

from __future__ import annotations

from pv.diagnostics import Severity
from pv.rules import register

OVERCLAIM = register(
    "PV-STAT-001", Severity.ERROR, "declared status is above the computed status",
    "A contract's status is computed from recorded test runs and verified evidence packs (docs/status.md). "
    "Declaring a higher rung than pv can compute claims what nothing shows. Do what the message's "
    "'why not' list says (bind and run the tests: `pv run`, record evidence: `pv evidence record`), "
    "or lower the declared status.",
).code
INVALID = register(
    "PV-STAT-002", Severity.ERROR, "a contract that does not validate declares a status",
    "A contract with schema errors has no rung at all, so any declared status overclaims. Fix the "
    "`pv validate` findings first.",
).code
LEDGER = register(
    "PV-STAT-003", Severity.ERROR, "the results ledger cannot be read",
    "The results ledger (.pv/results.json) is not valid JSON or not schema version 1, so no recorded "
    "outcome can be trusted. Delete it and rerun `pv run` (or the suite with --pv-record).",
).code
