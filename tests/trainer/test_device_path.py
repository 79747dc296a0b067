"""The CUDA training path, proven on the CPU: one builder, --init populates, --kernels/--precision resolution.

The kernels themselves are tested in tests/trainer/kernels/; these tests pin
how a run picks and records them, and that a CUDA run goes through exactly the
builder (and the --init load) a CPU run does.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch
from pretrain_helpers import argv, forbid_model_allocation, make_data, options, train

from trainer.cli import main
from trainer.train.device import ResolvedDevice


class _Built(Exception):
    """Raised by the spy builder: the loop reached the model build and stops there."""


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, Path]:
    return make_data(tmp_path / "data")


@pytest.mark.falsifies("GATE-GPUTRAIN-001", "FALSIFY-APR-PRETRAIN-INIT-CUDA-002")
def test_cuda_and_cpu_runs_call_the_same_builder_with_the_same_init(tmp_path: Path, data: tuple[Path, Path],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import trainer.train.builder as builder
    from trainer.checkpoint.init import inspect_init
    from trainer.train.loop import run_training
    from trainer.train.preflight import run_preflight

    ds, tok = data
    base = tmp_path / "base"
    train(ds, tok, base, num_steps=0)
    ckpt = base / "ckpt" / "epoch-000.apr"
    calls: list[dict[str, object]] = []

    def spy(config, **kw):  # type: ignore[no-untyped-def]
        calls.append({"config": config, **kw})
        raise _Built

    monkeypatch.setattr(builder, "build_training_model", spy)
    report = run_preflight(options(ds, tok, tmp_path / "cpu", init=ckpt, vocab_size=None, mode="finetune"))
    cuda_report = dataclasses.replace(report, device=ResolvedDevice("cuda:0", "cuda:0 (test)"),
                                      options=report.options.replace(run_dir=tmp_path / "cuda"))
    for r in (report, cuda_report):
        with pytest.raises(_Built):
            run_training(r)
    cpu_call, cuda_call = calls
    assert str(cpu_call["device"]) == "cpu" and str(cuda_call["device"]) == "cuda:0"
    assert cpu_call["init_spec"] is cuda_call["init_spec"] is report.init_spec is not None
    assert cpu_call["config"] == cuda_call["config"] and cpu_call["seed"] == cuda_call["seed"]
    assert (cpu_call["kernels"].name, cuda_call["kernels"].name) == ("torch", "triton")  # auto per device
    assert inspect_init(ckpt).config == cuda_call["config"]


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-CUDA-002")
def test_builder_loads_init_on_the_cpu_before_moving_to_any_device(tmp_path: Path, data: tuple[Path, Path],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The load happens before ``.to(device)``: on a non-CPU device ("meta" here) the same tensors were loaded."""
    import trainer.checkpoint.init as init_mod
    from trainer.checkpoint.apr import load_apr
    from trainer.checkpoint.init import inspect_init
    from trainer.kernels.dispatch import TORCH
    from trainer.train.builder import build_training_model

    ds, tok = data
    train(ds, tok, tmp_path / "base", num_steps=0, seed=3)
    ckpt = tmp_path / "base" / "ckpt" / "epoch-000.apr"
    spec = inspect_init(ckpt)
    seen: list[str] = []
    real = init_mod.load_init_weights

    def recording(s, model):  # type: ignore[no-untyped-def]
        seen.append(next(model.parameters()).device.type)
        return real(s, model)

    monkeypatch.setattr(init_mod, "load_init_weights", recording)
    cpu_model, cpu_pop = build_training_model(spec.config, seed=99, device="cpu", kernels=TORCH, init_spec=spec)
    meta_model, meta_pop = build_training_model(spec.config, seed=99, device="meta", kernels=TORCH, init_spec=spec)
    assert seen == ["cpu", "cpu"] and cpu_pop == meta_pop and "populated" in (cpu_pop or "")
    assert next(meta_model.parameters()).device.type == "meta"
    stored = load_apr(ckpt).tensors
    for name, value in cpu_model.state_dict().items():
        assert torch.equal(value, stored[name]), name  # seed 99 is overwritten by the checkpoint's (seed 3) tensors


@pytest.mark.falsifies("GATE-KERNELS-001")
def test_triton_kernels_on_cpu_without_interpreter_is_a_preflight_error(
        tmp_path: Path, data: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    forbid_model_allocation(monkeypatch)
    rc = main(argv(*data, tmp_path / "run", "--kernels", "triton"))
    err = capsys.readouterr().err
    assert rc == 3
    assert "GATE-KERNELS-001" in err and "TRITON_INTERPRET=1" in err and "--kernels torch" in err
    assert "Traceback" not in err


@pytest.mark.falsifies("GATE-KERNELS-001", "FALSIFY-APR-PRETRAIN-KERNELS-PARITY-001")
def test_triton_kernels_run_in_the_interpreter_and_are_recorded(tmp_path: Path, data: tuple[Path, Path]) -> None:
    """`TRITON_INTERPRET=1 apr pretrain --kernels triton` as a user runs it (a fresh process: the switch is read
    when triton is imported); same val losses as --kernels torch within 1e-4, header and result.json say which."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "TRITON_INTERPRET": "1", "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    runs = {}
    for kernels in ("torch", "triton"):
        cmd = [sys.executable, "-m", "trainer", *argv(*data, tmp_path / kernels, "--kernels", kernels, num_steps=4,
                                                      steps_per_epoch=2)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert f"Compute:          {kernels} kernels, fp32, compile off" in proc.stdout
        runs[kernels] = json.loads((tmp_path / kernels / "result.json").read_text())
        assert (runs[kernels]["kernels"], runs[kernels]["precision"], runs[kernels]["compiled"]) == (kernels, "fp32",
                                                                                                     False)
    a, b = runs["torch"]["val_loss_history"], runs["triton"]["val_loss_history"]
    assert len(a) == len(b) == 3 and max(abs(x - y) for x, y in zip(a, b, strict=True)) <= 1e-4
    assert a[-1] < a[0]


@pytest.mark.falsifies("GATE-PRECISION-001")
def test_precision_and_kernel_defaults_follow_the_device() -> None:
    from trainer.errors import PreflightError
    from trainer.train.builder import resolve_compute

    cpu, cuda = resolve_compute("auto", None, False, "cpu"), resolve_compute("auto", None, True, "cuda:0")
    assert (cpu.kernels.name, cpu.precision, cpu.compile) == ("torch", "fp32", False)
    assert (cuda.kernels.name, cuda.precision, cuda.compile) == ("triton", "bf16", True)
    assert resolve_compute("torch", "fp32", False, "cuda:1").precision == "fp32"  # explicit flags win
    with pytest.raises(PreflightError, match="GATE-PREFLIGHT-ARGS"):
        resolve_compute("auto", "fp16", False, "cpu")
    with pytest.raises(PreflightError, match="GATE-KERNELS-001"):
        resolve_compute("cuda", None, False, "cpu")


@pytest.mark.falsifies("GATE-PRECISION-001")
def test_bf16_run_keeps_fp32_master_weights_and_learns(tmp_path: Path, data: tuple[Path, Path]) -> None:
    from trainer.checkpoint.apr import load_apr

    result = train(*data, tmp_path / "run", num_steps=6, precision="bf16")
    fp32 = train(*data, tmp_path / "fp32", num_steps=6)
    assert result.status in ("FINISHED", "CONVERGED") and (result.precision, fp32.precision) == ("bf16", "fp32")
    assert result.val_loss_history[-1] < result.val_loss_history[0] - 0.1
    assert abs(result.val_loss_history[-1] - fp32.val_loss_history[-1]) <= 0.05  # bf16 matmuls, same trajectory
    assert result.val_loss_history != fp32.val_loss_history  # autocast really ran
    tensors = load_apr(tmp_path / "run" / "ckpt" / "epoch-003.apr").tensors
    assert {t.dtype for t in tensors.values()} == {torch.float32}
