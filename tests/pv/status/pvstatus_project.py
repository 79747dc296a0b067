"""Helpers for pv status/evidence/report tests: tiny throwaway projects with a real git repo.

Every test builds its own project under tmp_path (contracts + tests + git), so
nothing here depends on this repository's own contracts or ledger.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pv
from pv.record_plugin import plugin_args

SRC = Path(pv.__file__).resolve().parent.parent


def pv_env() -> dict[str, str]:
    """Environment for subprocesses: pv importable even without an installed package."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    env.pop("PYTEST_ADDOPTS", None)
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    return env


def git(root: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=pv-test", "-c", "user.email=pv@test.invalid", "-c", "commit.gpgsign=false",
         *args],
        cwd=root, capture_output=True, text=True, check=True,
    )
    return out.stdout.strip()


class Project:
    """A temp project: write files, commit, run pv and pytest in it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        git(root, "init", "-q", "-b", "main")
        self.write("pyproject.toml", '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n\n[tool.pv]\n'
                   'contracts = ["contracts"]\n')

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def commit(self, message: str = "snapshot") -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.root, "rev-parse", "HEAD")

    def pv(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``pv ARGS`` in-process (fast: imports are shared) with cwd at the project root."""
        from pv.cli import main

        out, err = io.StringIO(), io.StringIO()
        old = os.getcwd()
        os.chdir(self.root)
        try:
            with redirect_stdout(out), redirect_stderr(err):
                code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        finally:
            os.chdir(old)
        return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())

    def pv_subprocess(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``python -m pv ARGS`` as a real process (exit codes, no tracebacks, stdout/stderr split)."""
        return subprocess.run([sys.executable, "-m", "pv", *args], cwd=self.root, capture_output=True, text=True,
                              env=pv_env(), timeout=120)

    def pytest(self, *args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *plugin_args(), *args]
        return subprocess.run(argv, cwd=self.root,
                              capture_output=True, text=True, env=pv_env(), timeout=120)
