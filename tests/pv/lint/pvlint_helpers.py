"""Helpers shared by the pv lint tests (a module, not conftest, so test files can import them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "binding_project"
REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass
class LintResult:
    code: int
    out: str
    err: str


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
