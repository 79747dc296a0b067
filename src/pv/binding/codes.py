"""Every PV-BIND code ``pv lint`` emits, registered once in pv's rule registry.

docs/lint.md shows each with an example and the fix. Codes are stable: a code
is never reused for another meaning, so baselines and suppressions keep working.
"""

from __future__ import annotations

from pv.diagnostics import Severity
from pv.rules import register

E, W = Severity.ERROR, Severity.WARNING

UNCLASSIFIED = register("PV-BIND-001", E, "cannot classify this test reference",
    "The text is not a node ID, a bare test name, a pytest command, LIVE-PENDING: <reason>, "
    "LIVE: evidence/<pack>, pv validate/lint, or shell: <command>. Prose is never skipped silently: "
    "write a node ID such as tests/test_x.py::test_y, or LIVE-PENDING: <why no test exists yet>.").code
FILE_MISSING = register("PV-BIND-002", E, "cited test file does not exist",
    "The node ID names a file that is not there (renamed or moved?). Fix the path; pv suggests "
    "where a test of that name lives now.").code
FILE_NOT_COLLECTED = register("PV-BIND-003", E, "cited test file is not collected by pytest",
    "The file exists but the project's pytest settings (testpaths, python_files, norecursedirs) never "
    "collect it, so the test never runs in CI. Move or rename the file, or fix the settings.").code
TEST_MISSING = register("PV-BIND-004", E, "cited test does not exist",
    "The file has no test of that name (renamed?). Cite the test's current name; pv lists close matches.").code
WRONG_CLASS = register("PV-BIND-005", E, "cited test is not in the named class",
    "The test exists in this file, but under a different class (or the class does not exist). "
    "Use the node ID pv suggests.").code
PARAM_MISSING = register("PV-BIND-006", E, "no such parametrize ID",
    "The test is parametrized, but none of its IDs is the one in brackets. pv lists the IDs pytest "
    "generates; cite one of them, or drop the brackets to bind every case.").code
PARAM_UNDECIDABLE = register("PV-BIND-007", W, "parametrize IDs cannot be known statically",
    "The IDs depend on values computed at run time, so the static index cannot say whether the "
    "bracketed ID exists. Run `pv lint --collect` (pytest's real collection decides), or give the "
    "cases explicit IDs with pytest.param(..., id=...). Under --strict-test-binding this is an error.").code
NOT_PARAMETRIZED = register("PV-BIND-008", E, "cited test is not parametrized",
    "The reference has a [param] suffix but the test has no parametrize mark. Drop the brackets.").code
BARE_MISSING = register("PV-BIND-009", E, "no collected test has this name",
    "A bare test name must match exactly one test pytest collects (exact match, never a substring). "
    "Fix the name or cite the full node ID.").code
BARE_AMBIGUOUS = register("PV-BIND-010", E, "bare test name matches several tests",
    "The name is collected more than once; a bare name must pick exactly one test. Cite the full node "
    "ID of the one you mean (pv lists the candidates). [tool.pv] ambiguous_bare_names = 'warning' "
    "downgrades this.").code
K_SELECTS_NOTHING = register("PV-BIND-011", E, "pytest -k/-m selects no test",
    "The cited pytest command's -k (or -m) expression selects no collected test, so the command "
    "would run nothing. Fix the expression or cite node IDs.").code
BAD_COMMAND = register("PV-BIND-012", E, "malformed pytest command",
    "The cited pytest command cannot be parsed (unbalanced quotes, an invalid -k expression, an "
    "option without its value, --pyargs). Fix the command line.").code
WHOLE_SUITE = register("PV-BIND-013", E, "pytest command selects the whole suite",
    "A pytest command with no node ID, path or -k runs everything, which binds the falsifier to no "
    "particular test. Cite the test that falsifies the prediction.").code
PENDING_NO_REASON = register("PV-BIND-014", E, "LIVE-PENDING without a reason",
    "LIVE-PENDING must say why no test exists yet: `LIVE-PENDING: needs a 500-step GPU run`.").code
PACK_MISSING = register("PV-BIND-015", E, "LIVE evidence pack does not exist",
    "`LIVE: evidence/<pack>` must name a directory under evidence/ (record it with `pv evidence "
    "record`). `pv status` verifies its manifest and hashes.").code
OUTSIDE_ROOT = register("PV-BIND-016", E, "reference resolves outside the project root",
    "Test references are paths relative to the project root; absolute paths and `..` escapes are "
    "refused so a contract cannot be satisfied by files outside the repository.").code
CANNOT_FAIL = register("PV-BIND-017", E, "bound test cannot fail",
    "The test's body is empty (pass, ..., a docstring, assert True) or has no assertion, no raise, no "
    "pytest.raises, no @given and calls no assert helper, so it passes whatever the code does. Make "
    "it assert the falsifier's prediction.").code
SKIPPED = register("PV-BIND-018", E, "bound test is skipped unconditionally",
    "The test never runs (@pytest.mark.skip, skipif(True), xfail(run=False), unittest.skip, a leading "
    "pytest.skip()), so it cannot falsify anything. Remove the skip or bind a test that runs.").code
FILE_UNPARSABLE = register("PV-BIND-019", E, "cited test file does not parse",
    "The test file has a syntax error, so pytest cannot collect anything in it. Fix the file.").code
NOT_CANONICAL = register("PV-BIND-020", E, "node ID is not in pytest's canonical form",
    "Node IDs are exact: relative to the project root, '/'-separated, no './' or '//'. Write the ID "
    "pytest prints (pv shows it).").code
NOT_COLLECTED = register("PV-BIND-021", E, "cited class or function exists but pytest does not collect it",
    "The name is defined, but pytest skips it (a class with __init__, a name not matching "
    "python_classes/python_functions, a fixture). The reason is in the message.").code
CLASS_UNDECIDABLE = register("PV-BIND-022", W, "class inherits tests from another module",
    "The class has a base defined elsewhere, so its inherited tests are unknown to the static index. "
    "Run `pv lint --collect`. Under --strict-test-binding this is an error.").code
PV_COMMAND = register("PV-BIND-023", E, "pv self-check reference is malformed",
    "Only `pv validate PATH...` and `pv lint PATH...` are accepted, and each PATH must exist inside "
    "the project.").code
SHELL_EMPTY = register("PV-BIND-024", E, "shell: harness without a command",
    "`shell:` must be followed by the command it runs.").code
COLLECT_DISAGREES = register("PV-BIND-025", W, "static index and pytest's collection disagree",
    "`--collect` ran pytest's real collection and it differs from the static index (a conftest hook, "
    "a dynamic parametrize, a plugin). pytest's answer is used; the message names the node ID.").code
NO_REFERENCE = register("PV-BIND-027", W, "falsifier cites no test",
    "Every falsifier needs a binding: a test, LIVE-PENDING: <reason>, LIVE: evidence/<pack>, a pv "
    "self-check or a shell: harness. Under --strict-test-binding this is an error.").code
MARKER_UNKNOWN = register("PV-BIND-030", E, "falsifies marker names an unknown falsifier",
    "@pytest.mark.falsifies(ID) names a falsifier no contract defines. Fix the ID or add the "
    "falsifier.").code
MARKER_MISMATCH = register("PV-BIND-031", E, "bound test is marked for a different falsifier",
    "The falsifier cites a test whose falsifies marker names other falsifiers only. Either the "
    "contract cites the wrong test or the marker is wrong; make them agree.").code
NOTHING_TO_CHECK = register("PV-BIND-032", E, "no test reference to check",
    "--strict-test-binding found no test reference in the contracts given: a gate that measured "
    "nothing never passes.").code
UNDECIDABLE = register("PV-BIND-033", W, "whether the cited test exists cannot be decided statically",
    "A collection hook, a computed collect_ignore, a doctest or a plugin decides what this file "
    "collects. Under --strict-test-binding pv runs pytest's real collection on just that file and "
    "decides exactly; without it this is a warning.").code
DESELECTED = register("PV-BIND-034", W, "cited test exists but addopts deselects it",
    "The project's addopts (-m or -k) deselect this test in a default run, so CI never runs it. "
    "Run it in a job without that filter, or cite a test the default run selects.").code

# What --strict-test-binding raises to errors (pv.policy.severity_of's ``raised``).
STRICT_CODES: frozenset[str] = frozenset({PARAM_UNDECIDABLE, CLASS_UNDECIDABLE, NO_REFERENCE})
