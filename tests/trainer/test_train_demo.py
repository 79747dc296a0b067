"""`apr demo` end to end on a slice of the stdlib corpus (the full corpus takes minutes)."""

from __future__ import annotations

import json
from pathlib import Path

import pretrain_helpers  # noqa: F401  (single-threaded torch for tiny models)
import pytest

from trainer.cli import main


@pytest.mark.slow
@pytest.mark.falsifies("INV-TRAIN-020")
def test_demo_tokenizes_stdlib_and_trains_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import trainer.data.corpus as corpus

    real = corpus.stdlib_sources
    monkeypatch.setattr(corpus, "stdlib_sources",
                        lambda split, root=None: real(split, root)[: 60 if split == "train" else 4])
    out = tmp_path / "demo"
    rc = main(["demo", "--minutes", "0.01", "--out", str(out), "--seq-length", "32", "--batch-size", "4"])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "=== Run Result ===" in text and "Loss plot:" in text
    assert json.loads((out / "tokenizer" / "vocab.json").read_text()).__len__() == 2048
    run_dirs = sorted(out.glob("run-*"))
    assert len(run_dirs) == 1
    result = json.loads((run_dirs[0] / "result.json").read_text())
    assert result["synthetic"] is False and result["steps_completed"] >= 20
    assert result["final_val_loss"] < result["initial_val_loss"]  # it learned something real
    assert (run_dirs[0] / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert (run_dirs[0] / "ckpt" / "epoch-000.apr").exists()


def test_demo_reencodes_shards_when_the_tokenizer_was_retrained(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import trainer.data.corpus as corpus
    from trainer.commands.demo import _prepare_data
    from trainer.data.shards import tokenizer_sha256

    real = corpus.stdlib_sources
    monkeypatch.setattr(corpus, "stdlib_sources",
                        lambda split, root=None: real(split, root)[: 12 if split == "train" else 2])
    out = tmp_path / "demo"
    said: list[str] = []

    def manifests() -> list[str]:
        return [json.loads((out / "data" / s / "manifest.json").read_text())["tokenizer_sha256"]
                for s in ("train", "val")]

    tok, _, _ = _prepare_data(out, 300, said.append)
    first = tokenizer_sha256(tok)
    assert manifests() == [first, first]
    said.clear()
    _prepare_data(out, 300, said.append)  # same tokenizer: shards reused
    assert not any("encoding" in s for s in said)
    tok, _, _ = _prepare_data(out, 320, said.append)  # vocab changed: tokenizer retrained
    second = tokenizer_sha256(tok)
    assert second != first
    assert manifests() == [second, second]
    assert any("re-encoding" in s for s in said)


@pytest.mark.falsifies("GATE-PREFLIGHT-ARGS")
@pytest.mark.parametrize(("flags", "gate", "needle"), [
    (["--minutes", "0"], "GATE-PREFLIGHT-ARGS", "--minutes 0.0 is invalid"),
    (["--minutes", "-5"], "GATE-PREFLIGHT-ARGS", "--minutes -5.0 is invalid"),
    (["--minutes", "nan"], "GATE-PREFLIGHT-ARGS", "--minutes nan is invalid"),
    (["--minutes", "inf"], "GATE-PREFLIGHT-ARGS", "--minutes inf is invalid"),
    (["--batch-size", "0"], "GATE-PREFLIGHT-ARGS", "--batch-size 0 is invalid"),
    (["--seed", "-1"], "GATE-PREFLIGHT-ARGS", "--seed -1 is invalid"),
    (["--seq-length", "100000"], "GATE-PREFLIGHT-SEQ", "--seq-length 100000 exceeds"),
], ids=["minutes-0", "minutes-neg", "minutes-nan", "minutes-inf", "batch-0", "seed-neg", "seq-too-long"])
def test_demo_refuses_bad_numbers_before_tokenizing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str], flags: list[str],
                                                    gate: str, needle: str) -> None:
    import trainer.commands.demo as demo

    def no_tokenizing(*args, **kwargs):
        raise AssertionError("the demo tokenized the corpus before refusing its arguments")

    monkeypatch.setattr(demo, "_prepare_data", no_tokenizing)
    rc = main(["demo", "--out", str(tmp_path / "demo"), *flags])
    err = capsys.readouterr().err
    assert rc == 3, err
    line = next(ln for ln in err.splitlines() if gate in ln)
    assert needle in line
    assert not (tmp_path / "demo").exists()


def test_demo_validates_device_flag_at_parse_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import trainer.commands.demo as demo

    monkeypatch.setattr(demo, "_prepare_data", lambda *a, **k: pytest.fail("tokenized before refusing --device"))
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--out", str(tmp_path / "demo"), "--device", "gpu0"])
    assert exc.value.code == 2
    assert "invalid device 'gpu0'" in capsys.readouterr().err


def test_demo_calibration_uses_the_loops_optimizer_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    import trainer.model
    from trainer.commands.demo import _seconds_per_step
    from trainer.presets import get_preset
    from trainer.train.device import resolve_device
    from trainer.train.options import ADAM_BETAS, ADAM_EPS, WEIGHT_DECAY, TrainOptions
    from trainer.train.preflight import PreflightReport

    seen: list[tuple] = []
    real = trainer.model.make_optimizer

    def spy(model, lr, weight_decay, **kw):
        seen.append((weight_decay, kw.get("betas"), kw.get("eps")))
        return real(model, lr, weight_decay, **kw)

    monkeypatch.setattr(trainer.model, "make_optimizer", spy)
    opts = TrainOptions(dataset=None, tokenizer=None, run_dir=Path("unused"), model="tiny", batch_size=2,
                        seq_length=8, device="cpu")
    report = PreflightReport(options=opts, model_config=get_preset("tiny"), device=resolve_device("cpu"),
                             init_spec=None, tokenizer_vocab=None, reader=None)
    assert _seconds_per_step(report, opts) > 0
    assert seen == [(WEIGHT_DECAY, ADAM_BETAS, ADAM_EPS)]
