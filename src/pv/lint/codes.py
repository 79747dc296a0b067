"""Codes owned by the lint framework itself (not by a gate)."""

from __future__ import annotations

from pv.diagnostics import Severity
from pv.rules import register

STALE_SUPPRESSION = register("PV-LINT-001", Severity.WARNING, "suppression matches nothing",
    "A [tool.pv] suppress entry no longer matches any finding (the problem was fixed, or the rule, "
    "file or fingerprint changed). Delete the entry so it cannot hide a future finding.").code
