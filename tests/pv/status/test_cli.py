"""pv run / status / evidence / lint gates end to end, through real subprocesses in throwaway projects."""

from __future__ import annotations

import json
import sys

import pytest
from pvstatus_project import Project

from pv.evidence.seal import sealed_reference

CONTRACT = """
metadata:
  version: 1.0.0
  status: {status}
  description: Demo contract for pv status tests
  changelog:
    - version: 1.0.0
      change: first
falsification_tests:
  - id: FALSIFY-DEMO-001
    rule: adds
    prediction: 1 + 1 == 2
    test: tests/test_demo.py::test_adds
  - id: FALSIFY-DEMO-002
    rule: multiplies
    prediction: 2 * 3 == 6
    test: tests/test_demo.py::test_multiplies
  - id: FALSIFY-DEMO-003
    rule: loss
    prediction: val_loss < 9.38 after 500 steps
    test: "{live}"
    ship_blocking: false
    check: {{metric: val_loss, op: "<", value: 9.38}}
"""
TESTS = """
def test_adds():
    assert 1 + 1 == 2


def test_multiplies():
    assert 2 * 3 == {product}


def test_unbound():
    assert True is not False
"""
PENDING = "LIVE-PENDING: needs a 500-step run"


def setup(project: Project, status: str = "FUNCTIONAL", live: str = PENDING, product: int = 6) -> None:
    project.write("contracts/demo.yaml", CONTRACT.format(status=status, live=live))
    project.write("tests/test_demo.py", TESTS.format(product=product))
    project.commit()


def status_json(project: Project) -> tuple[int, dict]:
    proc = project.pv("status", "--format", "json")
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)["contracts"][0]


def test_pv_run_runs_exactly_the_bound_tests_and_records_them(project: Project) -> None:
    setup(project)
    proc = project.pv_subprocess("run", "--pytest-args=-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 bound test(s) from 1 contract(s)" in proc.stderr
    ledger = json.loads((project.root / ".pv/results.json").read_text())["results"]
    assert sorted(ledger) == ["tests/test_demo.py::test_adds", "tests/test_demo.py::test_multiplies"]
    code, c = status_json(project)
    assert code == 0
    assert c["computed"] == "FUNCTIONAL" and not c["overclaims"]
    assert c["counts"] == {"falsifiers": 3, "bound": 2, "pending": 1, "passed": 2, "live": 0, "discharged": 0,
                           "mutants": 0, "killed": 0}


def test_overclaim_missing_test_is_flagged(project: Project) -> None:
    setup(project)
    project.pv("run")
    project.write("tests/test_demo.py", TESTS.format(product=6).replace("def test_multiplies", "def test_times"))
    project.commit()
    code, c = status_json(project)
    assert code == 1
    assert c["declared"] == "FUNCTIONAL" and c["computed"] == "DRAFT" and c["overclaims"]
    assert any("tests/test_demo.py::test_multiplies" in w for w in c["why_not_higher"])
    lint = project.pv("lint")
    assert lint.returncode == 1
    assert "contracts/demo.yaml:3:11: PV-STAT-001 declared FUNCTIONAL but computed DRAFT" in lint.stdout


def test_overclaim_failing_test_is_flagged(project: Project) -> None:
    setup(project, product=7)
    run = project.pv("run")
    assert run.returncode == 1  # a failing bound test
    code, c = status_json(project)
    assert code == 1 and c["computed"] == "PARTIAL_ALGORITHM_LEVEL" and c["overclaims"]
    assert c["why_not_higher"] == [
        "FALSIFY-DEMO-002: tests/test_demo.py::test_multiplies: failed in the recorded run"]
    lint = project.pv("lint")
    assert "PV-STAT-001 declared FUNCTIONAL but computed PARTIAL_ALGORITHM_LEVEL" in lint.stdout


def test_overclaim_stale_result_is_flagged(project: Project) -> None:
    setup(project)
    assert project.pv("run").returncode == 0
    assert status_json(project)[1]["computed"] == "FUNCTIONAL"
    project.write("tests/test_demo.py", TESTS.format(product=6) + "\n\ndef test_new():\n    assert 2 > 1\n")
    code, c = status_json(project)
    assert code == 1 and c["computed"] == "PARTIAL_ALGORITHM_LEVEL" and c["overclaims"]
    assert "stale: tests/test_demo.py changed since the recorded run" in c["why_not_higher"][0]


def test_promoted_exactly_when_evidence_arrives(project: Project) -> None:
    setup(project, status="DISCHARGED")
    assert project.pv("run").returncode == 0
    code, c = status_json(project)
    assert c["computed"] == "FUNCTIONAL" and c["overclaims"] and code == 1

    rec = project.pv("evidence", "record", "--name", "run-500", "--falsifier", "FALSIFY-DEMO-003", "--",
                     sys.executable, "-c", "import json; print(json.dumps({'val_loss': 7.9, 'steps': 500}))")
    assert rec.returncode == 0, rec.stderr
    assert "OK: " in rec.stderr and "1 metric" not in rec.stderr
    # The pack exists but the contract still says LIVE-PENDING: nothing changes until it cites the pack.
    assert status_json(project)[1]["computed"] == "FUNCTIONAL"
    # Cited without its seal, the pack discharges nothing: its manifest could have been edited.
    setup(project, status="DISCHARGED", live="LIVE: evidence/run-500")
    code, c = status_json(project)
    assert code == 1 and c["computed"] == "FUNCTIONAL"
    assert "cited without a seal" in c["why_not_higher"][0]
    setup(project, status="DISCHARGED", live=sealed_reference(project.root, "evidence/run-500"))
    code, c = status_json(project)
    assert code == 0 and c["computed"] == "DISCHARGED" and not c["overclaims"] and c["why_not_higher"] == []
    assert c["counts"]["discharged"] == 1
    lint = project.pv("lint")
    assert "evidence ....... PASS" in lint.stdout and "status ......... PASS" in lint.stdout, lint.stdout

    (project.root / "evidence/run-500/stdout.txt").write_text('{"val_loss": 1.0, "steps": 500}\n')
    code, c = status_json(project)
    assert code == 1 and c["computed"] == "FUNCTIONAL"
    assert "stdout.txt changed since it was recorded" in c["why_not_higher"][0]


def test_evidence_verify_cli_names_tampering_and_unknown_commit(project: Project, tmp_path: pytest.TempPathFactory
                                                               ) -> None:
    setup(project, live="LIVE: evidence/run-1")
    rec = project.pv("evidence", "record", "--name", "run-1", "--falsifier", "FALSIFY-DEMO-003", "-q", "--",
                     sys.executable, "-c", "print('{\"val_loss\": 8.5}')")
    assert rec.returncode == 0, rec.stderr
    assert "PV-EVID-015" in project.pv("evidence", "verify").stdout  # cited, but without the seal
    setup(project, live=sealed_reference(project.root, "evidence/run-1"))
    ok = project.pv("evidence", "verify")
    assert ok.returncode == 0, ok.stdout
    assert "evidence/run-1: OK (discharges FALSIFY-DEMO-003)" in ok.stdout
    assert ok.stdout.rstrip().endswith("pv evidence verify: OK: 1 pack checked, 0 errors, 0 warnings")

    (project.root / "evidence/run-1/stderr.txt").unlink()
    bad = project.pv("evidence", "verify", "evidence/run-1")
    assert bad.returncode == 1
    assert "PV-EVID-004 stderr.txt is listed in the manifest but missing from the pack" in bad.stdout

    manifest = project.root / "evidence/run-1/manifest.json"
    data = json.loads(manifest.read_text())
    data["files"].pop("stderr.txt")
    data["git"]["commit"] = "0123456789abcdef0123456789abcdef01234567"
    manifest.write_text(json.dumps(data))
    unknown = project.pv("evidence", "verify", "--format", "json")
    assert unknown.returncode == 1
    assert "PV-EVID-006" in unknown.stdout and "0123456789ab does not exist" in unknown.stdout
    lint = project.pv("lint")
    assert "PV-EVID-006" in lint.stdout and "evidence ....... FAIL" in lint.stdout


def test_failing_command_is_recorded_and_exit_1(project: Project) -> None:
    setup(project)
    rec = project.pv_subprocess("evidence", "record", "--name", "crash", "--falsifier", "FALSIFY-DEMO-003", "-q", "--",
                     sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(4)")
    assert rec.returncode == 1
    assert "FAILED RUN" in rec.stderr and "exit 4" in rec.stderr
    data = json.loads((project.root / "evidence/crash/manifest.json").read_text())
    assert data["exit_code"] == 4
    assert (project.root / "evidence/crash/stderr.txt").read_text() == "boom\n"


def test_status_markdown_and_verbose(project: Project) -> None:
    setup(project, product=7)
    project.pv("run")
    md = project.pv("status", "--format", "markdown", "-v")
    assert "| `demo` | **FUNCTIONAL (overclaims)** | PARTIAL_ALGORITHM_LEVEL | 3 | 2 | 1 | 1 | 0/0 |" in md.stdout
    assert "| FALSIFY-DEMO-002 | yes | failed |" in md.stdout
    text = project.pv("status", "-v", "--color", "never")
    assert "demo: not FUNCTIONAL because:" in text.stdout
    assert "FALSIFY-DEMO-003" in text.stdout and "pending" in text.stdout


def test_nothing_to_check_exits_2(project: Project) -> None:
    project.write("tests/test_x.py", "def test_x():\n    assert 1\n")
    project.write("contracts/.keep", "")
    for args in (("status",), ("run",), ("report", "--html", "out.html"), ("evidence", "verify")):
        proc = project.pv_subprocess(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_corrupt_ledger_is_one_line_exit_2(project: Project) -> None:
    setup(project)
    (project.root / ".pv").mkdir()
    (project.root / ".pv/results.json").write_text("{broken")
    proc = project.pv_subprocess("status")
    assert proc.returncode == 2
    assert "cannot read the results ledger" in proc.stderr and "Traceback" not in proc.stderr


def test_evidence_gate_places_refutations_at_the_citing_falsifier(project: Project) -> None:
    setup(project)
    skip = project.pv("lint")
    assert "evidence ....... SKIP (no falsifier cites an existing LIVE: evidence/<pack>)" in skip.stdout
    rec = project.pv("evidence", "record", "--name", "bad-run", "--falsifier", "FALSIFY-DEMO-003", "-q", "--",
                     sys.executable, "-c", "print('{\"val_loss\": 10.25}')")
    assert rec.returncode == 0
    live = sealed_reference(project.root, "evidence/bad-run")
    contract = CONTRACT.format(status="PARTIAL_ALGORITHM_LEVEL", live=live).replace(
        "    test: tests/test_demo.py::test_multiplies", f'    test: "{live}"')
    project.write("contracts/demo.yaml", contract)
    project.commit()
    lint = project.pv("lint")
    assert "evidence ....... FAIL (2 LIVE reference(s) to 1 pack(s); 0 discharged)" in lint.stdout, lint.stdout
    assert ("contracts/demo.yaml:13:5: PV-EVID-012 FALSIFY-DEMO-002 cites evidence/bad-run, which was not "
            "recorded for it (it lists FALSIFY-DEMO-003)") in lint.stdout
    assert ("contracts/demo.yaml:17:5: PV-EVID-008 evidence/bad-run: FALSIFY-DEMO-003: val_loss = 10.25: "
            "`val_loss < 9.38` does not hold") in lint.stdout


def test_status_gate_without_ledger_counts_unmeasured_claims_as_unverified(project: Project) -> None:
    # A fresh clone: nothing recorded. FUNCTIONAL rests only on "passed in a recorded run",
    # which cannot be measured here, so the gate names the claim unverified instead of failing it...
    setup(project)
    assert not (project.root / ".pv/results.json").exists()
    lint = project.pv("lint")
    assert "1 unverified: no results ledger at .pv/results.json" in lint.stdout, lint.stdout
    assert "Gate 8: status ......... SKIP" in lint.stdout  # it verified nothing: never a PASS
    assert "PV-STAT-001" not in lint.stdout
    # ...while a structural overclaim (a bound test that does not exist) is still an error.
    project.write("tests/test_demo.py", TESTS.format(product=6).replace("def test_multiplies", "def test_times"))
    lint = project.pv("lint")
    assert lint.returncode == 1
    assert "PV-STAT-001 declared FUNCTIONAL but computed DRAFT" in lint.stdout
    # Once a run is recorded, the same claim is checked for real.
    project.write("tests/test_demo.py", TESTS.format(product=7))
    project.pv("run")
    lint = project.pv("lint")
    assert "PV-STAT-001 declared FUNCTIONAL but computed PARTIAL_ALGORITHM_LEVEL" in lint.stdout


def test_a_parametrized_binding_needs_every_case_recorded(project: Project) -> None:
    # The contract cites the function; a run that recorded only the passing case must not
    # make it FUNCTIONAL (each statically known case needs its own passing result).
    setup(project)
    project.write("tests/test_demo.py", TESTS.format(product=6).replace(
        "def test_multiplies():\n    assert 2 * 3 == 6",
        "import pytest\n\n\n@pytest.mark.parametrize('n', [1, 2])\ndef test_multiplies(n):\n    assert n * 3 == 3"))
    project.commit()
    partial = project.pytest("tests/test_demo.py::test_adds", "tests/test_demo.py::test_multiplies[1]", "--pv-record")
    assert partial.returncode == 0, partial.stdout + partial.stderr
    code, c = status_json(project)
    assert code == 1 and c["computed"] == "PARTIAL_ALGORITHM_LEVEL", c
    assert any("tests/test_demo.py::test_multiplies[2]" in w and "never run" in w for w in c["why_not_higher"]), c
    project.pv("run")  # the full bound set: case [2] runs and fails
    code, c = status_json(project)
    assert code == 1 and any("test_multiplies[2]" in w and "failed" in w for w in c["why_not_higher"]), c


def test_pv_run_leaves_out_a_broken_reference_and_records_the_rest(project: Project) -> None:
    setup(project)
    project.write("contracts/demo.yaml", CONTRACT.format(status="PARTIAL_ALGORITHM_LEVEL", live=PENDING).replace(
        "test: tests/test_demo.py::test_multiplies", "test: tests/test_demo.py::test_multiplies[x]"))
    project.commit()
    proc = project.pv_subprocess("run", "--pytest-args=-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ledger = json.loads((project.root / ".pv/results.json").read_text())["results"]
    assert sorted(ledger) == ["tests/test_demo.py::test_adds"]
