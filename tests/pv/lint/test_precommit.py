"""The pre-commit proof, with the real pre-commit framework.

A temporary git repository with contracts and tests uses this repository's
``.pre-commit-hooks.yaml`` (at its committed HEAD): ``pre-commit try-repo``
runs the ``pv-lint`` hook and fails on a dangling reference; then, with the
hook installed, ``git commit`` of the dangling reference is rejected and the
fixed commit goes through. pre-commit builds the hook's isolated virtualenv
by pip-installing this repository (pydantic, PyYAML, jsonschema, rich), once
per test run (about a minute with a warm pip cache).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pvlint_helpers import REPO_ROOT, provable, write_project

PYPROJECT = '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n\n[tool.pv]\ncontracts = ["contracts"]\n'
TESTS = {"tests/test_train.py": "def test_loss_decreases():\n    assert 2.0 < 3.0\n"}


def _git(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False)


@pytest.mark.slow
def test_pre_commit_rejects_a_dangling_reference_and_accepts_a_clean_one(tmp_path: Path) -> None:
    env = dict(os.environ)
    env.update({"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_AUTHOR_NAME": "t",
                "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                "GIT_COMMITTER_EMAIL": "t@example.com", "PRE_COMMIT_COLOR": "never"})
    env.pop("PYTHONPATH", None)  # the hook must run from its own isolated install, not this checkout
    rev = _git(REPO_ROOT, "rev-parse", "HEAD", env=env)
    assert rev.returncode == 0, f"{REPO_ROOT} must be a git repository: {rev.stderr}"
    rev_sha = rev.stdout.strip()
    assert _git(REPO_ROOT, "cat-file", "-e", f"{rev_sha}:.pre-commit-hooks.yaml", env=env).returncode == 0

    project = write_project(tmp_path / "project", TESTS,
                            {"contracts/train.yaml": provable([("FALSIFY-T-001", "tests/test_train.py::test_loss")])},
                            PYPROJECT)
    assert _git(project, "init", "-q", env=env).returncode == 0
    assert _git(project, "add", "-A", env=env).returncode == 0
    pre_commit = [sys.executable, "-m", "pre_commit"]

    tried = subprocess.run([*pre_commit, "try-repo", str(REPO_ROOT), "pv-lint", "--ref", rev_sha], cwd=project,
                           capture_output=True, text=True, env=env, check=False, timeout=900)
    assert tried.returncode == 1, tried.stdout + tried.stderr
    assert "PV-BIND-004" in tried.stdout and "test_loss" in tried.stdout

    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO_ROOT}\n    rev: {rev_sha}\n    hooks:\n      - id: pv-lint\n", encoding="utf-8")
    installed = subprocess.run([*pre_commit, "install"], cwd=project, capture_output=True, text=True, env=env,
                               check=False)
    assert installed.returncode == 0, installed.stderr
    assert _git(project, "add", "-A", env=env).returncode == 0
    rejected = _git(project, "commit", "-m", "bind a test that does not exist", env=env)
    assert rejected.returncode != 0
    assert "PV-BIND-004" in rejected.stdout + rejected.stderr
    assert _git(project, "rev-parse", "--verify", "HEAD", env=env).returncode != 0  # nothing was committed

    contract = project / "contracts" / "train.yaml"
    contract.write_text(contract.read_text(encoding="utf-8").replace("::test_loss", "::test_loss_decreases"),
                        encoding="utf-8")
    assert _git(project, "add", "-A", env=env).returncode == 0
    accepted = _git(project, "commit", "-m", "bind the real test", env=env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "Passed" in accepted.stdout + accepted.stderr
    assert _git(project, "rev-list", "--count", "HEAD", env=env).stdout.strip() == "1"
