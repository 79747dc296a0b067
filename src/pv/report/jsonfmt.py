"""``--format json``: one versioned object (shape documented in docs/cli.md).

    {"schema_version": 1, "tool": "pv", "tool_version": "...", "command": "validate",
     "summary": {"files_checked", "contracts", "errors", "warnings", "infos", "suppressed",
                 "exit_code", ...extra},
     "diagnostics": [{"code", "severity", "message", "path", "line", "col", "hint",
                      "fingerprint", "data"}]}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from pv import __version__
from pv.diagnostics import Diagnostic

if TYPE_CHECKING:
    from pv.report import RunSummary


def diagnostic_dict(d: Diagnostic) -> dict[str, Any]:
    return {"code": d.code, "severity": d.severity.label, "message": d.message, "path": d.path,
            "line": d.line, "col": d.col, "hint": d.hint, "fingerprint": d.fingerprint(), "data": dict(d.data)}


def document(diags: Sequence[Diagnostic], summary: RunSummary) -> dict[str, Any]:
    from pv.report import JSON_SCHEMA_VERSION

    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "tool": "pv",
        "tool_version": __version__,
        "command": summary.command,
        "summary": {"files_checked": summary.files_checked, "contracts": summary.contracts,
                    **summary.counts(diags), "suppressed": summary.suppressed,
                    "exit_code": summary.exit_code, **summary.extra},
        "diagnostics": [diagnostic_dict(d) for d in diags],
    }


def write(diags: Sequence[Diagnostic], stream: TextIO, summary: RunSummary, options: dict[str, Any]) -> None:
    json.dump(document(diags, summary), stream, indent=2, sort_keys=False)
    stream.write("\n")
