"""A declared status must be a rung of the ladder or an accepted spelling (PV-SCH-006).

A kaizen record's top-level ``status`` is its lifecycle state, checked by its model against
KAIZEN_STATUSES (PV-SCH-005); only its ``metadata.status`` is a ladder status.
"""

from __future__ import annotations

from pv.checks import codes
from pv.diagnostics import Diagnostic, Severity
from pv.model.contract import LoadedContract
from pv.model.status import Status, accepted_spellings


def check_status(contract: LoadedContract) -> list[Diagnostic]:
    out = []
    top = None if contract.dialect == "kaizen" else contract.raw.get("status")
    for path, value in ((("status",), top),
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
