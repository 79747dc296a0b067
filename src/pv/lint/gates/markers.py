"""Gate 4, markers: ``@pytest.mark.falsifies`` and the contracts agree, in both directions.

- A marker naming a falsifier no contract defines is a finding (checked only
  when the whole configured contract set is linted: a partial run cannot
  know every ID, and pv never guesses).
- A falsifier whose bound test carries ``falsifies`` markers, none naming it,
  is a finding (the contract cites the wrong test, or the marker is wrong).
"""

from __future__ import annotations

from pv.binding import codes
from pv.diagnostics import Diagnostic, Severity
from pv.lint.framework import GateOutcome, LintContext

NAME = "markers"
ORDER = 40
DESCRIPTION = "@pytest.mark.falsifies markers and contract bindings agree in both directions"


def run(ctx: LintContext) -> GateOutcome:
    if not ctx.validation.contracts:
        return GateOutcome(skip_reason="no contract loaded", summary="no contract loaded")
    index = ctx.index()
    report = ctx.binding()
    known = {f.id for c in ctx.validation.contracts for f in c.falsifiers()}
    diags: list[Diagnostic] = []
    markers = 0
    full_set = ctx.full_set
    for func in index.functions():
        for marker in func.markers:
            markers += 1
            if full_set and marker.falsifier_id not in known:
                diags.append(Diagnostic(
                    codes.MARKER_UNKNOWN, Severity.ERROR,
                    f"{func.base_nodeid} is marked falsifies({marker.falsifier_id!r}), "
                    "but no contract defines that falsifier",
                    func.file, marker.line, marker.col, data={"test": func.base_nodeid}))
    checked = 0
    for binding in report.bindings:
        for test in binding.tests:
            ids = {m.falsifier_id for m in test.markers}
            if not ids:
                continue
            checked += 1
            if binding.falsifier_id not in ids:
                ref = binding.reference
                diags.append(Diagnostic(
                    codes.MARKER_MISMATCH, Severity.ERROR,
                    f"{ref.field}: bound test {test.base_nodeid} is marked falsifies("
                    f"{', '.join(sorted(ids))}), not {binding.falsifier_id}",
                    ref.path, ref.line, ref.col,
                    hint=f"cite the test that falsifies {binding.falsifier_id}, or fix the marker",
                    data={"falsifier": binding.falsifier_id, "test": test.base_nodeid}))
    measured = markers + checked
    scope = "" if full_set else " (unknown-ID check needs the whole contract set)"
    return GateOutcome(
        diagnostics=diags,
        measured=measured,
        summary=(f"{markers} markers, {checked} marked bindings{scope}" if measured
                 else "no falsifies marker in the test suite"),
        counts={"markers": markers, "marked_bindings": checked, "full_set": full_set},
        skip_reason=None if measured else "no falsifies marker in the test suite",
    )
