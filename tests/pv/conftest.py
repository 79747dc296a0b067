"""Fixtures for pv's own tests: tiny valid contracts of each kind, a writer, and a real `pv` subprocess."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """write(name, text) -> path: a file under tmp_path with dedented text."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def config(tmp_path: Path):  # type: ignore[no-untyped-def]
    from pv.config import PvConfig

    return PvConfig(root=tmp_path)


