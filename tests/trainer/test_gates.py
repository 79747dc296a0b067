"""Run-time gates as pure functions: the exact traces the contract names."""

from __future__ import annotations

import math

import pytest

from trainer.errors import RunAborted
from trainer.train import gates

V370 = 50257


@pytest.mark.falsifies("GATE-TRAIN-005", "INV-TRAIN-005")
def test_gate_train_005_aborts_on_doubling_val_loss() -> None:
    with pytest.raises(RunAborted) as exc:
        gates.check_non_divergence(1, [3.5, 7.1], regime="finetune", vocab_size=V370)
    assert exc.value.gate_id == "GATE-TRAIN-005"
    assert exc.value.exit_code == 4
    text = str(exc.value)
    assert "DIVERGENCE at epoch 1" in text and "7.1000" in text and "3.5000" in text and "ratio 2.029" in text


@pytest.mark.falsifies("GATE-TRAIN-005", "INV-TRAIN-005")
def test_gate_train_005_exactly_double_passes() -> None:
    gates.check_non_divergence(1, [3.5, 7.0], regime="finetune", vocab_size=V370)
    gates.check_non_divergence(2, [9.0, 4.0, 8.0], regime="from-scratch", vocab_size=V370)


@pytest.mark.falsifies("GATE-TRAIN-005", "INV-TRAIN-005")
@pytest.mark.parametrize("first", [31.99, 11.0, math.nan, math.inf])
def test_gate_train_005_aborts_on_epoch_zero_blowup(first: float) -> None:
    with pytest.raises(RunAborted) as exc:
        gates.check_non_divergence(0, [first], regime="finetune", vocab_size=V370)
    assert exc.value.gate_id == "GATE-TRAIN-005"
    assert "epoch 0" in str(exc.value) and "finetune cap 10.0" in str(exc.value)


@pytest.mark.falsifies("GATE-TRAIN-005", "INV-TRAIN-005")
def test_gate_train_005_finetune_cap_is_inclusive() -> None:
    gates.check_non_divergence(0, [10.0], regime="finetune", vocab_size=V370)


@pytest.mark.falsifies("GATE-TRAIN-005", "INV-TRAIN-005")
def test_gate_train_005_from_scratch_permits_near_random_baseline() -> None:
    assert gates.epoch0_cap("from-scratch", V370) == pytest.approx(2 * math.log(V370))
    gates.check_non_divergence(0, [18.0], regime="from-scratch", vocab_size=V370)
    gates.check_non_divergence(0, [math.log(V370)], regime="from-scratch", vocab_size=V370)


@pytest.mark.falsifies("GATE-TRAIN-005", "INV-TRAIN-005")
def test_gate_train_005_from_scratch_aborts_above_2_ln_vocab() -> None:
    with pytest.raises(RunAborted) as exc:
        gates.check_non_divergence(0, [25.0], regime="from-scratch", vocab_size=V370)
    assert "2*ln(50257)=21.6" in str(exc.value)


@pytest.mark.falsifies("GATE-TRAIN-005", "INV-TRAIN-005")
def test_gate_train_005_non_finite_later_epoch_aborts() -> None:
    # NaN compares False with everything: the gate must test finiteness explicitly.
    with pytest.raises(RunAborted, match="GATE-TRAIN-005"):
        gates.check_non_divergence(1, [3.0, math.nan], regime="finetune", vocab_size=V370)


@pytest.mark.falsifies("GATE-TRAIN-007", "INV-TRAIN-007")
@pytest.mark.parametrize(("loss", "norm"), [(math.nan, 1.0), (1.0, math.inf), (math.inf, math.nan)])
def test_gate_train_007_non_finite_step_aborts(loss: float, norm: float) -> None:
    with pytest.raises(RunAborted) as exc:
        gates.check_finite_step(17, loss, norm)
    assert exc.value.gate_id == "GATE-TRAIN-007"
    assert "NUMERICAL_INSTABILITY at step 17" in str(exc.value)
    gates.check_finite_step(17, 2.5, 0.3)  # finite values pass


@pytest.mark.falsifies("GATE-TRAIN-008", "INV-TRAIN-008")
def test_gate_train_008_throughput_range() -> None:
    gates.check_throughput(0, 1234.5, None)
    gates.check_throughput(0, 0.0, 100.0)
    for tps, util in [(-1.0, None), (math.nan, None), (10.0, 100.5), (10.0, -0.1)]:
        with pytest.raises(RunAborted, match="GATE-TRAIN-008"):
            gates.check_throughput(3, tps, util)


@pytest.mark.falsifies("GATE-TRAIN-BASELINE", "INV-TRAIN-012")
def test_gate_train_baseline_band_around_ln_vocab() -> None:
    ln_v = math.log(256)
    gates.check_initial_baseline(ln_v + 0.05, 256)
    gates.check_initial_baseline(0.75 * ln_v, 256)
    gates.check_initial_baseline(1.25 * ln_v, 256)
    for bad in (0.0008, 0.74 * ln_v, 1.26 * ln_v, math.nan):
        with pytest.raises(RunAborted) as exc:
            gates.check_initial_baseline(bad, 256)
        assert exc.value.gate_id == "GATE-TRAIN-BASELINE"
        assert "ln(256)" in str(exc.value)


@pytest.mark.falsifies("GATE-TRAIN-EVAL", "INV-TRAIN-013")
def test_gate_train_eval_rejects_seed_cuda_eval_bug() -> None:
    with pytest.raises(RunAborted) as exc:
        gates.check_eval_plausible(1, 0.0008, 1.20)
    assert exc.value.gate_id == "GATE-TRAIN-EVAL"
    assert "0.0008" in str(exc.value) and "1.2000" in str(exc.value)


@pytest.mark.falsifies("GATE-TRAIN-EVAL", "INV-TRAIN-013")
def test_gate_train_eval_accepts_plausible_val() -> None:
    gates.check_eval_plausible(1, 1.1, 1.2)
    gates.check_eval_plausible(1, 1.6, 1.2)
    gates.check_eval_plausible(1, 0.25 * 1.2, 1.2)  # the boundary passes


@pytest.mark.falsifies("GATE-TRAIN-004", "INV-TRAIN-004")
def test_patience_new_best_resets_and_stop_after_exhaustion() -> None:
    p = gates.Patience(patience=2, min_epochs=3)
    assert p.update(0, 5.0) is True
    assert p.update(1, 5.1) is False and not p.should_stop(1)
    assert p.update(2, 4.0) is True and p.bad_epochs == 0  # a new best resets the counter
    for epoch, val in [(3, 4.1), (4, 4.2)]:
        p.update(epoch, val)
        assert not p.should_stop(epoch)  # 2 non-improvements are allowed
    p.update(5, 4.3)
    assert p.should_stop(5) and p.best == 4.0 and p.best_epoch == 2


@pytest.mark.falsifies("GATE-TRAIN-004", "INV-TRAIN-004")
def test_patience_never_stops_before_min_epochs() -> None:
    p = gates.Patience(patience=0, min_epochs=3)
    p.update(0, 5.0)
    p.update(1, 6.0)
    assert not p.should_stop(1)
    p.update(2, 6.0)
    assert not p.should_stop(2)
    p.update(3, 6.0)
    assert p.should_stop(3)


def test_converged_needs_target_and_min_epochs() -> None:
    assert gates.converged(2.2, 2.2, 3, 3)
    assert not gates.converged(2.2001, 2.2, 3, 3)
    assert not gates.converged(1.0, 2.2, 2, 3)
