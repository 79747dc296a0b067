"""Helpers for pv lint tests: a private copy of the fixture project and in-process / subprocess runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "binding_project"
REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass
class LintResult:
    code: int
    out: str
    err: str


@pytest.fixture
def binding_project(tmp_path: Path) -> Path:
    """A fresh copy of tests/fixtures/binding_project (so caches never land in the repository)."""
    dest = tmp_path / "binding_project"
    shutil.copytree(FIXTURE, dest, ignore=shutil.ignore_patterns(".pv", "__pycache__", ".pytest_cache"))
    return dest


@pytest.fixture
def run_lint(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run ``pv lint ARGS`` in-process with ``root`` as the working directory."""
    from pv.cli import main

    def _run(root: Path, *args: str) -> LintResult:
        monkeypatch.chdir(root)
        monkeypatch.setenv("PV_NO_PREFETCH", "1")
        capsys.readouterr()
        code = main(["lint", *args])
        captured = capsys.readouterr()
        return LintResult(code, captured.out, captured.err)

    return _run


def pv_subprocess(root: Path, *args: str, timeout: int = 120) -> LintResult:
    """``python -m pv ARGS`` in a real subprocess (the CLI as users run it)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-m", "pv", *args], cwd=root, capture_output=True, text=True,
                          timeout=timeout, env=env, check=False)
    return LintResult(proc.returncode, proc.stdout, proc.stderr)


def write_project(root: Path, tests: dict[str, str], contracts: dict[str, str], pyproject: str | None = None) -> Path:
    """A minimal project: pyproject.toml, test files and contract files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        pyproject or '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n\n[tool.pv]\ncontracts = ["contracts"]\n',
        encoding="utf-8")
    for rel, text in {**tests, **contracts}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def provable(falsifiers: list[tuple[str, str]], field: str = "test") -> str:
    """A valid provable-dialect contract whose falsifiers cite the given references."""
    lines = ['metadata:', '  version: "1.0.0"', '  description: test contract', '  references: ["x"]',
             'equations:', '  e:', '    formula: "y = x"', 'falsification_tests:']
    for fid, ref in falsifiers:
        lines += [f"  - id: {fid}", "    rule: r", "    prediction: p", f"    {field}: {json.dumps(ref)}"]
    return "\n".join(lines) + "\n"
