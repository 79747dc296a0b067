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
