"""[tool.pv] falsify_required: which rung needs every declared mutant of a ship-blocking falsifier killed."""

from __future__ import annotations

from pathlib import Path

from pv.checks.mutants import Mutant
from pv.ledger import Ledger, MutantResult, sha256_file
from pv.model.status import Status
from pv.status.facts import ContractFacts, FalsifierFacts, RefFacts, RefKind
from pv.status.ladder import EvidenceBook, compute, falsify_rung


def _setup(tmp_path: Path, outcome: str | None) -> tuple[ContractFacts, Ledger]:
    (tmp_path / "tests").mkdir()
    (tmp_path / "src.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "tests" / "test_a.py").write_text("def test_a():\n    assert True\n", encoding="utf-8")
    m = Mutant("F-1", 0, "src.py", "x = 1", "x = 2", None, "", "c.yaml", 7, 9)
    ref = RefFacts("tests/test_a.py::test_a", RefKind.TEST, ("tests/test_a.py::test_a",))
    facts = ContractFacts("C", "1.0.0", Path("c.yaml"), Status.FUNCTIONAL,
                          falsifiers=(FalsifierFacts("F-1", True, (ref,), mutants=(m,)),))
    from pv.ledger import TestResult

    ledger = Ledger({"tests/test_a.py::test_a": TestResult(
        "tests/test_a.py::test_a", "passed", 0.1, "tests/test_a.py", sha256_file(tmp_path / "tests/test_a.py"),
        None, None, "")})
    if outcome:
        ledger.mutants[m.key] = MutantResult(m.key, "F-1", outcome, "all passed", {"src.py": sha256_file(
            tmp_path / "src.py")}, {"tests/test_a.py": sha256_file(tmp_path / "tests/test_a.py")}, 1.0, None, "")
    return facts, ledger


def _computed(tmp_path: Path, outcome: str | None, setting: str | None) -> tuple[Status | None, list[str]]:
    facts, ledger = _setup(tmp_path, outcome)
    st = compute(facts, ledger, EvidenceBook(tmp_path, {}), tmp_path, mutants_rung=falsify_rung(setting))
    return st.computed, st.blockers[Status.FUNCTIONAL] + st.blockers[Status.DISCHARGED]


def test_default_rung_is_discharged_so_a_survivor_keeps_functional(tmp_path: Path) -> None:
    computed, blockers = _computed(tmp_path, "survived", None)
    assert computed is Status.FUNCTIONAL
    assert "F-1: F-1 mutant #1 (c.yaml:7:9): survived: all passed" in blockers


def test_functional_setting_drops_a_survivor_to_partial(tmp_path: Path) -> None:
    computed, blockers = _computed(tmp_path, "survived", "FUNCTIONAL")
    assert computed is Status.PARTIAL_ALGORITHM_LEVEL
    assert any("survived" in b for b in blockers)


def test_killed_mutant_does_not_block(tmp_path: Path) -> None:
    computed, blockers = _computed(tmp_path, "killed", "FUNCTIONAL")
    assert computed is Status.FUNCTIONAL and not any("mutant" in b for b in blockers)


def test_never_falsified_mutant_blocks(tmp_path: Path) -> None:
    computed, blockers = _computed(tmp_path, None, "FUNCTIONAL")
    assert computed is Status.PARTIAL_ALGORITHM_LEVEL
    assert any("never falsified (run `pv falsify`)" in b for b in blockers)


def test_off_ignores_mutants(tmp_path: Path) -> None:
    computed, blockers = _computed(tmp_path, "survived", "off")
    assert computed is Status.FUNCTIONAL and not any("mutant" in b for b in blockers)
