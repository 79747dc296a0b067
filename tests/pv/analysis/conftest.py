"""Fixtures for the analysis tests: the seed contracts loaded through pv's real pipeline."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from pv.config import PvConfig
from pv.model.contract import LoadedContract
from pv.validate import validate_paths

REPO = Path(__file__).resolve().parents[3]
SEED = REPO / "tests" / "fixtures" / "seed"


def load(paths: Sequence[Path], root: Path) -> list[LoadedContract]:
    """LoadedContracts exactly as `pv` commands see them (schema errors do not matter here)."""
    run = validate_paths([str(p) for p in paths], PvConfig(root=root))
    return run.contracts


@pytest.fixture(scope="session")
def seeds() -> dict[str, LoadedContract]:
    """The seven unmodified seed contracts, by stem, paths shown relative to the repo root."""
    return {c.stem: c for c in load([SEED], REPO)}


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write


def pv(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess (what users and CI run)."""
    return subprocess.run([sys.executable, "-m", "pv", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd,
                          capture_output=True, text=True, check=True)
    return proc.stdout
