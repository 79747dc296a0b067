"""`apr pretrain` at the CLI: routing (GATE-TRAIN-010), mode defaults (GATE-TRAIN-009), output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pretrain_helpers import argv, make_data

from trainer.cli import build_parser, main
from trainer.commands.pretrain import options_from_args
from trainer.train.options import MODE_DEFAULTS

MINIMAL = ["pretrain", "--dataset", "d", "--tokenizer", "t", "--run-dir", "r"]


def _parse(*extra: str):  # -> argparse.Namespace
    return build_parser().parse_args([*MINIMAL, *extra])


@pytest.fixture
def routes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record which drive path `apr pretrain` takes, without running either."""
    import trainer.train.loop
    import trainer.train.preflight
    import trainer.train.synthetic
    from trainer.train.result import RunResult

    taken: list[str] = []

    def fake_preflight(opts: object) -> object:
        taken.append("preflight")
        raise SystemExit(0)

    def fake_synthetic(opts: object) -> RunResult:
        taken.append("synthetic")
        return RunResult(status="SYNTHETIC_FINISHED", detail="", synthetic=True)

    monkeypatch.setattr(trainer.train.preflight, "run_preflight", fake_preflight)
    monkeypatch.setattr(trainer.train.synthetic, "run_synthetic", fake_synthetic)
    return taken


@pytest.mark.falsifies("GATE-TRAIN-010", "INV-TRAIN-010")
def test_cli_pretrain_defaults_to_real_compute(routes: list[str]) -> None:
    args = _parse()
    assert args.synthetic is False
    assert options_from_args(args).synthetic is False
    with pytest.raises(SystemExit):
        main(MINIMAL)
    assert routes == ["preflight"]  # the real path: preflight, then the loop


@pytest.mark.falsifies("GATE-TRAIN-010", "INV-TRAIN-010")
def test_cli_pretrain_synthetic_flag_routes_to_synthetic(routes: list[str]) -> None:
    args = _parse("--synthetic")
    assert args.synthetic is True
    assert options_from_args(args).synthetic is True
    assert main([*MINIMAL, "--synthetic"]) == 0
    assert routes == ["synthetic"]


@pytest.mark.falsifies("GATE-TRAIN-010", "INV-TRAIN-010")
def test_cli_pretrain_synthetic_takes_no_value() -> None:
    # `--synthetic=false` must not exist as a way to spell the default: the flag is store_true.
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([*MINIMAL, "--synthetic=false"])
    assert exc.value.code == 2


@pytest.mark.falsifies("GATE-TRAIN-009", "INV-TRAIN-009")
def test_mode_from_scratch_applies_all_four_defaults() -> None:
    opts = options_from_args(_parse("--mode", "from-scratch"))
    assert (opts.mode, opts.lr, opts.warmup_steps, opts.target_val_loss) == ("from-scratch", 3e-4, 1000, 3.0)
    assert opts.lr_min == pytest.approx(3e-6)


@pytest.mark.falsifies("GATE-TRAIN-009", "INV-TRAIN-009")
def test_mode_from_scratch_honors_explicit_lr_override() -> None:
    opts = options_from_args(_parse("--mode", "from-scratch", "--lr", "1e-4"))
    assert (opts.mode, opts.lr, opts.warmup_steps, opts.target_val_loss) == ("from-scratch", 1e-4, 1000, 3.0)


@pytest.mark.falsifies("GATE-TRAIN-009", "INV-TRAIN-009")
def test_mode_finetune_is_default_and_matches_contract() -> None:
    default, explicit = options_from_args(_parse()), options_from_args(_parse("--mode", "finetune"))
    for opts in (default, explicit):
        assert (opts.mode, opts.lr, opts.warmup_steps, opts.target_val_loss) == ("finetune", 5e-5, 100, 2.2)
    assert MODE_DEFAULTS["finetune"].lr == 5e-5 and MODE_DEFAULTS["from-scratch"].warmup_steps == 1000


@pytest.mark.falsifies("GATE-TRAIN-009", "INV-TRAIN-009")
def test_mode_explicit_flags_win_over_every_default() -> None:
    opts = options_from_args(_parse("--mode", "from-scratch", "--lr", "2e-3", "--warmup-steps", "7",
                                    "--target-val-loss", "1.5"))
    assert (opts.lr, opts.warmup_steps, opts.target_val_loss) == (2e-3, 7, 1.5)
    opts = options_from_args(_parse("--warmup-steps", "0"))  # 0 is explicit, not "unset"
    assert opts.warmup_steps == 0 and opts.lr == 5e-5


def test_cli_seed_defaults() -> None:
    opts = options_from_args(_parse())
    assert (opts.num_steps, opts.batch_size, opts.seq_length, opts.steps_per_epoch, opts.seed, opts.device,
            opts.model, opts.grad_accum, opts.init) == (1000, 16, 1024, 100, 42, "auto", "llama-370m", 1, None)


@pytest.mark.falsifies("GATE-GPUTRAIN-002")
def test_cli_rejects_misspelled_device(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([*MINIMAL, "--device", "gpu"])
    assert exc.value.code == 2
    assert "invalid device 'gpu'" in capsys.readouterr().err


@pytest.mark.falsifies("GATE-TRAIN-010", "INV-TRAIN-010")
def test_cli_synthetic_run_is_labelled_everywhere_and_writes_no_checkpoint(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    rc = main(["pretrain", "--run-dir", str(run), "--synthetic", "--num-steps", "20", "--steps-per-epoch", "5"])
    out = capsys.readouterr().out
    assert rc == 0
    assert out.splitlines()[0].endswith("SYNTHETIC (scripted losses, no compute, no checkpoint)")
    assert "OK SYNTHETIC CONVERGED" in out
    data = json.loads((run / "result.json").read_text())
    assert data["synthetic"] is True and data["status"] == "SYNTHETIC_CONVERGED"
    assert data["val_loss_history"][-1] == pytest.approx(2.2)  # the script lands on the target
    assert not (run / "ckpt").exists() and not list(run.rglob("*.apr"))
    assert (run / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.falsifies("INV-TRAIN-018")
def test_cli_real_run_prints_header_result_and_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = make_data(tmp_path)
    run = tmp_path / "run"
    rc = main(argv(ds, tok, run, num_steps=4, target_val_loss=0.01))
    out = capsys.readouterr().out
    assert rc == 0
    lines = out.splitlines()
    assert lines[0] == "apr pretrain — training loop — REAL COMPUTE"
    assert "=== Configuration ===" in lines and "=== Run Result ===" in lines
    verdict = lines[lines.index("=== Run Result ===") + 1]
    assert verdict.startswith("OK FINISHED  final val_loss=") and "NOT reached" in verdict
    assert f"Result: {run / 'result.json'}" in lines and f"Loss plot: {run / 'loss.png'}" in lines
    for name in ("result.json", "loss.png", "train.jsonl", "run.json", "ckpt/epoch-002.apr"):
        assert (run / name).exists(), name


@pytest.mark.falsifies("INV-TRAIN-018")
def test_cli_json_prints_the_result_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds, tok = make_data(tmp_path)
    run = tmp_path / "run"
    rc = main(argv(ds, tok, run, "--json", num_steps=2, target_val_loss=50))
    captured = capsys.readouterr()
    assert rc == 0
    printed = json.loads(captured.out)  # stdout is pure JSON; the header went to stderr
    assert printed == json.loads((run / "result.json").read_text())
    assert printed["status"] == "CONVERGED" and printed["synthetic"] is False
    assert "=== Configuration ===" in captured.err


@pytest.mark.falsifies("GATE-TRAIN-007", "INV-TRAIN-007")
def test_cli_aborted_run_prints_fail_line_and_exits_4(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import trainer.train.loop as loop

    real = loop.cross_entropy_sum
    calls = {"n": 0}

    def poisoned(logits, targets):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        out = real(logits, targets)
        return out * float("nan") if calls["n"] == 5 else out  # 2 val batches at step 0, then steps

    monkeypatch.setattr(loop, "cross_entropy_sum", poisoned)
    ds, tok = make_data(tmp_path)
    rc = main(argv(ds, tok, tmp_path / "run", num_steps=4, steps_per_epoch=4))
    out = capsys.readouterr().out
    assert rc == 4
    assert "FAIL ABORTED GATE-TRAIN-007: NaN/Inf guard fired: NUMERICAL_INSTABILITY at step 2" in out
    assert json.loads((tmp_path / "run" / "result.json").read_text())["gate_id"] == "GATE-TRAIN-007"


def _one_error(capsys: pytest.CaptureFixture[str], args: list[str], gate: str) -> str:
    rc = main(args)
    err = capsys.readouterr().err
    assert rc == 3, err
    lines = [line for line in err.splitlines() if line.startswith("apr: error:")]
    assert len(lines) == 1 and gate in lines[0], err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.falsifies("GATE-PREFLIGHT-RUNDIR")
def test_cli_synthetic_refuses_run_dir_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    run.write_text("not a dir", encoding="utf-8")
    line = _one_error(capsys, ["pretrain", "--run-dir", str(run), "--synthetic", "--num-steps", "4",
                               "--steps-per-epoch", "2"], "GATE-PREFLIGHT-RUNDIR")
    assert "is not a directory" in line


def test_cli_synthetic_refuses_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    line = _one_error(capsys, ["pretrain", "--run-dir", str(run), "--synthetic", "--resume", "--num-steps", "4",
                               "--steps-per-epoch", "2"], "GATE-PREFLIGHT-ARGS")
    assert "--synthetic cannot --resume" in line
    assert not run.exists()
