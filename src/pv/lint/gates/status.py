"""Gate ``status``: a declared status above the one pv computes is a finding (PV-STAT-001).

Status is computed from recorded test runs (the results ledger,
``.pv/results.json``) and verified evidence packs by the ladder in
pv.status.ladder (docs/status.md); the finding says why the declared rung is
not reached. No contract declaring a status: SKIP, never PASS.

Without a results ledger (a fresh clone, a pre-commit run) no test has a
recorded outcome, so "never run" cannot tell an overclaim from a claim nobody
has measured here: those claims are counted as *unverified* and named in the
summary, while every other blocker (a LIVE-PENDING ship-blocker, a dangling
reference, a pack that does not verify) is still an error. CI records the
ledger (``pytest --pv-record``) before it lints, so there every claim is checked.
"""

from __future__ import annotations

from pv.lint.framework import GateOutcome, LintContext

NAME = "status"
ORDER = 90
DESCRIPTION = "declared status is not above the status computed from recorded runs and evidence"


def run(ctx: LintContext) -> GateOutcome:
    from pv.diagnostics import Diagnostic, Severity
    from pv.ledger import DEFAULT_LEDGER, Ledger, LedgerError
    from pv.status import codes
    from pv.status.ladder import MUTANT_NEVER_RUN_NOTE, NEVER_RUN_NOTE, compute, falsify_rung

    ledger_path = ctx.root / DEFAULT_LEDGER
    ledger_present = ledger_path.exists()
    try:
        ledger = Ledger.load(ledger_path)
    except LedgerError as exc:
        rel = DEFAULT_LEDGER.as_posix()
        return GateOutcome([Diagnostic(codes.LEDGER, Severity.ERROR, str(exc).split(": ", 1)[-1], rel, 1, 1)],
                           measured=1, summary="results ledger unreadable")
    declared = [c for c in ctx.status_facts() if c.declared is not None]
    book = ctx.evidence_book()
    cache = ctx.index().file_hashes()  # test files this run already read and hashed
    diags: list[Diagnostic] = []
    unverified: list[str] = []
    for contract in declared:
        st = compute(contract, ledger, book, ctx.root, cache, falsify_rung(ctx.config.extra.get("falsify_required")))
        if not st.overclaims:
            continue
        assert contract.declared is not None
        target = contract.declared
        # The reasons the declared rung is missed: blockers of every rung up to it.
        reasons = [r for rung, items in st.blockers.items() if st.computed is None or rung > st.computed
                   if rung <= target for r in items]
        if not ledger.mutants:  # pv falsify never ran here: unmeasured, like a missing ledger
            reasons = [r for r in reasons if MUTANT_NEVER_RUN_NOTE not in r]
            if not reasons:
                unverified.append(contract.path.name)
                continue
        if not ledger_present:
            reasons = [r for r in reasons if NEVER_RUN_NOTE not in r]
            if not reasons:
                unverified.append(contract.path.name)
                continue
        shown = "; ".join(reasons[:3]) + (f" (+{len(reasons) - 3} more, see `pv status -v`)" if len(reasons) > 3 else "")
        code = codes.INVALID if st.computed is None else codes.OVERCLAIM
        diags.append(Diagnostic(
            code, Severity.ERROR,
            f"declared {target.name} but computed {st.computed_name}: {shown}",
            contract.path.as_posix(), contract.declared_line, contract.declared_col,
            hint="run the bound tests (`pv run`), record evidence (`pv evidence record`), or lower the status",
            data={"declared": target.name, "computed": st.computed_name}))
    summary = (f"{len(declared)} declared status(es) checked; {len(diags)} above the computed status"
               if declared else "no contract declares a status")
    if unverified:
        summary += (f"; {len(unverified)} unverified: no results ledger at {DEFAULT_LEDGER.as_posix()}"
                    " (run `pv run` or `pytest --pv-record` to check them)")
    return GateOutcome(
        diagnostics=diags,
        measured=len(declared) - len(unverified),  # only unverified claims: SKIP, never PASS
        summary=summary,
        counts={"declared": len(declared), "overclaiming": len(diags), "unverified": len(unverified),
                "ledger": ledger_present},
    )
