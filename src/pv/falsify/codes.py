"""Codes of ``pv falsify`` results (PV-FALS-*); the PV-MUT-* codes of ``pv validate`` are in pv.checks.codes."""

from __future__ import annotations

from pv.diagnostics import Severity
from pv.rules import register

SURVIVED = register(
    "PV-FALS-001", Severity.ERROR, "a mutant survived: the falsifier's tests pass on broken code",
    "pv falsify applied the declared mutant in an isolated copy and every bound test still passed: the "
    "tests cannot see this break, so the prediction is not shown falsifiable. Strengthen the test (assert "
    "what the mutant breaks). Error for ship-blocking falsifiers, warning otherwise.",
).code
INVALID = register(
    "PV-FALS-002", Severity.ERROR, "a mutant is invalid: it does not apply, or the mutated code does not import",
    "A mutant that does not apply, or that breaks imports or test collection, shows nothing about the "
    "tests. The message says which; fix the mutant so it breaks behaviour, not syntax.",
).code
TIMEOUT = register(
    "PV-FALS-003", Severity.ERROR, "a mutant's test run timed out",
    "The bound tests did not finish within --timeout on the mutated code. pv does not count a timeout "
    "as killed (a slow machine would look like a strong test); raise --timeout or make the tests faster.",
).code
