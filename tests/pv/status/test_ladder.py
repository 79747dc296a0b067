"""The ladder rules on hand-made facts: each rung's conditions, and the "why not higher" text."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from pvstatus_project import Project

from pv.evidence.manifest import load_manifest
from pv.evidence.record import record
from pv.ledger import Ledger, TestResult, sha256_file
from pv.model.base import Check
from pv.model.status import Status
from pv.status.facts import ContractFacts, FalsifierFacts, RefFacts, RefKind
from pv.status.ladder import compute_all

T1 = "tests/test_m.py::test_one"
T2 = "tests/test_m.py::test_two"


def test_ref(node: str) -> RefFacts:
    return RefFacts(node, RefKind.TEST, (node,))


test_ref.__test__ = False  # type: ignore[attr-defined]

PENDING = RefFacts("LIVE-PENDING: needs a 500-step run", RefKind.LIVE_PENDING, reason="needs a 500-step run")
DANGLING = RefFacts("tests/test_m.py::test_gone", RefKind.TEST, (), problem="no such test")
LIVE = RefFacts("LIVE: evidence/run-1", RefKind.LIVE, pack="evidence/run-1")


def contract(*falsifiers: FalsifierFacts, declared: Status | None = None, errors: tuple[str, ...] = ()
             ) -> ContractFacts:
    return ContractFacts("C-1", "1.0.0", Path("contracts/c.yaml"), declared, falsifiers=falsifiers,
                         validation_errors=errors)


def falsifier(fid: str, *refs: RefFacts, ship: bool = True, check: Check | None = None) -> FalsifierFacts:
    return FalsifierFacts(fid, ship, refs, check)


@pytest.fixture
def root(project: Project) -> Path:
    project.write("tests/test_m.py", "def test_one():\n    assert 1\n\ndef test_two():\n    assert 2\n")
    project.commit()
    return project.root


def ledger_with(root: Path, **outcomes: str) -> Ledger:
    sha = sha256_file(root / "tests/test_m.py")
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return Ledger({f"tests/test_m.py::{name}": TestResult(f"tests/test_m.py::{name}", out, 0.1, "tests/test_m.py",
                                                          sha, None, None, now)
                   for name, out in outcomes.items()})


def status_of(c: ContractFacts, root: Path, ledger: Ledger | None = None):  # type: ignore[no-untyped-def]
    return compute_all([c], ledger or Ledger(), root)[0]


def test_no_falsifiers_is_draft(root: Path) -> None:
    st = status_of(contract(), root)
    assert st.computed is Status.DRAFT
    assert st.why_not_higher == ["the contract has no falsifiers"]


def test_invalid_contract_has_no_rung(root: Path) -> None:
    st = status_of(contract(falsifier("F-1", test_ref(T1)), declared=Status.DRAFT,
                            errors=("c.yaml:3:1: PV-SCH-001 unknown key",)), root)
    assert st.computed is None and st.computed_name == "INVALID"
    assert st.overclaims
    assert st.why_not_higher == ["does not validate: c.yaml:3:1: PV-SCH-001 unknown key"]


def test_partial_needs_a_bound_test_and_reasons_for_the_rest(root: Path) -> None:
    st = status_of(contract(falsifier("F-1", test_ref(T1)), falsifier("F-2", PENDING)), root)
    assert st.computed is Status.PARTIAL_ALGORITHM_LEVEL
    assert st.why_not_higher == [
        "F-1: tests/test_m.py::test_one: never run (no recorded result; run `pv run`)",
        "F-2: LIVE-PENDING: needs a 500-step run",
    ]
    only_pending = status_of(contract(falsifier("F-2", PENDING)), root)
    assert only_pending.computed is Status.DRAFT
    assert only_pending.why_not_higher == ["no falsifier is bound to an existing test"]


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        (DANGLING, "F-2: 'tests/test_m.py::test_gone': no such test"),
        (RefFacts("run it by hand", RefKind.INVALID, problem="cannot classify 'run it by hand'"),
         "F-2: 'run it by hand': cannot classify 'run it by hand'"),
        (RefFacts("shell: make check", RefKind.SHELL),
         "F-2: cites only shell:/pv commands, which never count as bound tests"),
    ],
    ids=["dangling", "prose", "shell-only"],
)
def test_a_falsifier_without_a_valid_binding_blocks_partial(root: Path, ref: RefFacts, expected: str) -> None:
    st = status_of(contract(falsifier("F-1", test_ref(T1)), falsifier("F-2", ref)), root,
                   ledger_with(root, test_one="passed"))
    assert st.computed is Status.DRAFT
    assert st.why_not_higher == [expected]


def test_functional_when_every_ship_blocking_test_passed_fresh(root: Path) -> None:
    c = contract(falsifier("F-1", test_ref(T1)), falsifier("F-2", test_ref(T2)),
                 falsifier("F-3", PENDING, ship=False), declared=Status.FUNCTIONAL)
    st = status_of(c, root, ledger_with(root, test_one="passed", test_two="passed"))
    assert st.computed is Status.FUNCTIONAL
    assert not st.overclaims
    assert st.counts() == {"falsifiers": 3, "bound": 2, "pending": 1, "passed": 2, "live": 0, "discharged": 0,
                           "mutants": 0, "killed": 0}
    assert st.why_not_higher == ["no falsifier cites live evidence (LIVE: evidence/<pack>); "
                                 "DISCHARGED needs a verified live run"]


@pytest.mark.parametrize("outcome", ["failed", "error", "skipped", "xfailed", "xpassed"])
def test_anything_but_passed_keeps_a_declared_functional_contract_flagged(root: Path, outcome: str) -> None:
    c = contract(falsifier("F-1", test_ref(T1)), falsifier("F-2", test_ref(T2)), declared=Status.FUNCTIONAL)
    st = status_of(c, root, ledger_with(root, test_one="passed", test_two=outcome))
    assert st.computed is Status.PARTIAL_ALGORITHM_LEVEL
    assert st.overclaims
    assert st.why_not_higher[0].startswith(f"F-2: tests/test_m.py::test_two: {outcome}")


def test_stale_result_does_not_count(root: Path) -> None:
    c = contract(falsifier("F-1", test_ref(T1)), declared=Status.FUNCTIONAL)
    ledger = ledger_with(root, test_one="passed")
    assert status_of(c, root, ledger).computed is Status.FUNCTIONAL
    (root / "tests/test_m.py").write_text("def test_one():\n    assert 0\n\ndef test_two():\n    assert 2\n")
    st = status_of(c, root, ledger)
    assert st.computed is Status.PARTIAL_ALGORITHM_LEVEL and st.overclaims
    assert st.why_not_higher == ["F-1: tests/test_m.py::test_one: stale: tests/test_m.py changed since the "
                                 "recorded run"]


def test_ship_blocking_live_pending_blocks_functional_even_with_passing_tests(root: Path) -> None:
    c = contract(falsifier("F-1", test_ref(T1), PENDING))
    st = status_of(c, root, ledger_with(root, test_one="passed"))
    assert st.computed is Status.PARTIAL_ALGORITHM_LEVEL
    assert st.why_not_higher == ["F-1: LIVE-PENDING: needs a 500-step run"]


def test_promoted_to_discharged_exactly_when_evidence_arrives(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check = Check(metric="val_loss", op="<", value=9.38)
    c = contract(falsifier("F-1", test_ref(T1)), falsifier("F-2", LIVE, ship=False, check=check))
    ledger = ledger_with(root, test_one="passed")
    before = status_of(c, root, ledger)
    assert before.computed is Status.FUNCTIONAL
    assert before.why_not_higher == ["F-2: evidence/run-1: evidence pack evidence/run-1 does not exist"]
    monkeypatch.chdir(root)
    code = "import json; json.dump({'val_loss': 7.5}, open('m.json', 'w'))"
    record(name="run-1", falsifiers=["F-2"], command=[sys.executable, "-c", code], root=root,
           evidence_dir=root / "evidence", metrics_file=Path("m.json"), echo=False)
    unsealed = status_of(c, root, ledger)
    assert unsealed.computed is Status.FUNCTIONAL and "cited without a seal" in unsealed.why_not_higher[0]
    seal = load_manifest(root / "evidence/run-1").sha256
    c = contract(falsifier("F-1", test_ref(T1)),
                 falsifier("F-2", replace(LIVE, seal=seal), ship=False, check=check))
    after = status_of(c, root, ledger)
    assert after.computed is Status.DISCHARGED
    assert after.why_not_higher == []
    assert after.counts()["discharged"] == 1
    (root / "evidence/run-1/stdout.txt").write_text("edited\n")
    tampered = status_of(c, root, ledger)
    assert tampered.computed is Status.FUNCTIONAL
    assert "stdout.txt changed since it was recorded" in tampered.why_not_higher[0]


def test_a_ship_blocking_live_only_falsifier_needs_its_pack_for_functional(root: Path) -> None:
    c = contract(falsifier("F-1", test_ref(T1)), falsifier("F-2", LIVE, check=Check(metric="x", op=">", value=0)))
    st = status_of(c, root, ledger_with(root, test_one="passed"))
    assert st.computed is Status.PARTIAL_ALGORITHM_LEVEL
    assert st.why_not_higher == ["F-2: evidence/run-1: evidence pack evidence/run-1 does not exist"]
