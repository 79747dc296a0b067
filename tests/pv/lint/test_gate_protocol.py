"""The gate framework: one written-out gate list, fixed order, and 'measured nothing is never a pass'."""

from __future__ import annotations

from pv.diagnostics import Diagnostic, Severity
from pv.lint.framework import GateOutcome, GateResult, LintRun, Verdict, decide, discover_gates


def test_gates_are_discovered_in_order_with_unique_names() -> None:
    gates = discover_gates()
    names = [g.name for g in gates]
    assert names[:4] == ["schema", "references", "test-binding", "markers"]
    assert len(set(names)) == len(names)
    assert [g.order for g in gates] == sorted(g.order for g in gates)
    assert all(g.description for g in gates)


def test_every_gate_module_is_listed_once() -> None:
    from pathlib import Path

    import pv.lint.gates as package
    from pv.lint.gates import GATES

    on_disk = {p.stem for p in Path(package.__file__).parent.glob("*.py") if p.stem != "__init__"}
    assert sorted(GATES) == sorted(on_disk)
    assert len(discover_gates()) == len(GATES)


def _error() -> Diagnostic:
    return Diagnostic("PV-BIND-004", Severity.ERROR, "x", "c.yaml", 1, 1)


def test_verdicts() -> None:
    assert decide(GateOutcome(measured=3), []) == (Verdict.PASS, False)
    assert decide(GateOutcome(measured=3), [_error()]) == (Verdict.FAIL, False)
    assert decide(GateOutcome(measured=3), [_error().with_severity(Severity.WARNING)]) == (Verdict.PASS, False)
    assert decide(GateOutcome(measured=0), []) == (Verdict.SKIP, False)  # nothing measured: never PASS
    assert decide(GateOutcome(measured=0, vacuous_is_error=True), []) == (Verdict.FAIL, True)
    assert decide(GateOutcome(measured=0, vacuous_is_error=True), [_error()]) == (Verdict.FAIL, True)
    assert decide(GateOutcome(measured=5, skip_reason="not requested"), [_error()]) == (Verdict.SKIP, False)


def test_result_line_counts_only_passes() -> None:
    def gate(name: str, verdict: Verdict, vacuous: bool = False) -> GateResult:
        return GateResult(name, 0, verdict, "", 1.0, [], vacuous=vacuous)

    run = LintRun([gate("a", Verdict.PASS), gate("b", Verdict.SKIP), gate("c", Verdict.PASS)])
    assert run.result_line() == "Result: PASS (2/3 gates passed, 1 skipped)"
    failed = LintRun([gate("a", Verdict.PASS), gate("b", Verdict.FAIL)])
    assert failed.result_line() == "Result: FAIL (1/2 gates passed)"
    vacuous = LintRun([gate("a", Verdict.FAIL, vacuous=True)])
    assert vacuous.vacuous and vacuous.result_line() == "Result: FAIL (0/1 gates passed)"


def test_every_lint_code_is_documented() -> None:
    from pathlib import Path

    import pv.binding.codes
    import pv.lint.codes  # noqa: F401
    from pv.rules import RULES

    docs = (Path(__file__).resolve().parents[3] / "docs" / "lint.md").read_text(encoding="utf-8")
    codes = [c for c in RULES if c.startswith(("PV-BIND-", "PV-LINT-"))]
    assert len(codes) >= 30
    missing = [c for c in codes if f"| {c} |" not in docs]
    assert missing == []
