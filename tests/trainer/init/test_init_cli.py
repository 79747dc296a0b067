"""`apr pretrain --init` end to end through the CLI, with tiny checkpoints (fast)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from init_helpers import llama_micro, qwen2_micro, random_state, write_gguf, write_hf_dir

from trainer.checkpoint.arch import to_hf_config
from trainer.cli import build_parser, main


def _data(root: Path, vocab: int, n_tokens: int = 4000) -> tuple[Path, Path]:
    """Shards of ids < vocab and a vocab.json-only tokenizer dir (what the vocab gate counts)."""
    rng = np.random.default_rng(0)
    ds = root / "shards"
    ds.mkdir(parents=True)
    rng.integers(0, vocab, size=n_tokens).astype("<u4").tofile(ds / "shard-00000.bin")
    tok = root / "tok"
    tok.mkdir()
    (tok / "vocab.json").write_text(json.dumps({f"t{i}": i for i in range(vocab)}))
    return ds, tok


def _argv(init: Path, ds: Path, tok: Path, run: Path, *extra: str) -> list[str]:
    return [
        "pretrain", "--init", str(init), "--dataset", str(ds), "--tokenizer", str(tok), "--run-dir", str(run),
        "--num-steps", "0", "--batch-size", "2", "--seq-length", "16", "--val-batches", "2", "--device", "cpu",
        "--no-progress", *extra,
    ]


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-001")
def test_pretrain_init_flag_parses_path_and_defaults_to_none() -> None:
    parser = build_parser()
    with_init = parser.parse_args(["pretrain", "--run-dir", "r", "--init", "some/model.gguf"])
    without = parser.parse_args(["pretrain", "--run-dir", "r"])
    assert with_init.init == Path("some/model.gguf")
    assert without.init is None


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-007")
def test_pretrain_help_documents_init(capsys: pytest.CaptureFixture[str]) -> None:
    """The flag, its help text and the doc that explains it stay in step (the seed's 3-surface rule)."""
    with pytest.raises(SystemExit) as exc:
        main(["pretrain", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "--init" in text and "GGUF" in text
    doc = (Path(__file__).resolve().parents[3] / "docs" / "init.md").read_text(encoding="utf-8")
    for falsifier in ("FALSIFY-APR-PRETRAIN-INIT-003", "FALSIFY-APR-PRETRAIN-INIT-004",
                      "FALSIFY-APR-PRETRAIN-INIT-005", "FALSIFY-APR-PRETRAIN-ARCH-007",
                      "FALSIFY-INIT-ARCH-MATCH-001", "FALSIFY-APR-PRETRAIN-INIT-011"):
        assert falsifier in doc, falsifier


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-003")
def test_pretrain_cli_missing_init_exits_3_before_any_run_artifact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ds, tok = _data(tmp_path, 97)
    missing = tmp_path / "nope.apr"
    rc = main(_argv(missing, ds, tok, tmp_path / "run"))
    err = capsys.readouterr().err
    assert rc == 3 and "FALSIFY-APR-PRETRAIN-INIT-003" in err and str(missing) in err
    assert "Traceback" not in err and not (tmp_path / "run" / "ckpt").exists()


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-004")
def test_pretrain_cli_bad_magic_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = _data(tmp_path, 97)
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUX" + bytes(60))
    rc = main(_argv(bad, ds, tok, tmp_path / "run"))
    err = capsys.readouterr().err
    assert rc == 3 and "FALSIFY-APR-PRETRAIN-INIT-004" in err and "47 47 55 58" in err
    assert not (tmp_path / "run" / "ckpt").exists()


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-ARCH-007")
def test_pretrain_cli_refuses_bert(bert_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = _data(tmp_path, 97)
    rc = main(_argv(bert_dir, ds, tok, tmp_path / "run"))
    err = capsys.readouterr().err
    assert rc == 3 and "FALSIFY-APR-PRETRAIN-ARCH-007" in err and "encoder" in err


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-010")
def test_pretrain_init_num_steps_0_twice_is_byte_identical(tmp_path: Path) -> None:
    """init -> --num-steps 0 -> checkpoint, twice: identical bytes, and the checkpoint holds the init weights."""
    from trainer.checkpoint.apr import load_apr

    cfg = llama_micro()
    tensors = random_state(cfg, seed=4)
    init = write_gguf(tmp_path / "init.gguf", cfg, tensors)  # GGUF: exercises dequant + unpermute too
    ds, tok = _data(tmp_path, cfg.vocab_size)
    runs = [tmp_path / "run1", tmp_path / "run2"]
    for run in runs:
        assert main(_argv(init, ds, tok, run)) == 0
    a, b = (run / "ckpt" / "epoch-000.apr" for run in runs)
    assert a.read_bytes() == b.read_bytes()
    saved = load_apr(a).tensors
    assert set(saved) == set(tensors)
    for name, t in tensors.items():
        assert torch.equal(saved[name], t), name
    result = json.loads((runs[0] / "result.json").read_text())
    assert result["status"] == "FINISHED" and result["init"] == str(init)
    assert result["model"]["hidden_size"] == cfg.hidden_size and result["model"]["vocab_size"] == cfg.vocab_size


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-009")
def test_pretrain_init_optimizer_state_is_empty_at_step_0(tmp_path: Path) -> None:
    """The step-0 checkpoint of an --init run carries no Adam moments: only weights came from the file."""
    from safetensors import safe_open

    q = qwen2_micro()
    init = write_hf_dir(tmp_path / "hf", q, random_state(q, seed=2))
    ds, tok = _data(tmp_path, q.vocab_size - 5)  # relaxed gate: a smaller tokenizer is accepted
    run = tmp_path / "run"
    assert main(_argv(init, ds, tok, run)) == 0
    optim = run / "ckpt" / "epoch-000.optim.safetensors"
    with safe_open(str(optim), "pt") as f:
        keys = list(f.keys())
    assert not any("exp_avg" in k for k in keys), keys
    meta = json.loads((run / "ckpt" / "epoch-000.metadata.json").read_text())
    assert meta["step"] == 0 and meta["tokens_seen"] == 0


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-ARCH-010")
def test_pretrain_init_oversized_tokenizer_refused_relaxed_oob(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = llama_micro()
    init = write_hf_dir(tmp_path / "hf", cfg, random_state(cfg))
    ds, tok = _data(tmp_path, cfg.vocab_size + 1)
    rc = main(_argv(init, ds, tok, tmp_path / "run"))
    err = capsys.readouterr().err
    assert rc == 3 and "RELAXED" in err and "OOB" in err and "98" in err and "97" in err


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-002")
def test_pretrain_without_init_is_the_unchanged_from_scratch_path(tmp_path: Path) -> None:
    """No --init: the preset builds the model (random init), result.init is null, and --synthetic still works."""
    ds, tok = _data(tmp_path, 256)
    run = tmp_path / "scratch"
    rc = main([
        "pretrain", "--mode", "from-scratch", "--model", "tiny", "--vocab-size", "256", "--dataset", str(ds),
        "--tokenizer", str(tok), "--run-dir", str(run), "--num-steps", "2", "--steps-per-epoch", "2",
        "--batch-size", "2", "--seq-length", "16", "--val-batches", "2", "--device", "cpu", "--no-progress",
    ])
    assert rc == 0
    result = json.loads((run / "result.json").read_text())
    assert result["init"] is None and result["synthetic"] is False and result["steps_completed"] == 2
    assert result["model"]["hidden_size"] == 128 and result["vocab_size"] == 256  # the 'tiny' preset
    rc_syn = main(["pretrain", "--synthetic", "--run-dir", str(tmp_path / "syn"), "--num-steps", "3",
                   "--no-progress"])
    assert rc_syn == 0 and not (tmp_path / "syn" / "ckpt").exists()


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-INIT-FINETUNE-004")
def test_pretrain_init_writes_apr_v2_checkpoints_per_epoch(tmp_path: Path) -> None:
    """A short --init fine-tune writes ckpt/epoch-NNN.apr files starting with the APR v2 magic."""
    cfg = llama_micro()
    init = write_hf_dir(tmp_path / "hf", cfg, random_state(cfg, seed=6))
    ds, tok = _data(tmp_path, cfg.vocab_size)
    run = tmp_path / "run"
    argv = _argv(init, ds, tok, run)
    argv[argv.index("--num-steps") + 1] = "4"
    rc = main([*argv, "--steps-per-epoch", "2", "--lr", "1e-3", "--warmup-steps", "1", "--min-epochs", "1"])
    assert rc == 0
    ckpts = sorted((run / "ckpt").glob("epoch-*.apr"))
    assert [p.name for p in ckpts][-1] == "epoch-002.apr"
    for p in ckpts:
        assert p.read_bytes()[:4] == b"APR\x00", p
    result = json.loads((run / "result.json").read_text())
    assert result["steps_completed"] == 4 and result["init"] == str(init)
    # Our own checkpoint goes back through the init path (what `apr generate --model` does).
    from trainer.checkpoint.apr import load_apr
    from trainer.generate import generate_ids, load_model

    model, spec = load_model(ckpts[-1])
    assert spec.format == "apr" and spec.config.hidden_size == cfg.hidden_size
    saved = load_apr(ckpts[-1]).tensors
    for name, p in model.named_parameters():
        assert torch.equal(p.detach(), saved[name]), name
    assert not torch.equal(saved["model.norm.weight"], random_state(cfg, seed=6)["model.norm.weight"])  # trained
    assert len(generate_ids(model, [1, 2, 3], max_new_tokens=3)) == 3


def test_generate_convert_inspect_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One-line refusals with their IDs: no tokenizer, existing destination, GGUF output, broken file."""
    cfg = llama_micro()
    d = write_hf_dir(tmp_path / "hf", cfg, random_state(cfg))
    assert main(["generate", "--model", str(d), "--prompt", "x"]) == 2
    assert "APR-GENERATE-TOKENIZER" in capsys.readouterr().err
    (tmp_path / "out.apr").write_bytes(b"keep me")
    assert main(["convert", str(d), str(tmp_path / "out.apr"), "--to", "apr"]) == 2
    assert "APR-CONVERT-OUT" in capsys.readouterr().err and (tmp_path / "out.apr").read_bytes() == b"keep me"
    with pytest.raises(SystemExit) as exc:
        main(["convert", str(d), str(tmp_path / "x.gguf"), "--to", "gguf"])
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err
    bad = tmp_path / "model.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}")
    assert main(["inspect", str(bad)]) == 3
    err = capsys.readouterr().err
    assert "FALSIFY-APR-PRETRAIN-INIT-004" in err and "config.json" in err and "Traceback" not in err


def test_convert_hf_to_apr_and_back_is_exact(tmp_path: Path) -> None:
    """Tiny Qwen2 (biases) through apr convert both ways: tensors and config unchanged."""
    from trainer.checkpoint.apr import load_apr
    from trainer.checkpoint.init import inspect_init

    q = qwen2_micro()
    tensors = random_state(q, seed=12)
    d = write_hf_dir(tmp_path / "hf", q, tensors)
    assert main(["convert", str(d), str(tmp_path / "q.apr"), "--to", "apr"]) == 0
    assert main(["convert", str(tmp_path / "q.apr"), str(tmp_path / "back"), "--to", "hf"]) == 0
    saved = load_apr(tmp_path / "q.apr").tensors
    spec = inspect_init(tmp_path / "back")
    assert to_hf_config(spec.config) == to_hf_config(q)
    for name, t in tensors.items():
        assert torch.equal(saved[name], t) and torch.equal(spec.reader.load_tensor(name), t), name


@pytest.mark.falsifies("GATE-GPUTRAIN-002")
def test_generate_explicit_cuda_without_cuda_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = llama_micro()
    d = write_hf_dir(tmp_path / "hf", cfg, random_state(cfg))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["generate", "--model", str(d), "--prompt", "x", "--device", "cuda"]) == 3
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("apr: error:")]
    assert len(lines) == 1 and "GATE-GPUTRAIN-002" in lines[0] and "Traceback" not in err
    with pytest.raises(SystemExit) as exc:
        main(["generate", "--model", str(d), "--prompt", "x", "--device", "gpu"])
    assert exc.value.code == 2 and "invalid device 'gpu'" in capsys.readouterr().err


@pytest.mark.parametrize("temperature", ["nan", "inf", "-inf"])
def test_generate_refuses_non_finite_temperature(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 temperature: str) -> None:
    rc = main(["generate", "--model", str(tmp_path / "never-loaded"), "--prompt", "x", f"--temperature={temperature}"])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("apr: error:")]
    assert rc == 2 and len(lines) == 1 and "APR-GENERATE-ARGS" in lines[0], err
    assert "finite" in lines[0]


def test_generate_refuses_prompt_ids_outside_model_vocab(tmp_path: Path) -> None:
    from trainer.errors import AprError
    from trainer.generate import generate_ids, load_model

    cfg = llama_micro()
    model, _ = load_model(write_hf_dir(tmp_path / "hf", cfg, random_state(cfg)))
    with pytest.raises(AprError) as exc:
        generate_ids(model, [1, cfg.vocab_size], max_new_tokens=2)
    assert exc.value.gate_id == "APR-GENERATE-TOKENIZER"
    assert f"token id {cfg.vocab_size}" in str(exc.value).splitlines()[0]
    assert len(generate_ids(model, [1, cfg.vocab_size - 1], max_new_tokens=2)) == 2
