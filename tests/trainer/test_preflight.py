"""Preflight gates: each refuses bad input before any model exists, naming the gate, the numbers and the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pretrain_helpers import VOCAB, argv, forbid_model_allocation, make_data, write_shards, write_vocab

from trainer.cli import main
from trainer.errors import PreflightError
from trainer.train import preflight
from trainer.train.options import TrainOptions


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any real model construction fails the test: preflight must refuse first."""
    forbid_model_allocation(monkeypatch)


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, Path]:
    return make_data(tmp_path)


def _refused(capsys: pytest.CaptureFixture[str], args: list[str], gate: str) -> str:
    rc = main(args)
    err = capsys.readouterr().err
    assert rc == 3, err
    lines = [line for line in err.splitlines() if line.startswith("apr: error:")]
    assert len(lines) == 1 and gate in lines[0], err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.falsifies("GATE-ARCH-370M-011")
def test_preflight_rejects_tokenizer_vocab_mismatch(tmp_path: Path, data: tuple[Path, Path], no_model: None,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    ds, _ = data
    tok = write_vocab(tmp_path / "tok300", 300)
    line = _refused(capsys, argv(ds, tok, tmp_path / "run"), "GATE-ARCH-370M-011")
    assert "tokenizer vocab_size (300) != model vocab_size (256)" in line
    assert "INV-ARCH-370M-006" in line and "fix:" in line and "--vocab-size 256" in line
    assert not (tmp_path / "run").exists()  # refused before the run dir was created


@pytest.mark.falsifies("GATE-ARCH-370M-011")
def test_preflight_accepts_matching_vocab(tmp_path: Path, data: tuple[Path, Path], no_model: None) -> None:
    ds, tok = data
    assert sorted(p.name for p in tok.iterdir()) == ["vocab.json"]  # a dir with only vocab.json is valid
    report = preflight.run_preflight(_opts(ds, tok, tmp_path / "run"))
    assert report.tokenizer_vocab == VOCAB == report.model_config.vocab_size


@pytest.mark.falsifies("GATE-ARCH-370M-011")
def test_preflight_helper_rejects_mismatch_against_370m_preset(tmp_path: Path, data: tuple[Path, Path],
                                                               no_model: None) -> None:
    ds, _ = data
    tok = write_vocab(tmp_path / "tok50000", 50000)  # the pre-v1.5.0 tokenizer size
    with pytest.raises(PreflightError) as exc:
        preflight.run_preflight(_opts(ds, tok, tmp_path / "run", model="llama-370m", vocab_size=None))
    assert exc.value.gate_id == "GATE-ARCH-370M-011"
    assert "(50000) != model vocab_size (50257)" in str(exc.value)


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-ARCH-009", "FALSIFY-APR-PRETRAIN-ARCH-010", "GATE-ARCH-370M-011")
def test_preflight_vocab_gate_relaxed_under_init() -> None:
    preflight.check_vocab(151665, 151936, relaxed=True, tokenizer="qwen", model="init.apr")
    preflight.check_vocab(151936, 151936, relaxed=True, tokenizer="qwen", model="init.apr")
    with pytest.raises(PreflightError) as exc:
        preflight.check_vocab(151937, 151936, relaxed=True, tokenizer="big", model="init.apr")
    text = str(exc.value)
    assert exc.value.gate_id == "GATE-ARCH-370M-011-RELAXED"
    assert "RELAXED" in text and "OOB" in text and "151937" in text and "151936" in text
    with pytest.raises(PreflightError):  # strict form: smaller is not equal
        preflight.check_vocab(151665, 151936, relaxed=False, tokenizer="qwen", model="preset")


def test_preflight_unreadable_vocab_names_gate(tmp_path: Path, data: tuple[Path, Path], no_model: None,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    ds, _ = data
    bad = tmp_path / "badtok"
    bad.mkdir()
    (bad / "vocab.json").write_text("{not json", encoding="utf-8")
    line = _refused(capsys, argv(ds, bad, tmp_path / "run"), "GATE-ARCH-370M-011")
    assert "not a valid vocab.json" in line


def test_preflight_rejects_missing_dataset(tmp_path: Path, data: tuple[Path, Path], no_model: None,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    _, tok = data
    line = _refused(capsys, argv(tmp_path / "nope", tok, tmp_path / "run"), "GATE-DATA-001")
    assert "does not exist" in line


def test_preflight_rejects_empty_dataset(tmp_path: Path, data: tuple[Path, Path], no_model: None,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    _, tok = data
    empty = write_shards(tmp_path / "empty", np.zeros(0, dtype=np.uint32))
    line = _refused(capsys, argv(empty, tok, tmp_path / "run"), "GATE-DATA-001")
    assert "holds no tokens" in line


@pytest.mark.falsifies("GATE-PREFLIGHT-TOKEN-RANGE")
def test_preflight_rejects_token_id_at_vocab_never_clamps(tmp_path: Path, data: tuple[Path, Path],
                                                          no_model: None, capsys: pytest.CaptureFixture[str]) -> None:
    _, tok = data
    tokens = np.arange(6000, dtype=np.uint32) % VOCAB
    tokens[4321] = VOCAB  # one id exactly at V
    ds = write_shards(tmp_path / "oov", tokens)
    line = _refused(capsys, argv(ds, tok, tmp_path / "run"), "GATE-PREFLIGHT-TOKEN-RANGE")
    assert "token id 256 >= model vocab_size 256" in line and "INV-PRETOK-001" in line


@pytest.mark.falsifies("GATE-CORPUS-PREFLIGHT")
def test_preflight_refuses_planned_tokens_over_corpus(tmp_path: Path, data: tuple[Path, Path], no_model: None,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = data  # 12,000 tokens = 705 windows of 17; 8 held out -> 174 batches of 4 per pass
    line = _refused(capsys, argv(ds, tok, tmp_path / "run", num_steps=200), "GATE-CORPUS-PREFLIGHT")
    assert "FALSIFY-CORPUS-004" in line and "planned_tokens=12800" in line and "factor 1.15x" in line
    assert "--allow-shard-cycle" in line


@pytest.mark.falsifies("GATE-CORPUS-PREFLIGHT")
def test_preflight_allow_shard_cycle_warns_instead(tmp_path: Path, data: tuple[Path, Path], no_model: None) -> None:
    ds, tok = data
    report = preflight.run_preflight(_opts(ds, tok, tmp_path / "run", num_steps=200, allow_shard_cycle=True))
    assert report.cycle_factor == pytest.approx(200 / 174)
    assert any(w.startswith("GATE-CORPUS-PREFLIGHT") and "cycling" in w for w in report.warnings)


@pytest.mark.falsifies("GATE-CORPUS-PREFLIGHT")
def test_preflight_refuses_grad_accum_over_one_pass_even_when_cycling(
        tmp_path: Path, data: tuple[Path, Path], no_model: None, capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = data  # 174 batches of 4 per pass (see above)
    line = _refused(capsys, argv(ds, tok, tmp_path / "run", "--allow-shard-cycle", num_steps=1,
                                 grad_accum=1_000_000_000), "GATE-CORPUS-PREFLIGHT")
    assert "--grad-accum 1000000000" in line and "holds 174" in line and "--grad-accum <= 174" in line
    report = preflight.run_preflight(_opts(ds, tok, tmp_path / "run2", num_steps=1, grad_accum=174))
    assert report.cycle_factor == pytest.approx(1.0)  # exactly one pass in one step is fine


@pytest.mark.falsifies("GATE-PREFLIGHT-SEQ")
def test_preflight_rejects_seq_length_over_positions(tmp_path: Path, data: tuple[Path, Path], no_model: None,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = data
    line = _refused(capsys, argv(ds, tok, tmp_path / "run", seq_length=513), "GATE-PREFLIGHT-SEQ")
    assert "--seq-length 513 exceeds" in line and "max_position_embeddings 512" in line


@pytest.mark.parametrize(
    ("flag", "value"),
    [("target_val_loss", 0), ("target_val_loss", -1.5), ("num_steps", -1), ("steps_per_epoch", 0),
     ("batch_size", 0), ("grad_accum", 0), ("lr", 0)],
)
@pytest.mark.falsifies("GATE-PREFLIGHT-ARGS")
def test_preflight_rejects_invalid_numbers(tmp_path: Path, data: tuple[Path, Path], no_model: None,
                                           capsys: pytest.CaptureFixture[str], flag: str, value: float) -> None:
    ds, tok = data
    line = _refused(capsys, argv(ds, tok, tmp_path / "run", **{flag: value}), "GATE-PREFLIGHT-ARGS")
    assert f"--{flag.replace('_', '-')} {value}" in line


@pytest.mark.falsifies("GATE-PREFLIGHT-RUNDIR")
def test_preflight_rejects_run_dir_holding_a_run(tmp_path: Path, data: tuple[Path, Path], no_model: None,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = data
    run = tmp_path / "run"
    run.mkdir()
    (run / "result.json").write_text("{}", encoding="utf-8")
    line = _refused(capsys, argv(ds, tok, run), "GATE-PREFLIGHT-RUNDIR")
    assert "already holds a run (found result.json)" in line and "--resume" in line


@pytest.mark.falsifies("GATE-PREFLIGHT-RUNDIR")
def test_preflight_rejects_run_dir_that_is_a_file(tmp_path: Path, data: tuple[Path, Path], no_model: None,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = data
    (tmp_path / "file").write_text("x", encoding="utf-8")
    _refused(capsys, argv(ds, tok, tmp_path / "file"), "GATE-PREFLIGHT-RUNDIR")


@pytest.mark.falsifies("GATE-PREFLIGHT-RUNDIR")
def test_preflight_resume_without_checkpoint(tmp_path: Path, data: tuple[Path, Path], no_model: None,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = data
    line = _refused(capsys, argv(ds, tok, tmp_path / "run", "--resume"), "GATE-PREFLIGHT-RUNDIR")
    assert "holds no checkpoint to resume" in line


@pytest.mark.falsifies("GATE-GPUTRAIN-002")
def test_preflight_explicit_cuda_without_cuda_is_fatal(tmp_path: Path, data: tuple[Path, Path], no_model: None,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    ds, tok = data
    for device in ("cuda", "cuda:1"):
        line = _refused(capsys, argv(ds, tok, tmp_path / "run", device=device), "GATE-GPUTRAIN-002")
        assert f"--device {device} requested but CUDA is not available" in line


@pytest.mark.falsifies("GATE-GPUTRAIN-002")
def test_preflight_auto_device_falls_back_and_says_so() -> None:
    from trainer.train.device import resolve_device

    auto = resolve_device("auto", cuda_available=False, cuda_count=0)
    assert auto.name == "cpu" and "CUDA not available" in auto.note
    assert resolve_device("auto", cuda_available=True, cuda_count=1).name == "cuda:0"
    assert resolve_device("cuda:1", cuda_available=True, cuda_count=2).name == "cuda:1"
    with pytest.raises(PreflightError, match="only 1 CUDA device"):
        resolve_device("cuda:3", cuda_available=True, cuda_count=1)


def test_preflight_init_missing_file_refused_before_allocation(tmp_path: Path, data: tuple[Path, Path],
                                                              no_model: None,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = data
    args = argv(ds, tok, tmp_path / "run", "--init", str(tmp_path / "missing.apr"), vocab_size=None)
    line = _refused(capsys, args, "FALSIFY-APR-PRETRAIN-INIT-003")
    assert "missing.apr" in line


def _opts(ds: Path, tok: Path, run_dir: Path, **kw: object) -> TrainOptions:
    base: dict[str, object] = {"dataset": ds, "tokenizer": tok, "run_dir": run_dir, "mode": "from-scratch",
                               "model": "tiny", "vocab_size": VOCAB, "num_steps": 6, "batch_size": 4,
                               "seq_length": 16, "steps_per_epoch": 2, "val_batches": 2, "device": "cpu"}
    base.update(kw)
    return TrainOptions(**base)  # type: ignore[arg-type]


def test_allocation_guard_is_not_vacuous(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard the tests above rely on really fires on a real build (and allows meta planning)."""
    import torch

    from trainer.model import LlamaForCausalLM
    from trainer.presets import get_preset

    forbid_model_allocation(monkeypatch)
    with torch.device("meta"):
        LlamaForCausalLM(get_preset("tiny"))
    with pytest.raises(AssertionError, match="allocated before preflight"):
        LlamaForCausalLM(get_preset("tiny"))


@pytest.mark.falsifies("GATE-PREFLIGHT-TOKEN-RANGE")
def test_preflight_checks_val_shard_token_range_too(tmp_path: Path, data: tuple[Path, Path], no_model: None,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = data
    bad = np.arange(3000, dtype=np.uint32) % VOCAB
    bad[-1] = VOCAB + 7
    val = write_shards(tmp_path / "val", bad)
    line = _refused(capsys, argv(ds, tok, tmp_path / "run", "--val-shard", str(val)), "GATE-PREFLIGHT-TOKEN-RANGE")
    assert "token id 263 >= model vocab_size 256" in line and str(val) in line


@pytest.mark.falsifies("GATE-TRAIN-005", "INV-TRAIN-005")
def test_preflight_refuses_finetune_without_init_when_ln_v_exceeds_cap(tmp_path: Path, data: tuple[Path, Path],
                                                                       no_model: None,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    ds, _ = data
    tok = write_vocab(tmp_path / "tok30k", 30000)  # ln 30000 = 10.31 > 10.0
    line = _refused(capsys, argv(ds, tok, tmp_path / "run", mode="finetune", vocab_size=30000),
                    "GATE-TRAIN-005")
    assert "ln(30000) = 10.31 > the finetune epoch-0 cap 10.0" in line and "--mode from-scratch" in line
    # Below the cap the regime is allowed (a tiny vocab's random init scores ln 256 = 5.5).
    report = preflight.run_preflight(_opts(ds, data[1], tmp_path / "ok", mode="finetune"))
    assert report.model_config.vocab_size == VOCAB


@pytest.mark.falsifies("GATE-DATA-003")
def test_preflight_refuses_val_shard_that_is_a_training_file(tmp_path: Path, data: tuple[Path, Path],
                                                             no_model: None,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = data
    line = _refused(capsys, argv(ds, tok, tmp_path / "run", "--val-shard", str(ds / "shard-00000.bin")),
                    "GATE-DATA-003")
    assert "is the same file as" in line and "--val-shard" in line
    # The whole dataset directory as --val-shard is refused too.
    _refused(capsys, argv(ds, tok, tmp_path / "run", "--val-shard", str(ds)), "GATE-DATA-003")
    assert not (tmp_path / "run").exists()


@pytest.mark.falsifies("GATE-DATA-003")
def test_preflight_refuses_val_shard_with_a_training_files_bytes(tmp_path: Path, data: tuple[Path, Path],
                                                                 no_model: None,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = data
    copy = tmp_path / "val" / "shard-00000.bin"
    copy.parent.mkdir()
    copy.write_bytes((ds / "shard-00000.bin").read_bytes())
    line = _refused(capsys, argv(ds, tok, tmp_path / "run", "--val-shard", str(copy.parent)), "GATE-DATA-003")
    assert "has the same content (sha256) as" in line
    # Different bytes are accepted.
    from pretrain_helpers import learnable_tokens

    other = write_shards(tmp_path / "val2", learnable_tokens(3000, seed=5))
    report = preflight.run_preflight(_opts(ds, tok, tmp_path / "ok", val_shard=other))
    assert report.reader is not None


def test_preflight_unknown_preset_is_a_preflight_refusal(tmp_path: Path, data: tuple[Path, Path], no_model: None,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = data
    line = _refused(capsys, argv(ds, tok, tmp_path / "run", model="nope"), "FM-ARCH-UNKNOWN-PRESET")
    assert "'nope'" in line and "tiny" in line


@pytest.mark.falsifies("GATE-PREFLIGHT-ARGS")
@pytest.mark.parametrize("seed", [2**70, 2**63, -1])
def test_preflight_rejects_seed_out_of_range(tmp_path: Path, data: tuple[Path, Path], no_model: None,
                                             capsys: pytest.CaptureFixture[str], seed: int) -> None:
    ds, tok = data
    line = _refused(capsys, argv(ds, tok, tmp_path / "run", seed=seed), "GATE-PREFLIGHT-ARGS")
    assert f"--seed {seed}" in line


@pytest.mark.falsifies("GATE-CORPUS-PREFLIGHT")
def test_corpus_budget_takes_the_options_planned_tokens(tmp_path: Path) -> None:
    """The budget gate uses TrainOptions.planned_tokens (one definition of the product), not its own copy."""
    from trainer.errors import PreflightError
    from trainer.train.options import TrainOptions
    from trainer.train.preflight import check_corpus_budget

    opts = TrainOptions(dataset=None, tokenizer=None, run_dir=tmp_path, num_steps=10, grad_accum=2, batch_size=4,
                        seq_length=8)
    assert opts.planned_tokens == 10 * 2 * 4 * 8
    with pytest.raises(PreflightError) as exc:
        check_corpus_budget(planned_tokens=opts.planned_tokens, batches_per_pass=10, batch_tokens=32,
                            allow_cycle=False)
    line = str(exc.value).splitlines()[0]
    assert "GATE-CORPUS-PREFLIGHT" in line and "planned_tokens=640" in line and "20 batches planned" in line
