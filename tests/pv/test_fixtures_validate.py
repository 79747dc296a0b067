"""Checked-in bad contracts (tests/fixtures/validate/) and their exact findings: a readable corpus."""

from __future__ import annotations

import pytest
from pv_validate_helpers import REPO, VALIDATE_FIXTURES

from pv.config import PvConfig
from pv.validate import validate_paths

EXPECTED = {
    "misspelled-keys.yaml": [
        ("PV-SCH-001", 3, 3, "description"), ("PV-SCH-001", 6, 1, "falsification_tests"),
        ("PV-SCH-001", 12, 5, "codomain"), ("PV-SCH-001", 13, 1, "kani_harnesses")],
    "version-drift.yaml": [
        ("PV-SEM-002", 5, 12, None), ("PV-SEM-004", 8, 7, None), ("PV-SEM-005", 11, 7, None)],
    "duplicate-ids.yaml": [
        ("PV-ID-001", 10, 10, None), ("PV-YAML-003", 11, 33, None), ("PV-ID-001", 13, 10, None)],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_findings(name: str) -> None:
    run = validate_paths([VALIDATE_FIXTURES / name], PvConfig(root=REPO))
    got = [(d.code, d.line, d.col, d.data.get("suggestion")) for d in run.diagnostics]
    assert got == EXPECTED[name]
    assert all(d.path == f"tests/fixtures/validate/{name}" for d in run.diagnostics)
