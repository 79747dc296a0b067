"""pv coverage / pv audit / pv scaffold on a small project with every kind of binding."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import load, pv
from pv.analysis.coverage import (
    EVIDENCE,
    NONE,
    PENDING,
    SCAFFOLD,
    SHELL,
    TEST,
    audit_diagnostics,
    coverage_report,
    totals,
)
from pv.analysis.scaffold import (
    ScaffoldTarget,
    is_scaffold_body,
    render_scaffold,
    scaffold_functions,
    scaffold_test_name,
)
from pv.cli import main

CONTRACT = """\
metadata:
  version: '1.0.0'
  description: coverage fixture
equations:
  clamp:
    formula: y = min(max(x, lo), hi)
proof_obligations:
- type: bound
  property: 'range: output within [lo, hi]'
- type: invariant
  id: OB-IDEMPOTENT
  property: clamp(clamp(x)) == clamp(x)
- type: soundness
  property: 'nan_policy: NaN in, NaN out'
falsification_tests:
- id: FALSIFY-CL-001
  rule: range
  prediction: every output lies in [lo, hi]
  test: tests/test_clamp.py::test_range
  obligations: [range]
- id: FALSIFY-CL-002
  rule: idempotent
  prediction: clamping twice changes nothing
  test: 'LIVE-PENDING: needs the fuzz corpus'
  obligations: [OB-IDEMPOTENT]
- id: FALSIFY-CL-003
  rule: live
  prediction: the production run stays in range
  test: 'LIVE: evidence/clamp-run'
- id: FALSIFY-CL-004
  rule: shell
  prediction: grep finds no unclamped call
  test: 'shell: grep -r unclamped src'
- id: FALSIFY-CL-005
  rule: none
  prediction: nothing cites a test yet
- id: FALSIFY-CL-006
  rule: scaffolded
  prediction: scaffold is not a test
  test: tests/test_clamp.py::test_falsify_cl_006
kani_harnesses:
- id: KH-CL-001
  obligation: nan_policy
  bound: 4
"""

TESTS = '''\
import pytest


def test_range():
    assert min(max(5, 0), 3) == 3


@pytest.mark.falsifies("FALSIFY-CL-006")
def test_falsify_cl_006() -> None:
    # edited comment: still a scaffold
    pytest.fail("not written: FALSIFY-CL-006")
'''


@pytest.fixture
def project(write, tmp_path: Path) -> Path:
    write("pyproject.toml", "[tool.pv]\ncontracts = ['contracts']\n")
    write("contracts/clamp-v1.yaml", CONTRACT)
    write("tests/test_clamp.py", TESTS)
    return tmp_path


def test_kinds_obligations_and_totals(project: Path):
    (cov,) = coverage_report(load([project / "contracts"], project), project)
    assert [(f.id, f.kind) for f in cov.falsifiers] == [
        ("FALSIFY-CL-001", TEST), ("FALSIFY-CL-002", PENDING), ("FALSIFY-CL-003", EVIDENCE),
        ("FALSIFY-CL-004", SHELL), ("FALSIFY-CL-005", NONE), ("FALSIFY-CL-006", SCAFFOLD)]
    assert [(o.key, o.falsifiers, o.kani) for o in cov.obligations] == [
        ("range", ("FALSIFY-CL-001",), ()),
        ("OB-IDEMPOTENT", ("FALSIFY-CL-002",), ()),
        ("nan_policy", (), ("KH-CL-001",)),
    ]
    t = totals([cov])
    assert (t["falsifiers"], t["with_test"], t["with_evidence"], t["falsifier_coverage"]) == (6, 1, 1, 33.3)
    assert (t["obligations"], t["obligations_with_falsifier"], t["obligation_coverage"]) == (3, 2, 66.7)


def test_audit_findings(project: Path):
    diags = audit_diagnostics(coverage_report(load([project / "contracts"], project), project))
    assert [(d.code, d.line, d.data.get("falsifier") or d.data.get("obligation")) for d in diags] == [
        ("PV-COV-001", 13, "nan_policy"),
        ("PV-COV-002", 21, "FALSIFY-CL-002"),
        ("PV-COV-002", 30, "FALSIFY-CL-004"),
        ("PV-COV-002", 34, "FALSIFY-CL-005"),
        ("PV-COV-002", 37, "FALSIFY-CL-006"),
    ]
    assert "its test is an unwritten pv scaffold" in diags[-1].message


def test_dangling_obligation_name_is_an_error(write, tmp_path: Path):
    path = write("d-v1.yaml", CONTRACT.replace("obligations: [range]", "obligations: [rnage]"))
    diags = audit_diagnostics(coverage_report(load([path], tmp_path), tmp_path))
    dangling = [d for d in diags if d.code == "PV-COV-005"]
    assert [(d.line, d.severity.label, d.data["obligation"]) for d in dangling] == [(20, "error", "rnage")]
    assert "FALSIFY-CL-001 lists obligation 'rnage', which this contract does not have" in dangling[0].message


def test_nothing_measured_is_not_full_coverage(write, tmp_path: Path):
    path = write("empty-v1.yaml", "metadata:\n  version: '1.0.0'\n  description: nothing\n")
    (cov,) = coverage_report(load([path], tmp_path), tmp_path)
    assert cov.as_json()["falsifier_coverage"] is None and cov.as_json()["obligation_coverage"] is None
    assert [d.code for d in audit_diagnostics([cov])] == ["PV-COV-003"]
    proc = pv("coverage", "empty-v1.yaml", cwd=tmp_path)  # measured nothing: never exit 0
    assert proc.returncode == 2 and "nothing measured" in proc.stderr, proc.stderr


def test_cli_coverage_and_audit(project: Path, monkeypatch, capsys):
    proc = pv("coverage", "--min-coverage", "50", cwd=project)  # the real CLI, as CI runs it
    assert proc.returncode == 1 and "33.3% is below --min-coverage 50%" in proc.stderr
    assert "clamp-v1" in proc.stdout and "33.3%" in proc.stdout
    monkeypatch.chdir(project)  # the remaining cases in-process (same entry point, faster)
    assert main(["coverage", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["falsifier_coverage"] == 33.3
    assert main(["audit"]) == 0
    assert capsys.readouterr().out.count("PV-COV-") == 5
    assert main(["audit", "--strict"]) == 1
    assert main(["audit", "missing-dir"]) == 2
    assert "no contract to audit" in capsys.readouterr().err


def test_scaffold_writes_failing_marked_tests_that_never_count(project: Path, monkeypatch):
    out = project / "tests" / "test_clamp_scaffold.py"
    proc = pv("scaffold", "contracts/clamp-v1.yaml", "-o", str(out), cwd=project)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    tree = ast.parse(text)
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    # pending, shell-only and unbound falsifiers get one; test, evidence and the existing scaffold do not
    assert sorted(funcs) == ["test_falsify_cl_002", "test_falsify_cl_004", "test_falsify_cl_005"]
    assert all(is_scaffold_body(f) for f in funcs.values())
    assert '@pytest.mark.falsifies(\'FALSIFY-CL-002\')' in text
    assert "tests/test_clamp_scaffold.py::test_falsify_cl_002" in proc.stderr
    # each skeleton really fails when run, with the falsifier in the message
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out),
                          "-W", "ignore::pytest.PytestUnknownMarkWarning"], cwd=project,
                         capture_output=True, text=True, timeout=120, check=False,
                         env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})  # startup time only
    assert run.returncode == 1, run.stdout
    assert "3 failed" in run.stdout and "Failed: not written: FALSIFY-CL-005" in run.stdout
    # re-running appends nothing new; binding a falsifier to its scaffold still does not count
    monkeypatch.chdir(project)
    assert main(["scaffold", "contracts/clamp-v1.yaml", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == text
    assert scaffold_functions(text) == set(funcs)


def test_scaffold_body_detection_is_exact():
    def func(src: str) -> ast.FunctionDef:
        return ast.parse(src).body[0]

    assert is_scaffold_body(func('def t():\n    """doc"""\n    pytest.fail("not written: F-1")\n'))
    assert not is_scaffold_body(func('def t():\n    pytest.fail("not written: F-1")\n    assert x\n'))
    assert not is_scaffold_body(func('def t():\n    pytest.fail("unexpected state")\n'))
    assert not is_scaffold_body(func('def t():\n    assert compute() == 3\n'))


def test_scaffold_names_and_rendering():
    assert scaffold_test_name("FALSIFY-APR-PRETRAIN-INIT-006") == "test_falsify_apr_pretrain_init_006"
    text = render_scaffold([ScaffoldTarget("GATE-X-001", "p", "c.yaml", 3)], "c.yaml", existing_names={"x"})
    compile(text, "scaffold.py", "exec")
    assert "pytest.fail('not written: GATE-X-001')" in text


def test_lint_refuses_a_falsifier_bound_only_to_its_scaffold(project: Path):
    # FALSIFY-CL-006 cites a scaffold: it always fails, but an unwritten test is never a binding.
    proc = pv("lint", "--strict-test-binding", "--format", "json", cwd=project)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    findings = [f for f in json.loads(proc.stdout)["diagnostics"] if f["code"] == "PV-BIND-017"]
    assert len(findings) == 1, findings
    assert "FALSIFY-CL-006" in findings[0]["message"]
    assert "unwritten `pv scaffold` skeleton" in findings[0]["message"]
    line = CONTRACT.splitlines().index("  test: tests/test_clamp.py::test_falsify_cl_006") + 1
    assert findings[0]["line"] == line


def test_scaffold_refuses_an_unparsable_output_file_and_never_duplicates(project: Path):
    out = project / "tests" / "test_broken.py"
    out.write_text("def broken(:\n", encoding="utf-8")
    proc = pv("scaffold", "contracts/clamp-v1.yaml", "-o", str(out), cwd=project)
    assert proc.returncode == 2 and "does not parse" in proc.stderr, proc.stderr
    assert out.read_text(encoding="utf-8") == "def broken(:\n"  # nothing appended
    missing_dir = pv("scaffold", "contracts/clamp-v1.yaml", "-o", str(project / "nope" / "t.py"), cwd=project)
    assert missing_dir.returncode == 2 and "is not a directory" in missing_dir.stderr
    assert not (project / "nope").exists()
    good = project / "tests" / "test_scaf.py"
    assert pv("scaffold", "contracts/clamp-v1.yaml", "-o", str(good), cwd=project).returncode == 0
    again = pv("scaffold", "contracts/clamp-v1.yaml", "-o", str(good), cwd=project)
    assert again.returncode == 0 and "already holds a skeleton" in again.stderr
    assert good.read_text(encoding="utf-8").count("def test_falsify_cl_002") == 1
