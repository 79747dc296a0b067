"""The self-test corpus: every reference class and field, the known dangling ones at exact positions.

tests/fixtures/binding_project's contracts cite its tests through node IDs, bare names, pytest
command lines, YAML lists, `+` and `&&` joins, LIVE-PENDING, LIVE, pv and shell:, in test,
test_harness, name, evidence_discharged_by and invariant harness names. FALSIFY-FIX-*, GATE-FIX-*
and INV-FIX-001's valid harness are correct and must produce no finding; every known dangling
reference must be flagged at its own file:line:col with its own code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

T = "contracts/training-fixture-v1.yaml"
G = "contracts/gates-fixture-v1.yaml"

# (path, line, col, code): each known defect of the corpus, where it is written.
EXPECTED = {
    (G, 17, 9, "PV-BIND-004"),   # GATE-FIX-002 list item 2: a renamed test in evidence_discharged_by
    (G, 28, 15, "PV-BIND-009"),  # INV-FIX-001 harness[1].name: bare name nothing has
    (T, 54, 11, "PV-BIND-004"),  # DANGLE-001 renamed test
    (T, 58, 11, "PV-BIND-005"),  # DANGLE-002 wrong class
    (T, 62, 12, "PV-BIND-006"),  # DANGLE-003 wrong parametrize ID (inside quotes: col of the text)
    (T, 66, 11, "PV-BIND-001"),  # DANGLE-004 prose
    (T, 70, 19, "PV-BIND-004"),  # DANGLE-005 dangling under test_harness:
    (T, 74, 12, "PV-BIND-017"),  # DANGLE-006 empty body (flow list item 1)
    (T, 74, 49, "PV-BIND-017"),  # DANGLE-006 docstring-only body (flow list item 2)
    (T, 78, 11, "PV-BIND-018"),  # DANGLE-007 skipped
    (T, 82, 11, "PV-BIND-010"),  # DANGLE-008 bare name matching two tests (under name:)
    (T, 86, 11, "PV-BIND-002"),  # DANGLE-009 missing file (first `+` piece)
    (T, 86, 40, "PV-BIND-016"),  # DANGLE-009 outside the root (second `+` piece)
    (T, 90, 11, "PV-BIND-014"),  # DANGLE-010 LIVE-PENDING without a reason
    (T, 91, 26, "PV-BIND-015"),  # DANGLE-010 LIVE pack never recorded (col of the pack path)
    (T, 95, 40, "PV-BIND-011"),  # DANGLE-011 -k selects nothing (col of the expression)
    (T, 96, 19, "PV-BIND-013"),  # DANGLE-011 whole-suite pytest run
    (T, 100, 54, "PV-BIND-004"),  # DANGLE-012 second leg of && (col of the second leg)
    (T, 104, 12, "PV-BIND-007"),  # DANGLE-013 undecidable parametrize ID
    (T, 108, 11, "PV-BIND-021"),  # DANGLE-014 class with __init__
    (T, 109, 19, "PV-BIND-003"),  # DANGLE-014 file not matching python_files
    (T, 113, 11, "PV-BIND-031"),  # DANGLE-015 test marked for another falsifier
    (T, 117, 12, "PV-BIND-008"),  # DANGLE-016 brackets on an unparametrized test
    (T, 118, 11, "PV-BIND-009"),  # DANGLE-016 bare name nothing has
    ("tests/test_core.py", 27, 24, "PV-BIND-030"),  # marker naming an unknown falsifier
}


def _bind_findings(stdout: str) -> list[dict]:
    doc = json.loads(stdout)
    return [d for d in doc["diagnostics"] if d["code"].startswith("PV-BIND-")]


def test_every_known_dangling_reference_is_flagged_at_its_position(binding_project: Path, run_lint) -> None:
    result = run_lint(binding_project, "--format", "json")
    found = _bind_findings(result.out)
    positions = {(d["path"], d["line"], d["col"], d["code"]) for d in found}
    assert positions == EXPECTED
    assert len(found) == len(EXPECTED)  # one finding per defect, no duplicates
    assert result.code == 1


def test_no_valid_reference_is_flagged(binding_project: Path, run_lint) -> None:
    found = _bind_findings(run_lint(binding_project, "--format", "json").out)
    flagged = {d["data"].get("falsifier") for d in found}
    valid = {f"FALSIFY-FIX-00{i}" for i in range(1, 9)} | {"GATE-FIX-001", "GATE-FIX-003"}
    assert flagged.isdisjoint(valid)
    # GATE-FIX-002 and INV-FIX-001 hold one valid and one dangling reference each: only the dangling is flagged.
    fields = {d["data"]["field"] for d in found if d["data"].get("falsifier") in {"GATE-FIX-002", "INV-FIX-001"}}
    assert fields == {"gates[GATE-FIX-002].evidence_discharged_by[1]", "invariants[INV-FIX-001].harness[1].name"}


def test_every_reference_class_is_counted(binding_project: Path, run_lint) -> None:
    doc = json.loads(run_lint(binding_project, "--format", "json").out)
    gate = next(g for g in doc["summary"]["gates"] if g["name"] == "test-binding")
    assert gate["counts"]["by_kind"] == {
        "node-id": 33, "bare-name": 4, "pytest-command": 3, "live-pending": 2, "live-evidence": 3,
        "pv-command": 1, "shell": 1, "unclassified": 1,
    }
    assert gate["counts"]["references"] == 43
    # FALSIFY-DANGLE-006 (empty bodies, two refs) and -007 (skipped) resolve, but to tests that
    # cannot fail or never run: counted apart from dangling ones, and never as bound tests.
    assert gate["counts"]["unusable"] == 3
    assert "3 bound only to tests that cannot fail or never run" in gate["summary"]
    assert gate["verdict"] == "FAIL"


def test_messages_name_the_fix(binding_project: Path, run_lint) -> None:
    text = run_lint(binding_project, "--color", "never").out
    assert ("training-fixture-v1.yaml:54:11: PV-BIND-004 falsification_tests[FALSIFY-DANGLE-001].test: "
            "tests/test_core.py has no test 'test_loss_decrease' (did you mean "
            "'tests/test_core.py::test_loss_decreases'?)") in text
    assert "cite 'tests/test_core.py::TestTrainer::TestNested::test_inner'" in text
    assert "its IDs are: small-0.1, small-0.001, large-0.1, large-0.001" in text
    assert "tests/sub/test_other.py::test_shared_name, tests/test_core.py::test_shared_name" in text
    assert "class defines __init__" in text
    assert "does not match python_files ['test_*.py', 'check_*.py']" in text


def test_undecidable_is_a_warning_unless_strict_where_pytest_decides(binding_project: Path, run_lint) -> None:
    lenient = {d["code"]: d["severity"] for d in _bind_findings(run_lint(binding_project, "--format", "json").out)}
    strict = {d["code"]: d["severity"] for d in
              _bind_findings(run_lint(binding_project, "--format", "json", "--strict-test-binding").out)}
    assert lenient["PV-BIND-007"] == "warning"
    # Strict mode runs pytest's collection on just that file: test_runtime_param[nan] exists, so no finding.
    assert "PV-BIND-007" not in strict


@pytest.mark.slow
def test_collect_mode_uses_pytest_and_agrees_with_the_static_index(binding_project: Path, run_lint) -> None:
    found = _bind_findings(run_lint(binding_project, "--format", "json", "--collect").out)
    positions = {(d["path"], d["line"], d["col"], d["code"]) for d in found}
    # pytest itself says test_runtime_param[nan] exists: the undecidable finding is gone, nothing else changes,
    # and pytest's collection agrees with the static index everywhere else (no PV-BIND-025).
    assert positions == EXPECTED - {(T, 104, 12, "PV-BIND-007")}
