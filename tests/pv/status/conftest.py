"""Fixtures for pv status/evidence/report tests (helpers live in pvstatus_project.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pvstatus_project import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A fresh git-backed project under tmp_path; nothing is shared with this repository."""
    return Project(tmp_path / "proj")
