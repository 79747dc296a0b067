"""``--format sarif``: SARIF 2.1.0 for code-scanning UIs.

ruleIds are the stable pv codes; every result carries ``partialFingerprints["pv/v1"]`` (the
Diagnostic fingerprint: code, file and message, not the line), so results track across edits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from pv import __version__
from pv.diagnostics import Diagnostic, Severity, printable
from pv.rules import all_rules

if TYPE_CHECKING:
    from pv.report import RunSummary

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def document(diags: Sequence[Diagnostic], summary: RunSummary) -> dict[str, Any]:
    rules = all_rules()
    used = {d.code for d in diags}
    known = {r.code for r in rules}
    rule_list = [
        {"id": r.code, "name": _identifier(r.title), "shortDescription": {"text": r.title},
         "fullDescription": {"text": r.explanation},
         "defaultConfiguration": {"level": _LEVEL[r.default_severity]}}
        for r in rules
    ]
    rule_list += [{"id": c, "name": c, "shortDescription": {"text": c}} for c in sorted(used - known)]
    index = {r["id"]: i for i, r in enumerate(rule_list)}
    results = []
    for d in diags:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _LEVEL[d.severity],
            # Message text is shown by code-scanning UIs and printed by CLI viewers: controls escaped.
            "message": {"text": printable(d.message + (f" ({d.hint})" if d.hint else ""))},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": quote(d.path)},
                "region": {"startLine": max(d.line, 1), "startColumn": max(d.col, 1)},
            }}],
            "partialFingerprints": {"pv/v1": d.fingerprint()},
        }
        if d.data:
            result["properties"] = dict(d.data)
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "pv", "version": __version__, "semanticVersion": __version__,
                                "rules": rule_list}},
            "results": results,
            "properties": {"command": summary.command, "filesChecked": summary.files_checked,
                           "exitCode": summary.exit_code},
        }],
    }


def write(diags: Sequence[Diagnostic], stream: TextIO, summary: RunSummary, options: dict[str, Any]) -> None:
    json.dump(document(diags, summary), stream, indent=2)
    stream.write("\n")


def _identifier(title: str) -> str:
    """SARIF rule names are identifiers: 'duplicate ID in this contract' -> 'DuplicateIdInThisContract'."""
    return "".join(w[:1].upper() + w[1:].lower() for w in re.findall(r"[A-Za-z0-9]+", title))
