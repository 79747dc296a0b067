"""PV-MUT: ``pv validate``'s codes for declared mutants that no longer apply (catalogue: docs/falsify.md).

Beside the check that emits them (checks/mutant_check.py); ``pv falsify``'s own result codes
(PV-FALS-*) stay with it in pv.falsify.codes.
"""

from __future__ import annotations

from pv.diagnostics import Severity
from pv.rules import register

E = Severity.ERROR

MUT_FILE = register(
    "PV-MUT-001", E, "a mutant's file does not exist",
    "A declared mutant names the file it breaks, relative to the project root. A file that is not there "
    "cannot be mutated, so the falsifier's claim to be falsifiable is not checked. Fix the path.",
).code
MUT_FIND = register(
    "PV-MUT-002", E, "a mutant's find text does not occur exactly once",
    "`find` must occur exactly once in `file`, so the mutant breaks one known place. Zero: the code "
    "moved on (update the mutant). More than one: add surrounding text to make it unique.",
).code
MUT_PATCH = register(
    "PV-MUT-003", E, "a mutant's patch does not apply",
    "A `patch:` mutant is a unified diff against the project root; its context and removed lines must "
    "be in the file. Regenerate it with `git diff` on a broken copy.",
).code
