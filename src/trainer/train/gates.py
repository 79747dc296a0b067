"""Run-time gates as pure functions: each returns nothing or raises ``RunAborted``.

The loop calls them at fixed points (every step: GATE-TRAIN-007/008; step 0:
GATE-TRAIN-BASELINE; every epoch end, before any checkpoint is written:
GATE-TRAIN-007, GATE-TRAIN-005, GATE-TRAIN-EVAL). Keeping them free of torch
and of the loop lets tests feed the exact traces the contract names
(``[3.5, 7.1]`` aborts, ``[31.99]`` aborts at epoch 0, exactly 2x passes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from trainer.errors import (
    GATE_TRAIN_005,
    GATE_TRAIN_007,
    GATE_TRAIN_008,
    GATE_TRAIN_BASELINE,
    GATE_TRAIN_EVAL,
    RunAborted,
)
from trainer.train.options import FINETUNE_EPOCH0_CAP

DIVERGENCE_FACTOR = 2.0
# GATE-TRAIN-BASELINE: a from-scratch model's step-0 val_loss must lie within
# [LOW, HIGH] x ln V. A freshly initialised decoder predicts close to uniform,
# so its cross-entropy is ln V plus a little (logit variance / 2). Far below
# means the evaluation leaks targets; far above means a broken init.
BASELINE_LOW = 0.75
BASELINE_HIGH = 1.25
# GATE-TRAIN-EVAL: val_loss below this fraction of the recent train loss is an
# evaluation bug, not generalisation (the seed's CUDA eval: val 0.0008 vs train 1.20).
EVAL_MIN_RATIO = 0.25


def epoch0_cap(regime: str, vocab_size: int) -> float:
    """The first val_loss's ceiling: 10.0 fine-tuning, 2 ln V from scratch (v1.2.0)."""
    if regime == "from-scratch":
        return 2.0 * math.log(vocab_size)
    return FINETUNE_EPOCH0_CAP


def check_non_divergence(epoch: int, history: Sequence[float], *, regime: str, vocab_size: int) -> None:
    """GATE-TRAIN-005 on ``history[epoch]`` (val_loss per completed epoch, oldest first).

    Epoch 0: finite and at most the regime cap. Epoch N >= 1: finite and at most
    ``2.0 * history[N-1]``; exactly twice the previous value passes.
    """
    val = history[epoch]
    if epoch == 0:
        cap = epoch0_cap(regime, vocab_size)
        if not math.isfinite(val) or val > cap:
            what = "finetune cap 10.0" if regime != "from-scratch" else f"from-scratch cap 2*ln({vocab_size})={cap:.4f}"
            raise RunAborted(
                GATE_TRAIN_005,
                f"ship-blocker fired: DIVERGENCE at epoch 0: val_loss {val:.4f} is non-finite or > {what}",
                fix="check --mode, --init and the data, or lower --lr (e.g. 10x) in a new run; nothing was "
                "checkpointed for this evaluation",
            )
        return
    prev = history[epoch - 1]
    if not math.isfinite(val) or val > DIVERGENCE_FACTOR * prev:
        ratio = val / prev if prev else math.inf
        raise RunAborted(
            GATE_TRAIN_005,
            f"ship-blocker fired: DIVERGENCE at epoch {epoch}: val_loss {val:.4f} > "
            f"{DIVERGENCE_FACTOR} x {prev:.4f} (ratio {ratio:.3f})",
            fix="start a new run with --lr 10x lower (optionally --init the last good ckpt/epoch-NNN.apr); "
            "this epoch was not checkpointed",
        )


def check_finite_step(step: int, train_loss: float, grad_norm: float) -> None:
    """GATE-TRAIN-007: a non-finite loss or gradient norm aborts at that step, before the update."""
    if not (math.isfinite(train_loss) and math.isfinite(grad_norm)):
        raise RunAborted(
            GATE_TRAIN_007,
            f"NaN/Inf guard fired: NUMERICAL_INSTABILITY at step {step}: "
            f"train_loss={train_loss} grad_norm={grad_norm} (the update was not applied)",
            fix="lower --lr in a new run (optionally --init the last good ckpt/epoch-NNN.apr) and check the shards",
        )


def check_finite_val(epoch: int, val_loss: float) -> None:
    """GATE-TRAIN-007 on the evaluation: a NaN/Inf val_loss aborts before the divergence check."""
    if not math.isfinite(val_loss):
        raise RunAborted(
            GATE_TRAIN_007,
            f"NaN/Inf guard fired: NUMERICAL_INSTABILITY at epoch {epoch}: val_loss={val_loss}",
            fix="lower --lr in a new run (optionally --init the last good ckpt/epoch-NNN.apr)",
        )


def check_throughput(step: int, tokens_per_sec: float, util_pct: float | None) -> None:
    """GATE-TRAIN-008: throughput finite and >= 0; device utilisation (when measured) in [0, 100]."""
    bad_tps = not math.isfinite(tokens_per_sec) or tokens_per_sec < 0
    bad_util = util_pct is not None and not (0.0 <= util_pct <= 100.0)
    if bad_tps or bad_util:
        raise RunAborted(
            GATE_TRAIN_008,
            f"throughput-range guard fired at step {step}: tokens_per_sec={tokens_per_sec} gpu_util_pct={util_pct}",
            fix="this is a measurement bug in the trainer; report it",
        )


def check_initial_baseline(val_loss: float, vocab_size: int) -> None:
    """GATE-TRAIN-BASELINE: a from-scratch step-0 val_loss must be near ln V.

    Band: ``[0.75 ln V, 1.25 ln V]``. Below it the evaluation sees the answers
    (or the data is degenerate); above it the initialisation is broken.
    """
    ln_v = math.log(vocab_size)
    low, high = BASELINE_LOW * ln_v, BASELINE_HIGH * ln_v
    if not math.isfinite(val_loss) or not (low <= val_loss <= high):
        raise RunAborted(
            GATE_TRAIN_BASELINE,
            f"from-scratch step-0 val_loss {val_loss:.4f} is outside [{low:.4f}, {high:.4f}] "
            f"= [{BASELINE_LOW}, {BASELINE_HIGH}] x ln({vocab_size}) ({ln_v:.4f}); an untrained model "
            "must predict close to uniform",
            fix="check the model initialisation and the evaluation (targets shifted by one, no leakage)",
        )


def check_eval_plausible(epoch: int, val_loss: float, recent_train_loss: float) -> None:
    """GATE-TRAIN-EVAL: val_loss < 0.25 x the recent train loss aborts as an evaluation bug."""
    if math.isfinite(recent_train_loss) and val_loss < EVAL_MIN_RATIO * recent_train_loss:
        raise RunAborted(
            GATE_TRAIN_EVAL,
            f"implausible evaluation at epoch {epoch}: val_loss {val_loss:.4f} < {EVAL_MIN_RATIO} x "
            f"recent train_loss {recent_train_loss:.4f}; held-out data cannot be that much easier "
            "(the seed's CUDA eval once reported 0.0008 against 1.20)",
            fix="check the evaluation path (targets, masking, held-out windows overlapping training)",
        )


@dataclass
class Patience:
    """Early-stop bookkeeping: a new best resets the counter (INV-TRAIN-004).

    Stops when more than ``patience`` consecutive epochs failed to improve and at
    least ``min_epochs`` epochs completed (seed: ``patience > patience_epochs &&
    epoch + 1 >= min_epochs``).
    """

    patience: int
    min_epochs: int
    best: float = math.inf
    best_epoch: int = -1
    bad_epochs: int = 0

    def update(self, epoch: int, val_loss: float) -> bool:
        """Record one epoch's val_loss; True when it is a new best."""
        if val_loss < self.best:
            self.best, self.best_epoch, self.bad_epochs = val_loss, epoch, 0
            return True
        self.bad_epochs += 1
        return False

    def should_stop(self, epochs_completed: int) -> bool:
        return self.bad_epochs > self.patience and epochs_completed >= self.min_epochs

    def state_dict(self) -> dict[str, float | int]:
        return {"best": self.best, "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict[str, float | int]) -> None:
        self.best = float(state["best"])
        self.best_epoch = int(state["best_epoch"])
        self.bad_epochs = int(state["bad_epochs"])


def converged(val_loss: float, target: float, epochs_completed: int, min_epochs: int) -> bool:
    """Stop as CONVERGED once the target is met and ``min_epochs`` epochs ran."""
    return val_loss <= target and epochs_completed >= min_epochs
