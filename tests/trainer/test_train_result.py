"""The result block: CONVERGED only when the target was met (the seed printed it regardless)."""

from __future__ import annotations

import json
import math

import pytest

from trainer.train.result import RunResult


def _result(**kw: object) -> RunResult:
    base: dict[str, object] = {"status": "FINISHED", "detail": "d", "final_val_loss": 2.5, "target_val_loss": 2.2,
                               "epochs_completed": 3, "initial_val_loss": 7.6, "ln_vocab": 7.62}
    base.update(kw)
    return RunResult(**base)  # type: ignore[arg-type]


@pytest.mark.falsifies("INV-TRAIN-018")
def test_converged_line() -> None:
    text = _result(status="CONVERGED", final_val_loss=2.1).text_block()
    assert text.splitlines()[0] == "=== Run Result ==="
    assert text.splitlines()[1] == "OK CONVERGED  final val_loss=2.1000 after 3 epoch(s)"


@pytest.mark.falsifies("INV-TRAIN-018")
def test_finished_says_target_not_reached() -> None:
    line = _result().text_block().splitlines()[1]
    assert line.startswith("OK FINISHED  final val_loss=2.5000 after 3 epoch(s)")
    assert "target val_loss=2.2000 NOT reached" in line


@pytest.mark.falsifies("INV-TRAIN-018")
def test_early_stop_and_aborted_lines() -> None:
    assert _result(status="EARLY_STOP", best_val_loss=2.4, best_epoch=1).text_block().splitlines()[1].startswith(
        "OK EARLY_STOP  best val_loss=2.4000 at epoch 1")
    r = _result(status="ABORTED", gate_id="GATE-TRAIN-005", detail="DIVERGENCE at epoch 2")
    assert r.text_block().splitlines()[1] == "FAIL ABORTED GATE-TRAIN-005: DIVERGENCE at epoch 2"
    assert not r.ok


def test_synthetic_status_is_labelled_and_ok() -> None:
    r = _result(status="SYNTHETIC_CONVERGED", synthetic=True)
    assert r.ok
    assert "OK SYNTHETIC CONVERGED" in r.text_block() and "SYNTHETIC: scripted losses" in r.text_block()


def test_json_has_no_nan_and_required_fields() -> None:
    data = json.loads(_result(final_val_loss=math.nan, val_loss_history=[7.6, math.inf]).to_json())
    assert data["final_val_loss"] is None and data["val_loss_history"] == [7.6, None]
    for key in ("status", "gate_id", "detail", "initial_val_loss", "final_val_loss", "best_val_loss",
                "val_loss_history", "epochs_completed", "steps_completed", "tokens_seen", "wall_seconds",
                "synthetic", "init", "model", "vocab_size", "ln_vocab"):
        assert key in data
