"""Fixtures for pv lint tests: a private copy of the fixture project and in-process runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pvlint_helpers import FIXTURE, LintResult


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
