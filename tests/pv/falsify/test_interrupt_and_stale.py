"""Ctrl-C in the middle leaves nothing behind; a recorded verdict goes stale when code or test changes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pv

SRC = Path(pv.__file__).resolve().parent.parent

SLOW_CONTRACT = """\
metadata:
  version: "1.0.0"
  description: a falsifier whose test takes long enough to interrupt
falsification_tests:
  - id: FALSIFY-SLOW-001
    prediction: clamp limits the top
    test: tests/test_slow.py::test_slow_clamp
    mutants:
      - file: src/calc/core.py
        find: "if x > hi:"
        replace: "if x > hi + 10:"
"""

SLOW_TEST = """\
import os
import time

from calc.core import clamp


def test_slow_clamp():
    with open(os.environ["PV_TEST_PIDFILE"], "w") as handle:
        handle.write(str(os.getpid()))
    time.sleep(60)
    assert clamp(15, 0, 10) == 10
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigint_mid_run_removes_the_copy_kills_pytest_and_leaves_the_tree_byte_identical(fproject, tmp_path):
    (fproject.root / "contracts" / "slow-v1.yaml").write_text(SLOW_CONTRACT, encoding="utf-8")
    (fproject.root / "tests" / "test_slow.py").write_text(SLOW_TEST, encoding="utf-8")
    before = fproject.snapshot()
    copies = tmp_path / "tmp"
    copies.mkdir()
    pidfile = tmp_path / "pytest.pid"
    env = dict(os.environ, TMPDIR=str(copies), PV_TEST_PIDFILE=str(pidfile), PYTHONPATH=str(SRC))
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.Popen([sys.executable, "-m", "pv", "falsify", "--falsifier", "FALSIFY-SLOW-001"],
                            cwd=fproject.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not pidfile.exists() or not pidfile.read_text():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the mutant's test never started"
        time.sleep(0.05)
    assert len(list(copies.iterdir())) == 1  # the run is inside its isolated copy now
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert list(copies.iterdir()) == []
    pytest_pid = int(pidfile.read_text())
    for _ in range(100):
        if not _alive(pytest_pid):
            break
        time.sleep(0.05)
    assert not _alive(pytest_pid)
    assert fproject.snapshot() == before
    assert not (fproject.root / ".pv" / "results.json").exists()  # an interrupted run records nothing


def _mutant_note(fproject, falsifier: str) -> tuple[str, list[dict]]:
    proc = fproject.pv("status", "--format", "json")
    doc = json.loads(proc.stdout)
    fs = next(f for c in doc["contracts"] for f in c["falsifiers"] if f["id"] == falsifier)
    return fs["falsifiable"], fs["mutants"]


def test_recorded_verdict_goes_stale_when_the_code_or_the_test_changes(fproject):
    code, _doc = fproject.falsify_json("--falsifier", "FALSIFY-CALC-001")
    assert code == 0
    falsifiable, [m] = _mutant_note(fproject, "FALSIFY-CALC-001")
    assert (falsifiable, m["outcome"], m["killed"], m["note"]) == ("1/1", "killed", True, "killed")
    assert m["where"] == "contracts/calc-v1.yaml:9:9"

    code_file = fproject.root / "src" / "calc" / "core.py"
    original = code_file.read_text(encoding="utf-8")
    code_file.write_text(original + "\n# edited\n", encoding="utf-8")
    falsifiable, [m] = _mutant_note(fproject, "FALSIFY-CALC-001")
    assert (falsifiable, m["killed"]) == ("0/1", False)
    assert m["note"] == "stale: src/calc/core.py changed since `pv falsify` ran"

    code_file.write_text(original, encoding="utf-8")
    assert _mutant_note(fproject, "FALSIFY-CALC-001")[0] == "1/1"
    test_file = fproject.root / "tests" / "test_core.py"
    test_file.write_text(test_file.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    falsifiable, [m] = _mutant_note(fproject, "FALSIFY-CALC-001")
    assert (falsifiable, m["note"]) == ("0/1", "stale: tests/test_core.py changed since `pv falsify` ran")
