"""Gate 2, references: IDs cited across contracts resolve (depends_on, falsification_id, duplicates)."""

from __future__ import annotations

from pv.lint.framework import GateOutcome, LintContext

NAME = "references"
ORDER = 20
DESCRIPTION = "cross-contract IDs: depends_on, cited falsifiers and gates, duplicate IDs"


def run(ctx: LintContext) -> GateOutcome:
    diags = [d for d in ctx.validation.diagnostics if d.code.startswith("PV-REF-")]
    contracts = ctx.validation.contracts
    falsifiers = sum(len(c.falsifiers()) for c in contracts)
    return GateOutcome(
        diagnostics=diags,
        measured=len(contracts),
        summary=f"{len(contracts)} contracts, {falsifiers} falsifier IDs" if contracts else "no contract loaded",
        counts={"contracts": len(contracts), "falsifiers": falsifiers},
        vacuous_is_error=True,
    )
