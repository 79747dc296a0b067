"""`pv validate` and `pv schema` through a real subprocess: exit codes, formats, bad input, no tracebacks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pv_validate_helpers import GATE, PROVABLE, REPO, SEED_DIR, run_pv


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname='demo'\n[tool.pv]\ncontracts=['contracts']\n")
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "clamp.yaml").write_text(PROVABLE)
    (tmp_path / "contracts" / "gate.yaml").write_text(GATE)
    return tmp_path


def no_traceback(proc) -> None:  # type: ignore[no-untyped-def]
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout


def test_valid_contracts_exit_0_with_a_summary(project: Path) -> None:
    proc = run_pv("validate", cwd=project)  # default paths: [tool.pv] contracts
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == "pv validate: OK: 2 files checked, 0 errors, 0 warnings\n"


def test_findings_exit_1_with_file_line_col(project: Path) -> None:
    (project / "contracts" / "bad.yaml").write_text(PROVABLE.replace("if_fails:", "if_fail:"))
    proc = run_pv("validate", "contracts", cwd=project)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert "contracts/bad.yaml:20:5: PV-SCH-001 unknown key 'if_fail' in falsification_tests[0] " \
           "(did you mean 'if_fails'?) [error]" in lines
    assert lines[-1].startswith("pv validate: FAIL: 3 files checked, ")
    no_traceback(proc)


def test_warnings_alone_exit_0(project: Path) -> None:
    (project / "contracts" / "gate.yaml").write_text(GATE.replace(
        "    ship_blocking: true", "    ship_blocking: true\n    falsification_id: FALSIFY-NOWHERE"))
    proc = run_pv("validate", cwd=project)
    assert proc.returncode == 0 and "PV-REF-004" in proc.stdout and "1 warning" in proc.stdout


@pytest.mark.parametrize("args", [["missing.yaml"], ["contracts", "missing.yaml"], ["nothing*.yaml"], ["empty"]])
def test_nothing_checked_or_missing_path_exits_2(project: Path, args: list[str]) -> None:
    (project / "empty").mkdir()
    proc = run_pv("validate", *args, cwd=project)
    assert proc.returncode == 2, proc.stdout
    assert any(c in proc.stdout for c in ("PV-YAML-011", "PV-YAML-013"))
    no_traceback(proc)


def test_usage_errors_exit_2(project: Path) -> None:
    proc = run_pv("validate", "--format", "xml", cwd=project)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    proc = run_pv("validate", "--max-file-bytes", "-5", cwd=project)
    assert proc.returncode == 2


def test_bad_config_exits_2_with_one_line(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.pv]\ncontract = ['x']\n")
    proc = run_pv("validate", cwd=project)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "unknown key(s) contract" in proc.stderr


def _bomb() -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for n in "bcdefgh":
        text += f"{n}: &{n} [" + ",".join(["*" + prev] * 9) + "]\n"
        prev = n
    return text


@pytest.mark.parametrize(("name", "content", "code"), [
    ("latin1.yaml", b"metadata:\n  description: caf\xe9\n", "PV-YAML-004"),
    ("blob.yaml", bytes(range(256)), "PV-YAML-005"),
    ("empty.yaml", b"", "PV-YAML-002"),
    ("bomb.yaml", _bomb().encode(), "PV-YAML-007"),
    ("evil.yaml", b"a: !!python/object/apply:os.system ['echo pwned']\n", "PV-YAML-008"),
    ("syntax.yaml", b"a: [1, 2\n", "PV-YAML-001"),
    ("dup.yaml", b"metadata: {version: '1.0.0'}\nmetadata: {version: '1.0.0'}\n", "PV-YAML-003"),
])
def test_bad_input_is_one_clear_finding(tmp_path: Path, name: str, content: bytes, code: str) -> None:
    (tmp_path / name).write_bytes(content)
    proc = run_pv("validate", name, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith(f"{name}:") and f" {code} " in first
    assert "pwned" not in proc.stdout
    no_traceback(proc)


def test_size_cap_flag_and_config(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(PROVABLE)
    size = len(PROVABLE.encode())
    proc = run_pv("validate", "--max-file-bytes", str(size - 1), "c.yaml", cwd=tmp_path)
    assert proc.returncode == 1 and "PV-YAML-006" in proc.stdout
    assert run_pv("validate", "--max-file-bytes", str(size), "c.yaml", cwd=tmp_path).returncode == 0
    (tmp_path / "pyproject.toml").write_text(f"[tool.pv]\nmax_file_bytes = {size - 1}\n")
    assert "PV-YAML-006" in run_pv("validate", "c.yaml", cwd=tmp_path).stdout


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop_in_a_directory(project: Path) -> None:
    os.symlink(project / "contracts", project / "contracts" / "loop")
    proc = run_pv("validate", "contracts", cwd=project)
    assert proc.returncode == 1 and "PV-YAML-012" in proc.stdout and "symlink loop" in proc.stdout
    no_traceback(proc)


def test_json_format_over_the_seeds() -> None:
    proc = run_pv("validate", "--format", "json", str(SEED_DIR.relative_to(REPO)))
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["schema_version"] == 1 and doc["summary"]["files_checked"] == 7
    assert doc["summary"]["errors"] == 5 and doc["summary"]["warnings"] == 10
    assert doc["diagnostics"][0]["path"] == "tests/fixtures/seed/llama-370m-sovereign-v1.yaml"


def test_github_and_sarif_formats(project: Path) -> None:
    (project / "contracts" / "bad.yaml").write_text("metadata: {version: '1.0'}\n")
    gh = run_pv("validate", "-f", "github", cwd=project)
    assert gh.returncode == 1
    assert "::error file=contracts/bad.yaml,line=1,col=21,title=PV-SEM-001::PV-SEM-001: version '1.0' is not semver" \
        in gh.stdout
    sarif = run_pv("validate", "-f", "sarif", cwd=project)
    doc = json.loads(sarif.stdout)
    assert doc["version"] == "2.1.0" and doc["runs"][0]["results"][0]["ruleId"] == "PV-SEM-001"


def test_suppression_from_config(project: Path) -> None:
    (project / "contracts" / "bad.yaml").write_text("metadata: {version: '1.0'}\n")
    (project / "pyproject.toml").write_text(
        "[tool.pv]\nsuppress = [{rule = 'PV-SEM-001', reason = 'legacy registry'}]\n")
    proc = run_pv("validate", "contracts", cwd=project)
    assert proc.returncode == 0 and "1 suppressed" in proc.stdout


def test_pv_schema_prints_the_committed_file() -> None:
    proc = run_pv("schema")
    assert proc.returncode == 0
    assert proc.stdout == (REPO / "src/pv/schema/contract.schema.json").read_text(encoding="utf-8")
    check = run_pv("schema", "--check")
    assert check.returncode == 0 and "up to date" in check.stdout


def test_pv_schema_check_detects_a_stale_copy(tmp_path: Path) -> None:
    stale = tmp_path / "s.json"
    stale.write_text("{}\n")
    proc = run_pv("schema", "--check", str(stale))
    assert proc.returncode == 1 and "out of date" in proc.stderr


def test_text_is_colored_on_a_terminal(project: Path) -> None:
    """Through a real pseudo-terminal: rich colors the lines; piped output (above) stays plain."""
    import pty
    import subprocess
    import sys

    (project / "contracts" / "bad.yaml").write_text("metadata: {version: '1.0'}\n")
    main, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")} | {"TERM": "xterm-256color"}
    proc = subprocess.Popen([sys.executable, "-m", "pv", "validate", "contracts"], cwd=project, stdout=child,
                            stderr=subprocess.PIPE, env=env)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    assert proc.wait(timeout=60) == 1
    out = b"".join(chunks).decode()
    assert "\x1b[" in out and "PV-SEM-001" in out and "contracts/bad.yaml:1:21:" in out


def test_unknown_keys_flag_and_config(project: Path) -> None:
    (project / "contracts" / "clamp.yaml").write_text(PROVABLE.replace("equations:", "equation:"))
    assert run_pv("validate", cwd=project).returncode == 1
    warned = run_pv("validate", "--unknown-keys=warn", cwd=project)
    assert warned.returncode == 0 and "PV-SCH-001" in warned.stdout and "did you mean 'equations'?" in warned.stdout
    (project / "pyproject.toml").write_text("[tool.pv]\ncontracts=['contracts']\nunknown-keys='warn'\n")
    assert run_pv("validate", cwd=project).returncode == 0
    assert run_pv("validate", "--unknown-keys=error", cwd=project).returncode == 1  # the flag wins
