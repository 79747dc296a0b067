"""A declared status must be a rung of the ladder or an accepted spelling (PV-SCH-006)."""

from __future__ import annotations

from pv.checks import codes
from pv.diagnostics import Diagnostic, Severity
from pv.model.contract import LoadedContract
from pv.model.status import Status, accepted_spellings


def check_status(contract: LoadedContract) -> list[Diagnostic]:
    out = []
    for path, value in ((("status",), contract.raw.get("status")),
                        (("metadata", "status"), contract.metadata.get("status"))):
        if not isinstance(value, str):
            continue  # absent, or a type error the schema reports
        try:
            Status.parse(value)
        except ValueError:
            line, col = contract.locate(path)
            out.append(Diagnostic(codes.SCH_STATUS, Severity.ERROR, f"unknown status '{value}'",
                                  contract.path, line, col,
                                  hint="use one of " + ", ".join(accepted_spellings())))
    return out
