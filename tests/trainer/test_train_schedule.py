"""Warmup + cosine schedule and the fixed loop constants."""

from __future__ import annotations

import itertools

import pytest

from trainer.train.options import lr_min_for
from trainer.train.schedule import lr_at


def _lrs(total: int, warmup: int, lr: float = 3e-4) -> list[float]:
    return [lr_at(s, lr_max=lr, lr_min=lr_min_for(lr), warmup_steps=warmup, total_steps=total) for s in range(total)]


@pytest.mark.falsifies("INV-TRAIN-017")
def test_lr_min_is_max_of_one_percent_and_1e_7() -> None:
    assert lr_min_for(3e-4) == pytest.approx(3e-6)
    assert lr_min_for(1e-6) == pytest.approx(1e-7)


@pytest.mark.falsifies("INV-TRAIN-017")
def test_lr_never_exceeds_peak_below_the_1e_7_floor() -> None:
    lr = 1e-8
    assert lr_min_for(lr) <= lr
    for total, warmup in [(20, 0), (20, 5), (3, 1)]:
        lrs = _lrs(total, warmup, lr)
        assert max(lrs) <= lr, (total, warmup, max(lrs))
        assert all(b <= a for a, b in itertools.pairwise(lrs[warmup:]))


@pytest.mark.falsifies("INV-TRAIN-017")
def test_warmup_is_linear_and_reaches_peak() -> None:
    lrs = _lrs(100, 10)
    assert lrs[0] == pytest.approx(3e-5)
    assert all(b - a == pytest.approx(3e-5) for a, b in itertools.pairwise(lrs[:10]))
    assert lrs[9] == pytest.approx(3e-4) and lrs[10] == pytest.approx(3e-4)


@pytest.mark.falsifies("INV-TRAIN-017")
def test_cosine_decays_monotonically_to_lr_min() -> None:
    lrs = _lrs(100, 10)
    decay = lrs[10:]
    assert all(b <= a for a, b in itertools.pairwise(decay))
    assert lrs[-1] == pytest.approx(lr_min_for(3e-4))
    assert lrs[55] == pytest.approx((3e-4 + 3e-6) / 2, rel=0.05)  # half-way down the cosine


def test_warmup_longer_than_run_never_reaches_peak() -> None:
    lrs = _lrs(10, 1000)
    assert max(lrs) == pytest.approx(3e-4 * 10 / 1000)


def test_negative_step_is_rejected() -> None:
    with pytest.raises(ValueError):
        lr_at(-1, lr_max=1.0, lr_min=0.0, warmup_steps=0, total_steps=5)
