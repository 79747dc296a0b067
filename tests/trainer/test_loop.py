"""The training loop on real (tiny) models: accumulation, clipping, metrics, gates, checkpoints."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pytest
import torch
from pretrain_helpers import VOCAB, make_data, read_jsonl, train

from trainer.model import LlamaForCausalLM, make_optimizer
from trainer.presets import get_preset
from trainer.train import loop
from trainer.train.metrics import REQUIRED_FIELDS

METADATA_FIELDS = ("epoch", "train_loss", "val_loss", "train_ppl", "val_ppl", "optimizer_state_sha",
                   "wall_seconds", "tokens_seen", "grad_norm_max")


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, Path]:
    return make_data(tmp_path)


def _model(seed: int = 0) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    return LlamaForCausalLM(get_preset("tiny", vocab_size=VOCAB))


def _scripted_eval(monkeypatch: pytest.MonkeyPatch, values: list[float]) -> None:
    """Replace evaluate() with a scripted trace (index 0 = the step-0 evaluation)."""
    trace = iter(values)
    monkeypatch.setattr(loop, "evaluate", lambda model, batches: next(trace))


@pytest.mark.falsifies("INV-TRAIN-016")
def test_grad_accumulation_2x4_equals_batch_8() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, VOCAB, (8, 17), generator=g)
    full, halves = [(x[:, :-1], x[:, 1:])], [(x[:4, :-1], x[:4, 1:]), (x[4:, :-1], x[4:, 1:])]
    results = []
    for batches in (full, halves):
        model = _model()
        opt = make_optimizer(model, 1e-3, 0.01)
        loss, norm = loop.train_step(model, opt, batches, step=0, lr=1e-3)
        grads = {n: p.grad.clone() for n, p in model.named_parameters()}
        results.append((loss, norm, grads, {k: v.clone() for k, v in model.state_dict().items()}))
    (loss_a, norm_a, g_a, w_a), (loss_b, norm_b, g_b, w_b) = results
    assert loss_a == pytest.approx(loss_b, rel=1e-6)
    assert norm_a == pytest.approx(norm_b, rel=1e-5)
    for name in g_a:  # the accumulated gradient is the full-batch gradient
        torch.testing.assert_close(g_a[name], g_b[name], rtol=1e-4, atol=1e-4 * float(g_a[name].abs().max()))
    for name in w_a:  # AdamW's first step is ~lr * g/|g|: near-zero gradients amplify fp noise, so 1% of lr
        torch.testing.assert_close(w_a[name], w_b[name], rtol=1e-5, atol=0.01 * 1e-3)
    assert not torch.equal(w_a["model.norm.weight"], _model().state_dict()["model.norm.weight"])  # it moved


@pytest.mark.falsifies("INV-TRAIN-016")
def test_grad_norm_is_the_real_pre_clip_norm_and_clipping_applies() -> None:
    g = torch.Generator().manual_seed(2)
    x = torch.randint(0, VOCAB, (4, 17), generator=g)
    reference = _model()
    loss = loop.cross_entropy_sum(reference(x[:, :-1]), x[:, 1:]) / x[:, 1:].numel()
    loss.backward()
    expected = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in reference.parameters())).item()
    model = _model()
    opt = make_optimizer(model, 1e-3, 0.01)
    _, norm = loop.train_step(model, opt, [(x[:, :-1], x[:, 1:])], step=0, lr=1e-3, grad_clip=0.05)
    assert norm == pytest.approx(expected, rel=1e-4)
    assert norm > 0.05 and norm != 1.0  # a real norm, not the seed's CPU placeholder
    clipped = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in model.parameters())).item()
    assert clipped == pytest.approx(0.05, rel=1e-3)


@pytest.mark.falsifies("GATE-TRAIN-007", "INV-TRAIN-007")
def test_gate_train_007_nan_injection_aborts_within_one_step(tmp_path: Path, data: tuple[Path, Path],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    real = loop.cross_entropy_sum
    calls = {"n": 0}

    def poisoned(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        calls["n"] += 1
        out = real(logits, targets)
        # calls 1-2: step-0 evaluation; 3..: one per step. Poison step 3 (0-based).
        return out * float("nan") if calls["n"] == 6 else out

    monkeypatch.setattr(loop, "cross_entropy_sum", poisoned)
    run = tmp_path / "run"
    result = train(*data, run, num_steps=8, steps_per_epoch=8)
    assert (result.status, result.gate_id) == ("ABORTED", "GATE-TRAIN-007")
    assert "NUMERICAL_INSTABILITY at step 3" in result.detail and "not applied" in result.detail
    assert result.steps_completed == 3  # steps 0-2 ran; step 3 aborted before its update
    assert [r["step"] for r in read_jsonl(run / "train.jsonl")] == [0, 1, 2]
    assert sorted(p.name for p in (run / "ckpt").glob("*.apr")) == ["epoch-000.apr"]
    assert json.loads((run / "result.json").read_text())["status"] == "ABORTED"


@pytest.mark.falsifies("GATE-TRAIN-001", "GATE-TRAIN-008", "INV-TRAIN-001", "INV-TRAIN-008")
def test_every_step_logs_required_metrics(tmp_path: Path, data: tuple[Path, Path]) -> None:
    run = tmp_path / "run"
    result = train(*data, run, num_steps=5, steps_per_epoch=5)
    records = read_jsonl(run / "train.jsonl")
    assert [r["step"] for r in records] == list(range(5)) == list(range(result.steps_completed))
    for r in records:
        assert set(REQUIRED_FIELDS) <= set(r)
        for key in ("train_loss", "grad_norm", "lr", "tokens_per_sec"):
            assert isinstance(r[key], float) and math.isfinite(r[key]), (key, r)
        assert r["tokens_per_sec"] > 0 and r["grad_norm"] > 0
        assert r["gpu_util_pct"] is None  # CPU: not measured, never invented
    assert records[-1]["tokens_seen"] == 5 * 4 * 16 == result.tokens_seen


@pytest.mark.falsifies("GATE-TRAIN-002", "INV-TRAIN-002", "INV-TRAIN-003")
def test_every_epoch_writes_checkpoint_and_metadata(tmp_path: Path, data: tuple[Path, Path]) -> None:
    from trainer.checkpoint.apr import load_apr

    run = tmp_path / "run"
    result = train(*data, run, num_steps=6, steps_per_epoch=2)
    assert result.epochs_completed == 3
    ckpt = run / "ckpt"
    for epoch in range(4):  # epoch-000 is the step-0 model
        meta = json.loads((ckpt / f"epoch-{epoch:03d}.metadata.json").read_text())
        assert set(METADATA_FIELDS) <= set(meta) and meta["epoch"] == epoch
        assert meta["val_loss"] == pytest.approx(result.val_loss_history[epoch])
        assert meta["val_ppl"] == pytest.approx(math.exp(meta["val_loss"]))
        apr = load_apr(ckpt / f"epoch-{epoch:03d}.apr")
        assert apr.metadata["train_epoch"] == epoch and "model.embed_tokens.weight" in apr.tensors
        if epoch:
            assert meta["train_ppl"] == pytest.approx(math.exp(meta["train_loss"]))
            assert meta["tokens_seen"] == epoch * 2 * 4 * 16 and meta["grad_norm_max"] > 0
    last = json.loads((ckpt / "epoch-003.metadata.json").read_text())
    optim = (ckpt / last["optimizer_state_file"]).read_bytes()
    assert hashlib.sha256(optim).hexdigest() == last["optimizer_state_sha"]


@pytest.mark.falsifies("GATE-TRAIN-BASELINE", "INV-TRAIN-012")
def test_from_scratch_initial_val_is_near_ln_vocab_and_uses_heldout_batches(tmp_path: Path,
                                                                             data: tuple[Path, Path]) -> None:
    from trainer.data.reader import WindowReader

    run = tmp_path / "run"
    result = train(*data, run, num_steps=0, seed=7)
    ln_v = math.log(VOCAB)
    assert abs(result.initial_val_loss - ln_v) < 0.1 * ln_v
    # The same number from an independent model on the reader's fixed held-out batches.
    torch.manual_seed(7)
    model = LlamaForCausalLM(get_preset("tiny", vocab_size=VOCAB))
    reader = WindowReader(data[0], 16, 4, 7, 2)
    assert loop.evaluate(model, reader.val_batches()) == result.initial_val_loss
    assert loop.evaluate(model, reader.val_batches()) == loop.evaluate(model, reader.val_batches())


@pytest.mark.falsifies("GATE-TRAIN-BASELINE", "INV-TRAIN-012")
def test_gate_train_baseline_aborts_a_leaking_step0_eval(tmp_path: Path, data: tuple[Path, Path],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _scripted_eval(monkeypatch, [0.0008])
    result = train(*data, tmp_path / "run")
    assert (result.status, result.gate_id, result.steps_completed) == ("ABORTED", "GATE-TRAIN-BASELINE", 0)
    assert not list((tmp_path / "run" / "ckpt").glob("*.apr"))


@pytest.mark.falsifies("INV-TRAIN-015")
def test_num_steps_zero_gives_byte_identical_checkpoints(tmp_path: Path, data: tuple[Path, Path]) -> None:
    runs = [tmp_path / "a", tmp_path / "b"]
    results = [train(*data, run, num_steps=0) for run in runs]
    for r in results:
        assert r.status == "FINISHED" and r.steps_completed == 0 and r.epochs_completed == 0
        assert r.final_val_loss == r.initial_val_loss
    a, b = ((run / "ckpt" / "epoch-000.apr").read_bytes() for run in runs)
    assert a == b and a[:4] == b"APR\0"
    meta = json.loads((runs[0] / "ckpt" / "epoch-000.metadata.json").read_text())
    assert meta["train_loss"] is None and meta["tokens_seen"] == 0


@pytest.mark.falsifies("GATE-TRAIN-006", "INV-TRAIN-006")
def test_falsify_ship_021_seed_reproducibility(tmp_path: Path, data: tuple[Path, Path]) -> None:
    logs = []
    for name in ("a", "b"):
        train(*data, tmp_path / name, num_steps=8, steps_per_epoch=4, seed=3)
        logs.append(read_jsonl(tmp_path / name / "train.jsonl"))
    assert len(logs[0]) == 8
    for ra, rb in zip(*logs, strict=True):
        assert ra["step"] == rb["step"] and ra["lr"] == rb["lr"]
        assert abs(ra["train_loss"] - rb["train_loss"]) <= 1e-6 and abs(ra["grad_norm"] - rb["grad_norm"]) <= 1e-6


@pytest.mark.falsifies("GATE-TRAIN-006", "INV-TRAIN-006")
def test_falsify_ship_021_different_seeds_do_diverge(tmp_path: Path, data: tuple[Path, Path]) -> None:
    losses = []
    for seed in (0, 1):
        train(*data, tmp_path / f"s{seed}", num_steps=4, steps_per_epoch=4, seed=seed)
        losses.append([r["train_loss"] for r in read_jsonl(tmp_path / f"s{seed}" / "train.jsonl")])
    assert max(abs(a - b) for a, b in zip(*losses, strict=True)) > 1e-4


@pytest.mark.falsifies("GATE-TRAIN-EXHAUST", "INV-TRAIN-011")
def test_cpu_exhaustion_cycles_with_real_compute_not_placeholder(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                                 ) -> None:
    ds, tok = make_data(tmp_path, n_tokens=17 * 20)  # 20 windows: 8 held out, 3 train batches per pass
    with caplog.at_level("WARNING"):
        result = train(ds, tok, tmp_path / "run", num_steps=9, steps_per_epoch=3, allow_shard_cycle=True)
    assert result.status in ("FINISHED", "CONVERGED") and result.shard_cycles >= 2
    assert sum("GATE-TRAIN-EXHAUST" in r.getMessage() for r in caplog.records) == 1  # warned once
    records = read_jsonl(tmp_path / "run" / "train.jsonl")
    assert len(records) == 9
    for r in records:
        assert math.isfinite(r["train_loss"]) and (r["train_loss"], r["grad_norm"]) != (1.0, 1.0)
    for epoch in (1, 2, 3):
        meta = json.loads((tmp_path / "run" / "ckpt" / f"epoch-{epoch:03d}.metadata.json").read_text())
        assert meta["train_ppl"] != pytest.approx(math.e, abs=0) and meta["grad_norm_max"] != 1.0


@pytest.mark.falsifies("GATE-CORPUS-PREFLIGHT", "GATE-TRAIN-EXHAUST", "INV-TRAIN-011")
def test_cpu_exhaustion_halts_without_allow_shard_cycle(tmp_path: Path) -> None:
    from trainer.errors import PreflightError

    ds, tok = make_data(tmp_path, n_tokens=17 * 20)
    with pytest.raises(PreflightError) as exc:
        train(ds, tok, tmp_path / "run", num_steps=9, steps_per_epoch=3)
    assert exc.value.gate_id == "GATE-CORPUS-PREFLIGHT" and "factor 3.00x" in str(exc.value)


@pytest.mark.falsifies("GATE-TRAIN-005", "INV-TRAIN-005")
def test_gate_train_005_in_loop_aborts_before_checkpointing_the_diverged_epoch(
        tmp_path: Path, data: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    _scripted_eval(monkeypatch, [5.6, 3.5, 7.1])
    run = tmp_path / "run"
    result = train(*data, run, num_steps=6, steps_per_epoch=2)
    assert (result.status, result.gate_id) == ("ABORTED", "GATE-TRAIN-005")
    assert "DIVERGENCE at epoch 2: val_loss 7.1000 > 2.0 x 3.5000" in result.detail
    assert result.epochs_completed == 1 and result.steps_completed == 4
    names = sorted(p.name for p in (run / "ckpt").glob("epoch-*"))
    assert "epoch-002.apr" not in names and "epoch-002.metadata.json" not in names
    assert "epoch-001.apr" in names


@pytest.mark.falsifies("GATE-TRAIN-EVAL", "INV-TRAIN-013")
def test_gate_train_eval_in_loop_aborts_implausible_val(tmp_path: Path, data: tuple[Path, Path],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _scripted_eval(monkeypatch, [5.6, 0.0008])
    result = train(*data, tmp_path / "run", num_steps=4, steps_per_epoch=2)
    assert (result.status, result.gate_id) == ("ABORTED", "GATE-TRAIN-EVAL")
    assert not (tmp_path / "run" / "ckpt" / "epoch-001.apr").exists()


@pytest.mark.falsifies("GATE-TRAIN-004", "INV-TRAIN-004")
def test_early_stop_after_patience(tmp_path: Path, data: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    _scripted_eval(monkeypatch, [5.6, 5.0, 5.1, 5.2, 5.3, 5.4, 5.5])
    result = train(*data, tmp_path / "run", num_steps=12, steps_per_epoch=2, patience=2, min_epochs=3)
    assert result.status == "EARLY_STOP"
    assert result.epochs_completed == 4 and result.steps_completed == 8  # 3 non-improvements > patience 2
    assert result.best_val_loss == 5.0 and result.best_epoch == 1


@pytest.mark.falsifies("GATE-TRAIN-003")
def test_converged_only_when_target_met_on_learnable_corpus(tmp_path: Path) -> None:
    ds, tok = make_data(tmp_path, n_tokens=20_000, phrases=4)
    result = train(ds, tok, tmp_path / "run", num_steps=40, steps_per_epoch=10, lr=1e-2, warmup_steps=5,
                   target_val_loss=2.0, min_epochs=1)
    assert result.initial_val_loss > 5.0
    assert result.status == "CONVERGED" and result.final_val_loss <= 2.0
    assert result.final_val_loss < result.initial_val_loss - 3.0  # it really learned
    data = json.loads((tmp_path / "run" / "result.json").read_text())
    assert data["status"] == "CONVERGED" and data["final_val_loss"] == result.final_val_loss
    assert (tmp_path / "run" / "loss.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.falsifies("GATE-TRAIN-003")
def test_unmet_target_is_finished_not_converged(tmp_path: Path, data: tuple[Path, Path]) -> None:
    result = train(*data, tmp_path / "run", num_steps=2, steps_per_epoch=2, target_val_loss=0.01)
    assert result.status == "FINISHED" and "did not reach target" in result.detail
    assert "NOT reached" in result.text_block()


@pytest.mark.falsifies("GATE-TRAIN-002", "INV-TRAIN-002")
def test_short_last_epoch_and_val_shard(tmp_path: Path, data: tuple[Path, Path]) -> None:
    from pretrain_helpers import learnable_tokens, write_shards

    ds, tok = data
    val = write_shards(tmp_path / "val", learnable_tokens(2_000, VOCAB, seed=9))
    run = tmp_path / "run"
    result = train(ds, tok, run, num_steps=5, steps_per_epoch=2, val_shard=val)
    assert result.epochs_completed == 3 and result.steps_completed == 5  # epochs of 2, 2 and 1 steps
    last = json.loads((run / "ckpt" / "epoch-003.metadata.json").read_text())
    assert last["step"] == 5 and last["tokens_seen"] == 5 * 4 * 16
    assert [r["epoch"] for r in read_jsonl(run / "train.jsonl")] == [1, 1, 2, 2, 3]
    # val_loss comes from --val-shard: an independent evaluation of its windows gives the step-0 value
    from trainer.data.reader import WindowReader

    torch.manual_seed(42)
    model = LlamaForCausalLM(get_preset("tiny", vocab_size=VOCAB))
    reader = WindowReader(ds, 16, 4, 42, 2, val_shards=val)
    assert loop.evaluate(model, reader.val_batches()) == result.initial_val_loss
