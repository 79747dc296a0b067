"""Codes of declared mutants (PV-MUT-*, from ``pv validate``) and of ``pv falsify`` results (PV-FALS-*)."""

from __future__ import annotations

from pv.checks.registry import register
from pv.diagnostics import Severity

MUT_FILE = register(
    "PV-MUT-001", Severity.ERROR, "a mutant's file does not exist",
    "A declared mutant names the file it breaks, relative to the project root. A file that is not there "
    "cannot be mutated, so the falsifier's claim to be falsifiable is not checked. Fix the path.",
).code
MUT_FIND = register(
    "PV-MUT-002", Severity.ERROR, "a mutant's find text does not occur exactly once",
    "`find` must occur exactly once in `file`, so the mutant breaks one known place. Zero: the code "
    "moved on (update the mutant). More than one: add surrounding text to make it unique.",
).code
MUT_PATCH = register(
    "PV-MUT-003", Severity.ERROR, "a mutant's patch does not apply",
    "A `patch:` mutant is a unified diff against the project root; its context and removed lines must "
    "be in the file. Regenerate it with `git diff` on a broken copy.",
).code
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
