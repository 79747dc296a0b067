"""pv lint end to end: exit codes, formats, --strict, config severity and suppressions, baseline, run cache."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pvlint_helpers import provable, pv_subprocess, write_project

GOOD_TEST = "def test_ok():\n    assert 1 + 1 == 2\n\n\ndef test_other():\n    assert [1] != [2]\n"


def _project(root: Path, refs: list[tuple[str, str]], pyproject_extra: str = "") -> Path:
    pyproject = ('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n\n[tool.pv]\ncontracts = ["contracts"]\n'
                 + pyproject_extra)
    return write_project(root, {"tests/test_a.py": GOOD_TEST}, {"contracts/c.yaml": provable(refs)}, pyproject)


def test_clean_project_passes(tmp_path: Path, run_lint) -> None:
    root = _project(tmp_path / "p", [("FALSIFY-A-001", "tests/test_a.py::test_ok")])
    result = run_lint(root, "--strict-test-binding", "--color", "never")
    assert result.code == 0, result.out
    assert "Gate 1: schema" in result.out and "Gate 3: test-binding" in result.out
    assert "Result: PASS (" in result.out.splitlines()[-1]


def test_dangling_reference_fails_with_exit_1(tmp_path: Path, run_lint) -> None:
    root = _project(tmp_path / "p", [("FALSIFY-A-001", "tests/test_a.py::test_gone")])
    result = run_lint(root, "--color", "never")
    assert result.code == 1
    assert "contracts/c.yaml:12:12: PV-BIND-004" in result.out
    assert result.out.splitlines()[-1].startswith("Result: FAIL (")


def test_no_contract_exits_2(tmp_path: Path, run_lint) -> None:
    root = write_project(tmp_path / "p", {"tests/test_a.py": GOOD_TEST}, {})
    (root / "contracts").mkdir()
    result = run_lint(root, "--color", "never")
    assert result.code == 2
    assert "nothing was measured" in result.err


def test_strict_test_binding_with_no_test_reference_exits_2(tmp_path: Path, run_lint) -> None:
    root = _project(tmp_path / "p", [("FALSIFY-A-001", "LIVE-PENDING: needs a GPU run")])
    assert run_lint(root, "--color", "never").code == 0
    strict = run_lint(root, "--strict-test-binding", "--color", "never")
    assert strict.code == 2
    assert "test-binding ... FAIL (measured nothing" in strict.out
    assert "PV-BIND-032" in strict.out


def test_strict_turns_warnings_into_errors(tmp_path: Path, run_lint) -> None:
    root = _project(tmp_path / "p", [("FALSIFY-A-001", "tests/test_a.py::test_ok")])
    text = (root / "contracts" / "c.yaml").read_text(encoding="utf-8")
    text += "  - id: FALSIFY-A-002\n    rule: r\n    prediction: p\n"  # no reference: a warning
    (root / "contracts" / "c.yaml").write_text(text, encoding="utf-8")
    lenient = run_lint(root, "--color", "never")
    assert lenient.code == 0 and "PV-BIND-027" in lenient.out and "[warning]" in lenient.out
    assert run_lint(root, "--strict", "--color", "never").code == 1
    assert run_lint(root, "--strict-test-binding", "--color", "never").code == 1


def test_output_formats(tmp_path: Path, run_lint) -> None:
    root = _project(tmp_path / "p", [("FALSIFY-A-001", "tests/test_a.py::test_gone"),
                                     ("FALSIFY-A-002", "tests/test_a.py::test_ok")])
    doc = json.loads(run_lint(root, "--format", "json").out)
    assert doc["command"] == "lint" and doc["summary"]["exit_code"] == 1
    assert [g["name"] for g in doc["summary"]["gates"]][:4] == ["schema", "references", "test-binding", "markers"]
    assert doc["summary"]["result"].startswith("Result: FAIL")
    (finding,) = [d for d in doc["diagnostics"] if d["code"].startswith("PV-BIND")]
    assert (finding["line"], finding["col"], finding["data"]["falsifier"]) == (12, 12, "FALSIFY-A-001")

    github = run_lint(root, "--format", "github").out
    assert "::error file=contracts/c.yaml,line=12,col=12,title=PV-BIND-004::PV-BIND-004" in github

    sarif = json.loads(run_lint(root, "--format", "sarif").out)
    assert sarif["version"] == "2.1.0"
    assert any(r["ruleId"] == "PV-BIND-004" for r in sarif["runs"][0]["results"])

    junit = ET.fromstring(run_lint(root, "--format", "junit").out)
    assert junit.tag == "testsuites" and junit.get("failures") == "1"
    suite = next(s for s in junit.iter("testsuite") if s.get("name") == "test-binding")
    failure = suite.find("testcase/failure")
    assert failure is not None and failure.get("type") == "PV-BIND-004"


def test_config_severity_and_suppressions(tmp_path: Path, run_lint) -> None:
    refs = [("FALSIFY-A-001", "tests/test_a.py::test_gone"), ("FALSIFY-A-002", "prose reference")]
    downgraded = _project(tmp_path / "sev", refs,
                          '\n[tool.pv.severity]\n"PV-BIND-004" = "warning"\n"PV-BIND-001" = "warning"\n')
    result = run_lint(downgraded, "--format", "json")
    assert result.code == 0
    assert {d["severity"] for d in json.loads(result.out)["diagnostics"] if d["code"].startswith("PV-BIND")} == {
        "warning"}

    suppressed = _project(tmp_path / "sup", refs, (
        '\n[[tool.pv.suppress]]\nrule = "PV-BIND-001"\nreason = "legacy prose, rewritten in 2.0"\n'
        '\n[[tool.pv.suppress]]\nfile = "contracts/*.yaml"\nreason = "whole directory under migration"\n'
        '\n[[tool.pv.suppress]]\nrule = "PV-BIND-006"\nreason = "no longer needed"\n'))
    result = run_lint(suppressed, "--color", "never")
    assert result.code == 0, result.out
    assert "PV-BIND-004" not in result.out and "PV-BIND-001" not in result.out
    assert "2 finding(s) suppressed" in result.out
    # The third suppression matches nothing: a stale suppression is itself a warning, at its line.
    assert "pyproject.toml:16:8: PV-LINT-001 suppression 'PV-BIND-006' (no longer needed) matches no finding" in (
        result.out)


def test_fingerprint_suppression(tmp_path: Path, run_lint) -> None:
    root = _project(tmp_path / "p", [("FALSIFY-A-001", "tests/test_a.py::test_gone")])
    fingerprint = json.loads(run_lint(root, "--format", "json").out)["diagnostics"][0]["fingerprint"]
    with (root / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(f'\n[[tool.pv.suppress]]\nfingerprint = "{fingerprint}"\nreason = "tracked in #12"\n')
    assert run_lint(root, "--color", "never").code == 0


def test_baseline_only_shrinks(tmp_path: Path, run_lint) -> None:
    root = _project(tmp_path / "p", [("FALSIFY-A-001", "tests/test_a.py::test_gone"),
                                     ("FALSIFY-A-002", "tests/test_a.py::test_ok")])
    baseline = root / "pv-baseline.json"
    assert run_lint(root, "--baseline", str(baseline), "--update-baseline").code == 0  # created (adoption)
    assert len(json.loads(baseline.read_text(encoding="utf-8"))["findings"]) == 1
    known = run_lint(root, "--baseline", str(baseline), "--color", "never")
    assert known.code == 0 and "1 finding(s) in baseline" in known.out

    contract = root / "contracts" / "c.yaml"
    contract.write_text(contract.read_text(encoding="utf-8").replace("test_ok", "test_also_gone"), encoding="utf-8")
    assert run_lint(root, "--baseline", str(baseline), "--color", "never").code == 1  # a new finding fails
    grow = run_lint(root, "--baseline", str(baseline), "--update-baseline")
    assert grow.code == 2 and "refusing to grow the baseline" in grow.err
    assert run_lint(root, "--baseline", str(baseline), "--update-baseline", "--force").code == 0
    assert len(json.loads(baseline.read_text(encoding="utf-8"))["findings"]) == 2

    contract.write_text(contract.read_text(encoding="utf-8").replace("test_also_gone", "test_ok")
                        .replace("test_gone", "test_other"), encoding="utf-8")
    assert run_lint(root, "--baseline", str(baseline), "--update-baseline").code == 0  # shrinking is allowed
    assert json.loads(baseline.read_text(encoding="utf-8"))["findings"] == []


def test_bad_baseline_and_flag_misuse_exit_2(tmp_path: Path, run_lint) -> None:
    root = _project(tmp_path / "p", [("FALSIFY-A-001", "tests/test_a.py::test_ok")])
    (root / "bad.json").write_text("[]", encoding="utf-8")
    assert run_lint(root, "--baseline", "bad.json").code == 2
    assert run_lint(root, "--baseline", "missing.json").code == 2
    assert run_lint(root, "--update-baseline").code == 2
    assert run_lint(root, "--force").code == 2


def test_run_cache_replays_and_invalidates_on_any_input_change(tmp_path: Path, run_lint) -> None:
    root = _project(tmp_path / "p", [("FALSIFY-A-001", "tests/test_a.py::test_ok"),
                                     ("FALSIFY-A-002", "LIVE: evidence/run-1")])
    first = run_lint(root, "--color", "never")
    assert first.code == 1 and "PV-BIND-015" in first.out
    assert (root / ".pv" / "cache" / "lint-runs.json").is_file()
    assert run_lint(root, "--color", "never").out == first.out  # replayed
    (root / "evidence" / "run-1").mkdir(parents=True)  # a probed path appears: not replayed
    assert "PV-BIND-015" not in run_lint(root, "--color", "never").out
    (root / "tests" / "test_a.py").write_text(GOOD_TEST.replace("test_ok", "test_renamed"), encoding="utf-8")
    renamed = run_lint(root, "--color", "never")  # a test file changed: not replayed
    assert renamed.code == 1 and "has no test 'test_ok'" in renamed.out
    import shutil

    shutil.rmtree(root / ".pv")  # safe to delete
    assert _no_ms(run_lint(root, "--color", "never").out) == _no_ms(renamed.out)


def _no_ms(text: str) -> str:
    return re.sub(r"\[\d+ ms\]", "", text)


def test_ambiguous_bare_names_policy(tmp_path: Path, run_lint) -> None:
    tests = {"tests/test_a.py": GOOD_TEST, "tests/test_b.py": GOOD_TEST}
    contracts = {"contracts/c.yaml": provable([("FALSIFY-A-001", "test_ok")])}
    root = write_project(tmp_path / "p", tests, contracts)
    assert run_lint(root, "--color", "never").code == 1
    with (root / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write('ambiguous_bare_names = "warning"\n')
    relaxed = run_lint(root, "--color", "never")
    assert relaxed.code == 0 and "PV-BIND-010" in relaxed.out and "[warning]" in relaxed.out


def test_single_file_lints_that_file_only(tmp_path: Path, run_lint) -> None:
    root = _project(tmp_path / "p", [("FALSIFY-A-001", "tests/test_a.py::test_ok")])
    (root / "contracts" / "broken.yaml").write_text(provable([("FALSIFY-B-001", "tests/test_a.py::nope")]),
                                                    encoding="utf-8")
    assert run_lint(root, "contracts/c.yaml", "--strict-test-binding", "--color", "never").code == 0
    assert run_lint(root, "--strict-test-binding", "--color", "never").code == 1


@pytest.mark.parametrize("args", [["lint", "--strict-test-binding"], ["lint", "--strict-test-binding", "--no-cache"]])
def test_real_subprocess(tmp_path: Path, args: list[str]) -> None:
    root = _project(tmp_path / "p", [("FALSIFY-A-001", "tests/test_a.py::test_ok")])
    ok = pv_subprocess(root, *args)
    assert ok.code == 0, ok.out + ok.err
    assert "Result: PASS" in ok.out
    (root / "tests" / "test_a.py").write_text("def test_renamed():\n    assert 1 == 1\n", encoding="utf-8")
    bad = pv_subprocess(root, *args)
    assert bad.code == 1 and "PV-BIND-004" in bad.out and "Traceback" not in bad.err


def test_run_cache_key_covers_evidence_ledger_and_git_head(tmp_path: Path) -> None:
    import argparse
    import subprocess

    from pv.config import load_config
    from pv.lint.runcache import RunCache

    root = _project(tmp_path / "p", [("FALSIFY-A-001", "tests/test_a.py::test_ok")])
    args = argparse.Namespace(no_cache=False, base=None, collect=False, update_baseline=False, format="json", color="never",
                              paths=[], strict=False, strict_test_binding=True, quiet=False, baseline=None)
    config = load_config(root)
    paths = [str(root / "contracts")]

    def key() -> str:
        cache = RunCache.for_args(args, config, paths)
        assert cache is not None
        return cache.inputs_key()

    base = key()
    assert key() == base  # stable
    (root / ".pv" / "cache").mkdir(parents=True)
    (root / ".pv" / "cache" / "junk.json").write_text("{}", encoding="utf-8")
    assert key() == base  # pv's own cache is not an input
    (root / ".pv" / "results.json").write_text('{"runs": []}', encoding="utf-8")
    with_ledger = key()
    assert with_ledger != base
    (root / "evidence" / "pack").mkdir(parents=True)
    (root / "evidence" / "pack" / "manifest.json").write_text('{"a": 1}', encoding="utf-8")
    with_pack = key()
    assert with_pack != with_ledger
    (root / "evidence" / "pack" / "manifest.json").write_text('{"a": 2}', encoding="utf-8")  # same size
    assert key() != with_pack
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e",
           "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "one"], cwd=root, check=True, env=env)
    one = key()
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "two"], cwd=root, check=True, env=env)
    assert key() != one  # a new HEAD (gates compare against it)


def test_paths_are_exact_and_stay_inside_the_root(tmp_path: Path, run_lint) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "test_escape.py").write_text("def test_x():\n    assert 1 == 1\n", encoding="utf-8")
    root = _project(tmp_path / "p", [
        ("FALSIFY-A-001", "./tests/test_a.py::test_ok"),
        ("FALSIFY-A-002", "/etc/test_x.py::test_x"),
        ("FALSIFY-A-003", "tests/link/test_escape.py::test_x"),
        ("FALSIFY-A-004", "pv validate ../elsewhere"),
    ])
    (root / "tests" / "link").symlink_to(outside, target_is_directory=True)
    doc = json.loads(run_lint(root, "--format", "json").out)
    codes = {d["data"]["falsifier"]: d["code"] for d in doc["diagnostics"] if d["code"].startswith("PV-BIND")}
    assert codes == {"FALSIFY-A-001": "PV-BIND-020", "FALSIFY-A-002": "PV-BIND-016",
                     "FALSIFY-A-003": "PV-BIND-016", "FALSIFY-A-004": "PV-BIND-016"}
    hint = next(d["hint"] for d in doc["diagnostics"] if d["code"] == "PV-BIND-020")
    assert hint == "write 'tests/test_a.py::test_ok'"


def test_broken_pytest_config_is_one_line_and_exit_2(tmp_path: Path, run_lint) -> None:
    root = _project(tmp_path / "p", [("FALSIFY-A-001", "tests/test_a.py::test_ok")])
    (root / "pytest.ini").write_text("[pytest\ntestpaths = tests\n", encoding="utf-8")
    result = run_lint(root, "--no-cache")
    assert result.code == 2
    assert result.err.count("\n") == 1 and "pytest.ini: cannot read pytest settings" in result.err
    assert "Traceback" not in result.err
