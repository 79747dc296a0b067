"""Gate ``evidence``: every ``LIVE: evidence/<pack>`` reference cites a pack that verifies.

For each cited pack: manifest well-formed, every hash matches (a changed,
missing or extra file is named), the recorded commit exists in history; and
for the citing falsifier: the pack lists it, the run exited 0 and the
falsifier's ``check:`` holds on the recorded metrics (pv.evidence.verify); and the
reference carries the manifest's seal, ``@sha256:<digest>`` (PV-EVID-014/015,
pv.evidence.seal), without which an edited manifest would go unnoticed.
A pack that does not exist is the test-binding gate's finding (PV-BIND-015),
not repeated here. No LIVE reference at all: SKIP, never PASS.
"""

from __future__ import annotations

from pv.lint.framework import GateOutcome, LintContext

NAME = "evidence"
ORDER = 80
DESCRIPTION = "LIVE: evidence/<pack> references cite packs that verify and discharge their falsifier"


def run(ctx: LintContext) -> GateOutcome:
    from dataclasses import replace

    from pv.diagnostics import Diagnostic, Severity
    from pv.evidence.seal import mismatch as seal_mismatch
    from pv.status.facts import RefKind

    book = ctx.evidence_book()
    diags: list[Diagnostic] = []
    reported_packs: set[str] = set()
    measured = discharged = 0
    for contract in ctx.status_facts():
        for f in contract.falsifiers:
            for ref in f.refs:
                if ref.kind is not RefKind.LIVE or not (ctx.root / ref.pack).is_dir():
                    continue
                measured += 1
                report = book.report(ref.pack)
                if ref.pack not in reported_packs:
                    reported_packs.add(ref.pack)
                    # Integrity findings belong to the pack's own files; per-falsifier ones are re-homed below.
                    diags += [d for d in report.diagnostics if "falsifier" not in d.data]
                where = {"path": contract.path.as_posix(), "line": f.line, "col": f.col}
                if report.manifest is not None and f.id not in report.manifest.falsifiers:
                    diags.append(Diagnostic(
                        "PV-EVID-012", Severity.ERROR,
                        f"{f.id} cites {ref.pack}, which was not recorded for it "
                        f"(it lists {', '.join(report.manifest.falsifiers)})", **where,
                        hint=f"cite the right pack, or record one with --falsifier {f.id}", data={"falsifier": f.id}))
                    continue
                if report.manifest is not None:
                    problem = ref.problem or seal_mismatch(ref.pack, report.manifest.sha256, ref.seal or None,
                                                          ctx.root, report.manifest.to_json())
                    if problem:
                        diags.append(Diagnostic(
                            "PV-EVID-014" if ref.seal else "PV-EVID-015", Severity.ERROR, f"{f.id}: {problem}",
                            **where, hint=f"pv evidence seal --write {ref.pack}  (after checking the pack is the "
                            "one you mean)", data={"falsifier": f.id, "field": "seal"}))
                for d in report.diagnostics:
                    if d.data.get("falsifier") == f.id:
                        diags.append(replace(d, message=f"{ref.pack}: {d.message}", **where))
                state = book.judge(ref.pack, f.id, ref.seal)
                discharged += state.discharged
    return GateOutcome(
        diagnostics=diags,
        measured=measured,
        summary=(f"{measured} LIVE reference(s) to {len(reported_packs)} pack(s); {discharged} discharged"
                 if measured else "no falsifier cites an existing LIVE: evidence/<pack>"),
        counts={"live_refs": measured, "packs": len(reported_packs), "discharged": discharged},
    )
