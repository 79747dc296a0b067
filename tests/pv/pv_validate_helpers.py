"""Shared constants and helpers for pv validate tests (imported by conftest and test modules)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEED_DIR = REPO / "tests" / "fixtures" / "seed"
VALIDATE_FIXTURES = REPO / "tests" / "fixtures" / "validate"

PROVABLE = """\
metadata:
  version: "1.1.0"
  description: Clamp kernel
  references: ["Some paper (2024)"]
  kind: kernel
  changelog:
    - "1.1.0 (2026-01-02): adds FALSIFY-CL-002"
    - "1.0.0 (2026-01-01): first version"
equations:
  clamp:
    formula: "y_i = min(max(x_i, lo), hi)"
    domain: "x in R^n, lo <= hi"
proof_obligations:
  - {type: bound, property: "output within [lo, hi]", formal: "lo <= y_i <= hi"}
falsification_tests:
  - id: FALSIFY-CL-001
    rule: range
    prediction: every output lies in [lo, hi]
    test: tests/test_clamp.py::test_in_range
    if_fails: comparison order swapped
  - id: FALSIFY-CL-002
    prediction: val loss below the bar
    test: [tests/test_clamp.py::test_a, "LIVE-PENDING: needs a long run"]
    ship_blocking: false
    check: {metric: val_loss, op: "<", value: 9.38}
kani_harnesses:
  - {id: KANI-CL-001, obligation: "output within [lo, hi]", bound: 8, strategy: bounded_int}
qa_gate: {id: F-CL-001, name: Clamp gate, checks: [range], pass_criteria: all pass}
constants:
  vocab_size: 50257
"""

GATE = """\
contract_id: C-DEMO
version: 1.0.0
status: PROPOSED
metadata:
  version: 1.0.0
  description: Demo gate contract
  changelog:
    - "1.0.0 (2026-01-01): first"
invariants:
  - id: INV-DEMO-001
    description: loss is finite
    falsifier: a NaN appears
    harness:
      - {name: tests/test_demo.py::test_finite, kind: pytest}
gates:
  - id: GATE-DEMO-001
    rule: abort on NaN
    ship_blocking: true
    evidence_discharged_by:
      - tests/test_demo.py::test_nan_aborts
      - tests/test_demo.py::test_inf_aborts
    test: tests/test_demo.py::test_gate
failure_modes:
  - {id: FM-DEMO-NAN, description: NaN loss}
architecture:
  hidden: 64
"""

BINDING = """\
version: "1.0.0"
target_crate: demo
bindings:
  - {contract: clamp.yaml, equation: clamp, module_path: demo.clamp, function: clamp, status: implemented}
"""



def run_pv(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `pv` (python -m pv) in a subprocess and capture its output."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "pv", *args], cwd=cwd or REPO, env=full_env,
                          capture_output=True, text=True, timeout=120)
