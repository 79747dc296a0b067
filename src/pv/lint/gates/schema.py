"""Gate 1, schema: everything ``pv validate`` checks within files (YAML, keys, types, IDs, versions)."""

from __future__ import annotations

from pv.lint.framework import GateOutcome, LintContext

NAME = "schema"
ORDER = 10
DESCRIPTION = "everything `pv validate` checks: YAML, strict schema, IDs, versions"


def run(ctx: LintContext) -> GateOutcome:
    diags = [d for d in ctx.validation.diagnostics if not d.code.startswith("PV-REF-")]
    files = ctx.validation.files_checked
    return GateOutcome(
        diagnostics=diags,
        measured=files,
        summary=f"{files} file{'s' if files != 1 else ''}, {len(ctx.validation.contracts)} contracts"
        if files else "no contract found",
        counts={"files": files, "contracts": len(ctx.validation.contracts)},
        vacuous_is_error=True,
        ms_before=ctx.validate_ms,
    )
