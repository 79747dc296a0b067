"""bench/gpu_train.py and bench/gpu_check.sh, run on the CPU with the tiny preset (the GPU check, ready to run).

The GPU figures themselves are LIVE falsifiers (a pack from a GPU machine);
this pins that the prepared command works end to end and what it records.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _gpu_train():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gpu_train", ROOT / "bench" / "gpu_train.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_mfu_uses_6n_plus_attention_flops_and_the_peak_table() -> None:
    gt = _gpu_train()
    assert gt.flops_per_token(1000, 2, 8, 16) == 6 * 1000 + 12 * 2 * 8 * 16
    assert gt.peak_flops("NVIDIA H100 80GB HBM3") == gt.peak_flops("NVIDIA H200") == 989e12
    assert gt.peak_flops("NVIDIA A100-SXM4-80GB") == 312e12
    assert gt.peak_flops("Tesla T4") is None


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-GPU-CHECK-001")
def test_gpu_check_runs_on_cpu_with_the_tiny_preset(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "OUT": str(out), "PYTHON": sys.executable, "PRESET": "tiny", "STEPS": "4", "INIT_STEPS": "0",
           "SEQ": "32", "BATCH": "2", "BENCH_STEPS": "1", "DEVICE": "cpu", "TRITON_INTERPRET": "1",
           "MEM_TOKENS": "128", "MEM_VOCAB": "3000", "MEM_HIDDEN": "32", "PYTEST_ARGS": "-k rope_is_rotate_half"}
    proc = subprocess.run(["bash", str(ROOT / "bench" / "gpu_check.sh")], capture_output=True, text=True, env=env,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    bench = json.loads((out / "gpu_train.json").read_text())
    rows = {r["variant"]: r for r in bench["variants"]}
    assert set(rows) == {"torch", "triton"} and rows["triton"]["kernels"] == "triton"
    assert all(r["tokens_per_sec"] > 0 and r["mfu"] is None for r in rows.values())  # no peak for a CPU
    assert abs(rows["torch"]["losses"][0] - rows["triton"]["losses"][0]) <= 1e-4
    assert json.loads((out / "scratch_result.json").read_text())["status"] in ("FINISHED", "CONVERGED")
    manifest = json.loads((out / "evidence" / "gpu-check-tiny" / "manifest.json").read_text())
    text = json.dumps(manifest)
    assert "FALSIFY-APR-PRETRAIN-GPU-MFU-001" in text and "memory_ratio" in text and "loss_curve" in text
