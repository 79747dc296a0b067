"""--resume: an interrupted CPU fp32 run continues bit-identically to an uninterrupted one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from pretrain_helpers import argv, make_data, read_jsonl, train

from trainer.checkpoint.apr import load_apr
from trainer.cli import main

ARGS = {"num_steps": 8, "steps_per_epoch": 2, "seed": 5, "lr": 5e-3}


class _Kill(KeyboardInterrupt):
    """What Ctrl-C (SIGINT) raises in the loop."""


def _interrupt_at(step: int):  # -> StepHook
    def hook(steps_completed: int) -> None:
        if steps_completed == step:
            raise _Kill()
    return hook


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, Path]:
    return make_data(tmp_path)


@pytest.mark.falsifies("INV-TRAIN-014")
def test_resume_is_bit_identical_to_uninterrupted_run(tmp_path: Path, data: tuple[Path, Path],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = data
    full, cut = tmp_path / "full", tmp_path / "cut"
    reference = train(ds, tok, full, **ARGS)
    assert reference.status == "FINISHED" and reference.epochs_completed == 4

    with pytest.raises(KeyboardInterrupt):  # mid-epoch 3: steps 4 done, step 5's record exists too
        train(ds, tok, cut, step_hook=_interrupt_at(5), **ARGS)
    interrupted = json.loads((cut / "result.json").read_text())
    assert (interrupted["status"], interrupted["gate_id"]) == ("ABORTED", "INTERRUPTED")
    assert interrupted["steps_completed"] == 5 and interrupted["epochs_completed"] == 2
    assert "continues from epoch 2" in interrupted["detail"]
    assert len(read_jsonl(cut / "train.jsonl")) == 5

    rc = main(argv(ds, tok, cut, "--resume", **ARGS))  # the same command line plus --resume
    assert rc == 0, capsys.readouterr().err
    resumed = json.loads((cut / "result.json").read_text())
    assert resumed["resumed_from_epoch"] == 2 and resumed["status"] == reference.status
    assert resumed["val_loss_history"] == reference.val_loss_history  # exact floats
    assert resumed["steps_completed"] == 8 and resumed["tokens_seen"] == reference.tokens_seen

    log_full, log_cut = read_jsonl(full / "train.jsonl"), read_jsonl(cut / "train.jsonl")
    assert [r["step"] for r in log_cut] == list(range(8))  # the replayed step 4 is not duplicated
    for a, b in zip(log_full, log_cut, strict=True):
        assert (a["train_loss"], a["grad_norm"], a["lr"]) == (b["train_loss"], b["grad_norm"], b["lr"])

    weights_full = load_apr(full / "ckpt" / "epoch-004.apr").tensors
    weights_cut = load_apr(cut / "ckpt" / "epoch-004.apr").tensors
    assert weights_full.keys() == weights_cut.keys()
    assert all(torch.equal(weights_full[k], weights_cut[k]) for k in weights_full)
    assert (full / "ckpt" / "epoch-004.apr").read_bytes() == (cut / "ckpt" / "epoch-004.apr").read_bytes()
    meta_full = json.loads((full / "ckpt" / "epoch-004.metadata.json").read_text())
    meta_cut = json.loads((cut / "ckpt" / "epoch-004.metadata.json").read_text())
    assert meta_full["optimizer_state_sha"] == meta_cut["optimizer_state_sha"]  # AdamW moments identical too


@pytest.mark.falsifies("GATE-PREFLIGHT-RESUME")
def test_resume_refuses_different_settings(tmp_path: Path, data: tuple[Path, Path],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = data
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train(ds, tok, run, step_hook=_interrupt_at(3), **ARGS)
    changed = {**ARGS, "lr": 1e-3}
    rc = main(argv(ds, tok, run, "--resume", **changed))
    err = capsys.readouterr().err
    assert rc == 3
    assert "GATE-PREFLIGHT-RESUME" in err and "lr: was 0.005, now 0.001" in err


@pytest.mark.falsifies("GATE-PREFLIGHT-RESUME", "INV-TRAIN-003")
def test_resume_refuses_tampered_optimizer_state(tmp_path: Path, data: tuple[Path, Path],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = data
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train(ds, tok, run, step_hook=_interrupt_at(3), **ARGS)
    optim = next((run / "ckpt").glob("*.optim.safetensors"))
    blob = bytearray(optim.read_bytes())
    blob[-1] ^= 0xFF
    optim.write_bytes(bytes(blob))
    rc = main(argv(ds, tok, run, "--resume", **ARGS))
    assert rc == 3
    assert "does not match the sha256" in capsys.readouterr().err


@pytest.mark.falsifies("INV-TRAIN-014")
def test_resume_after_completion_trains_nothing_more(tmp_path: Path, data: tuple[Path, Path]) -> None:
    ds, tok = data
    run = tmp_path / "run"
    first = train(ds, tok, run, **ARGS)
    again = train(ds, tok, run, resume=True, **ARGS)
    assert again.steps_completed == first.steps_completed == 8
    assert again.val_loss_history == first.val_loss_history
    assert len(read_jsonl(run / "train.jsonl")) == 8


@pytest.mark.falsifies("INV-TRAIN-014")
def test_sigterm_is_recorded_as_interrupted_and_resumable(tmp_path: Path, data: tuple[Path, Path],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import signal

    import trainer.train.loop as loop

    ds, tok = data
    run = tmp_path / "run"
    real = loop.run_training
    before = signal.getsignal(signal.SIGTERM)

    def killed_at_step_3(report, **kw):  # type: ignore[no-untyped-def]
        hook = lambda steps: os.kill(os.getpid(), signal.SIGTERM) if steps == 3 else None  # noqa: E731
        return real(report, step_hook=hook, **kw)

    monkeypatch.setattr(loop, "run_training", killed_at_step_3)
    assert main(argv(ds, tok, run, **ARGS)) == 130
    assert signal.getsignal(signal.SIGTERM) is before  # the handler is restored
    result = json.loads((run / "result.json").read_text())
    assert (result["gate_id"], result["steps_completed"], result["epochs_completed"]) == ("INTERRUPTED", 3, 1)
    monkeypatch.setattr(loop, "run_training", real)
    assert main(argv(ds, tok, run, "--resume", **ARGS)) == 0
    assert json.loads((run / "result.json").read_text())["steps_completed"] == 8


def _interrupted_run(ds: Path, tok: Path, run: Path) -> Path:
    with pytest.raises(KeyboardInterrupt):
        train(ds, tok, run, step_hook=_interrupt_at(3), **ARGS)
    return run / "ckpt"


def _damage_optimizer(ckpt: Path) -> None:
    optim = next(ckpt.glob("*.optim.safetensors"))
    blob = bytearray(optim.read_bytes())
    blob[-1] ^= 0xFF
    optim.write_bytes(bytes(blob))


def _truncate_checkpoint(ckpt: Path) -> None:
    apr = ckpt / json.loads((ckpt / "resume.json").read_text())["apr"]
    apr.write_bytes(apr.read_bytes()[: apr.stat().st_size // 2])


def _damage_checkpoint_crc(ckpt: Path) -> None:
    apr = ckpt / json.loads((ckpt / "resume.json").read_text())["apr"]
    blob = bytearray(apr.read_bytes())
    blob[-100] ^= 0xFF  # inside the tensor data: only the footer CRC notices
    apr.write_bytes(bytes(blob))


def _drop_resume_key(key: str):  # -> Callable[[Path], None]
    def damage(ckpt: Path) -> None:
        resume = json.loads((ckpt / "resume.json").read_text())
        del resume[key]
        (ckpt / "resume.json").write_text(json.dumps(resume))
    return damage


@pytest.mark.falsifies("GATE-PREFLIGHT-RESUME", "INV-TRAIN-003")
@pytest.mark.parametrize(("damage", "expected"), [
    (_damage_optimizer, "does not match the sha256"),
    (_truncate_checkpoint, "is unreadable"),
    (_damage_checkpoint_crc, "is unreadable"),
    (_drop_resume_key("loop"), "lacks loop"),
    (_drop_resume_key("optimizer_state_sha"), "lacks optimizer_state_sha"),
], ids=["optimizer-sha", "truncated-apr", "apr-crc", "no-loop-key", "no-sha-key"])
def test_resume_integrity_refused_in_preflight_before_any_model(
        tmp_path: Path, data: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, damage, expected: str) -> None:
    from pretrain_helpers import forbid_model_allocation

    ds, tok = data
    run = tmp_path / "run"
    damage(_interrupted_run(ds, tok, run))
    capsys.readouterr()
    forbid_model_allocation(monkeypatch)
    rc = main(argv(ds, tok, run, "--resume", **ARGS))
    err = capsys.readouterr().err
    assert rc == 3, err
    line = next(ln for ln in err.splitlines() if "GATE-PREFLIGHT-RESUME" in ln)
    assert expected in line
    assert "internal error" not in err and "allocated before preflight" not in err
