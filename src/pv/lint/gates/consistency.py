"""Gate ``consistency``: related contracts agree on pinned constants; summaries match their contract.

Rules and the fact-finding mechanism: pv.analysis.consistency and
pv.analysis.summary (docs/analysis.md). Measured = fact pairs compared plus
stated counts checked; when there is nothing to compare the gate is SKIP
(never PASS), with that reason.
"""

from __future__ import annotations

from pv.lint.framework import GateOutcome, LintContext

NAME = "consistency"
ORDER = 60
DESCRIPTION = "constants pinned by related contracts agree; verification_summary/qa_gate counts match"


def run(ctx: LintContext) -> GateOutcome:
    from pv.analysis.consistency import compare_facts, conflict_diagnostics
    from pv.analysis.summary import check_summaries

    contracts = ctx.validation.contracts
    conflicts, pairs = compare_facts(contracts)
    diags = conflict_diagnostics(conflicts)
    stated = 0
    for contract in contracts:
        found, checked = check_summaries(contract)
        diags += found
        stated += checked
    measured = pairs + stated
    summary = (f"{pairs} related constant pair(s), {stated} stated count(s) checked; "
               f"{len(conflicts)} conflict(s)")
    return GateOutcome(
        diagnostics=diags,
        measured=measured,
        summary=summary if measured else "no related contracts pin a common constant and no summary states a count",
        counts={"constant_pairs": pairs, "stated_counts": stated, "conflicts": len(conflicts)},
    )
