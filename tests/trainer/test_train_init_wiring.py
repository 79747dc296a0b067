"""`apr pretrain --init` wiring: inspect -> RELAXED vocab gate -> build from the checkpoint -> populate.

The readers themselves are tested by the init engineer (tests/trainer/init/); these tests pin the
loop's side of the path with a checkpoint this trainer wrote.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pretrain_helpers import argv, forbid_model_allocation, make_data, train, write_vocab

from trainer.cli import main


@pytest.fixture
def trained(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(dataset, tokenizer, run dir) of a 4-step tiny run with checkpoints."""
    ds, tok = make_data(tmp_path)
    run = tmp_path / "base"
    train(ds, tok, run, num_steps=4, steps_per_epoch=2)
    return ds, tok, run


@pytest.mark.falsifies("INV-TRAIN-019")
def test_init_from_own_checkpoint_continues_its_val_loss_exactly(tmp_path: Path,
                                                                 trained: tuple[Path, Path, Path]) -> None:
    ds, tok, base = trained
    import json

    base_result = json.loads((base / "result.json").read_text())
    result = train(ds, tok, tmp_path / "ft", num_steps=0, mode="finetune", vocab_size=None,
                   init=base / "ckpt" / "epoch-002.apr", model="llama-370m")
    # Same weights, same held-out batches: the fine-tune's step 0 IS the base run's last evaluation,
    # and the architecture came from the checkpoint, not from --model llama-370m.
    assert result.initial_val_loss == base_result["final_val_loss"]
    assert result.status == "FINISHED" and result.model["hidden_size"] == 128 and result.vocab_size == 256
    assert result.init.endswith("epoch-002.apr") and "populated" in (result.init_population or "")


@pytest.mark.falsifies("INV-TRAIN-019")
def test_init_relaxed_vocab_gate_refuses_larger_tokenizer_before_allocation(
        tmp_path: Path, trained: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    ds, _, base = trained
    forbid_model_allocation(monkeypatch)  # inspect_init may plan on the meta device, nothing more
    big = write_vocab(tmp_path / "tok300", 300)
    rc = main(argv(ds, big, tmp_path / "ft", "--init", str(base / "ckpt" / "epoch-002.apr"), vocab_size=None))
    err = capsys.readouterr().err
    assert rc == 3
    assert "GATE-ARCH-370M-011-RELAXED" in err and "RELAXED" in err and "OOB" in err
    assert "(300) > init model vocab_size (256)" in err


@pytest.mark.falsifies("INV-TRAIN-019")
def test_init_relaxed_vocab_gate_accepts_smaller_tokenizer(tmp_path: Path, trained: tuple[Path, Path, Path]) -> None:
    ds, _, base = trained
    small = write_vocab(tmp_path / "tok250", 250)  # the shards' ids must still be < 250 for the token gate
    from pretrain_helpers import learnable_tokens, write_shards

    ds_small = write_shards(tmp_path / "small", learnable_tokens(12_000, 250))
    result = train(ds_small, small, tmp_path / "ft", num_steps=0, vocab_size=None,
                   init=base / "ckpt" / "epoch-002.apr")
    assert result.status == "FINISHED" and result.vocab_size == 256
    del ds


@pytest.mark.falsifies("INV-TRAIN-019")
def test_init_rejects_vocab_size_override(tmp_path: Path, trained: tuple[Path, Path, Path],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok, base = trained
    rc = main(argv(ds, tok, tmp_path / "ft", "--init", str(base / "ckpt" / "epoch-002.apr")))  # argv adds --vocab-size
    assert rc == 3
    assert "GATE-PREFLIGHT-ARGS" in capsys.readouterr().err


@pytest.mark.falsifies("INV-TRAIN-019", "INV-TRAIN-014")
def test_resumed_init_run_keeps_its_init_population(tmp_path: Path, trained: tuple[Path, Path, Path]) -> None:
    import json

    ds, tok, base = trained
    ft = tmp_path / "ft"
    kw = {"num_steps": 4, "steps_per_epoch": 2, "mode": "finetune", "vocab_size": None,
          "init": base / "ckpt" / "epoch-002.apr", "model": "llama-370m"}

    def stop_at_3(steps_completed: int) -> None:
        if steps_completed == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(ds, tok, ft, step_hook=stop_at_3, **kw)
    population = json.loads((ft / "result.json").read_text())["init_population"]
    assert "populated" in (population or "")
    resumed = train(ds, tok, ft, resume=True, **kw)
    assert resumed.status == "FINISHED" and resumed.resumed_from_epoch == 1
    assert resumed.init_population == population
    assert json.loads((ft / "result.json").read_text())["init_population"] == population
