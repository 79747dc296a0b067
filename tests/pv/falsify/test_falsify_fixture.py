"""pv falsify on the fixture project: each mutant judged right, at the right line, tree untouched."""

from __future__ import annotations

import tempfile
from pathlib import Path


def _by_mutant(doc: dict) -> dict[tuple[str, int], dict]:
    return {(r["falsifier"], r["line"]): r for r in doc["summary"]["results"]}


def test_each_mutant_is_judged_right_at_its_line_and_the_tree_is_untouched(fproject, tmp_path: Path,
                                                                          monkeypatch) -> None:
    copies = tmp_path / "tmp"
    copies.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(copies))  # where the isolated copies go
    before = fproject.snapshot()
    code, doc = fproject.falsify_json("-j", "2", "--ledger", str(tmp_path / "ledger.json"))
    assert fproject.snapshot() == before  # not one byte of the user's tree changed, no file added
    assert code == 1  # survived and invalid mutants of ship-blocking falsifiers are errors
    res = _by_mutant(doc)
    strong = res[("FALSIFY-CALC-001", 9)]
    assert strong["outcome"] == "killed"
    assert strong["detail"].startswith("tests/test_core.py::test_clamp_limits_both_ends failed")
    assert (strong["mutated_file"], strong["mutated_line"]) == ("src/calc/core.py", 10)
    weak = res[("FALSIFY-CALC-002", 17)]
    assert weak["outcome"] == "survived"
    assert (weak["mutated_file"], weak["mutated_line"]) == ("src/calc/core.py", 17)
    assert res[("FALSIFY-CALC-003", 25)]["outcome"] == "killed"
    stale = res[("FALSIFY-CALC-003", 28)]
    assert (stale["outcome"], stale["reason"]) == ("invalid", "does-not-apply")
    assert "occurs 0 times in src/calc/core.py" in stale["detail"]
    broken = res[("FALSIFY-CALC-003", 32)]
    assert (broken["outcome"], broken["reason"]) == ("invalid", "does-not-import")
    assert "No module named 'mathh'" in broken["detail"]
    assert (broken["mutated_file"], broken["mutated_line"]) == ("src/calc/core.py", 3)
    assert doc["summary"]["mutants"] == {"killed": 2, "survived": 1, "invalid": 2, "timeout": 0}
    # Findings sit on the mutant's own line:col in the contract, with their own codes.
    found = {(d["code"], d["line"], d["col"]) for d in doc["diagnostics"]}
    assert found == {("PV-FALS-001", 17, 9), ("PV-FALS-002", 28, 9), ("PV-FALS-002", 32, 9)}
    assert all(d["severity"] == "error" for d in doc["diagnostics"])
    assert list(copies.iterdir()) == []  # every isolated copy was removed


def test_survivor_of_a_non_ship_blocking_falsifier_is_a_warning(fproject, tmp_path: Path) -> None:
    contract = fproject.root / "contracts" / "calc-v1.yaml"
    text = contract.read_text(encoding="utf-8")
    contract.write_text(text.replace("    test: tests/test_core.py::test_relu_is_a_number\n",
                                     "    test: tests/test_core.py::test_relu_is_a_number\n    ship_blocking: false\n"),
                        encoding="utf-8")
    code, doc = fproject.falsify_json("--falsifier", "FALSIFY-CALC-002", "--no-record")
    assert code == 0
    [diag] = doc["diagnostics"]
    assert (diag["code"], diag["severity"]) == ("PV-FALS-001", "warning")


def test_falsifier_filter_and_nothing_to_falsify(fproject) -> None:
    code, doc = fproject.falsify_json("--falsifier", "FALSIFY-CALC-001", "--no-record")
    assert code == 0 and [r["falsifier"] for r in doc["summary"]["results"]] == ["FALSIFY-CALC-001"]
    proc = fproject.pv("falsify", "--falsifier", "FALSIFY-NOPE-001")
    assert proc.returncode == 2 and "no falsifier FALSIFY-NOPE-001" in proc.stderr


def test_validate_checks_each_mutant_at_its_own_line(fproject) -> None:
    proc = fproject.pv("validate", "--format", "json")
    import json

    diags = json.loads(proc.stdout)["diagnostics"]
    assert [(d["code"], d["line"], d["col"]) for d in diags] == [("PV-MUT-002", 28, 9)]
    assert "occurs 0 times" in diags[0]["message"]


def test_junit_has_one_case_per_mutant_killed_passes_survived_fails(fproject) -> None:
    import xml.etree.ElementTree as ET

    proc = fproject.pv("falsify", "--format", "junit", "--no-record", "-j", "2",
                       "--falsifier", "FALSIFY-CALC-001", "--falsifier", "FALSIFY-CALC-002")
    assert proc.returncode == 1
    cases = {c.get("classname"): c for c in ET.fromstring(proc.stdout).iter("testcase")}
    assert list(cases["FALSIFY-CALC-001"]) == []
    [failure] = list(cases["FALSIFY-CALC-002"])
    assert (failure.tag, failure.get("type")) == ("failure", "PV-FALS-001")


def test_lint_replay_misses_when_a_mutated_file_changes(fproject) -> None:
    first = fproject.pv("lint", "--format", "json")
    assert '"PV-MUT-002"' in first.stdout and first.stdout.count('"PV-MUT-002"') == 1
    core = fproject.root / "src" / "calc" / "core.py"
    core.write_text(core.read_text(encoding="utf-8").replace("if x > hi:", "if hi < x:"), encoding="utf-8")
    second = fproject.pv("lint", "--format", "json")
    assert second.stdout.count('"PV-MUT-002"') == 2  # FALSIFY-CALC-001's find text is gone now: not replayed
