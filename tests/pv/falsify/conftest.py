"""Fixtures for pv falsify tests: a throwaway copy of tests/fixtures/falsify_project per test."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "falsify_project"


class FalsifyProject:
    def __init__(self, root: Path) -> None:
        self.root = root

    def pv(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``pv ARGS`` in-process with cwd at the project root."""
        from pv.cli import main

        out, err = io.StringIO(), io.StringIO()
        old = os.getcwd()
        os.chdir(self.root)
        try:
            with redirect_stdout(out), redirect_stderr(err):
                code = main(list(args))
        finally:
            os.chdir(old)
        return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())

    def falsify_json(self, *args: str) -> tuple[int, dict]:
        proc = self.pv("falsify", "--format", "json", *args)
        assert proc.stdout.strip(), proc.stderr
        return proc.returncode, json.loads(proc.stdout)

    def snapshot(self) -> dict[str, bytes]:
        """Every file under the root (path -> bytes) but pv's own state (.pv/: ledger, index cache)."""
        return {rel: p.read_bytes() for p in sorted(self.root.rglob("*"))
                if p.is_file() and not (rel := p.relative_to(self.root).as_posix()).startswith(".pv/")}


@pytest.fixture
def fproject(tmp_path: Path) -> FalsifyProject:
    root = tmp_path / "proj"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__", ".pv"))
    return FalsifyProject(root)
