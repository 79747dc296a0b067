"""WindowReader: deterministic windows, disjoint fixed validation, exact resume, honest wrap-around."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.data.reader import WindowReader
from trainer.data.shards import ShardSet
from trainer.errors import AprError, PreflightError

SEQ = 7  # windows of 8 tokens


@pytest.fixture()
def stream_ds(write_shards: Callable[..., Path]) -> Path:
    """1000 tokens valued 0..999 over three shards: a window's values are its own positions."""
    tokens = np.arange(1000)
    return write_shards(tokens[:333], tokens[333:700], tokens[700:])


def _batches(reader: WindowReader, n: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [reader.next_batch() for _ in range(n)]


def _positions(batches: list[tuple[torch.Tensor, torch.Tensor]]) -> set[int]:
    """Token positions covered by windows (valid because token value == position)."""
    out: set[int] = set()
    for x, y in batches:
        out.update(x.flatten().tolist())
        out.update(y.flatten().tolist())
    return out


@pytest.mark.falsifies("GATE-DATA-002")
def test_batches_are_shifted_windows_of_the_stream(stream_ds: Path) -> None:
    reader = WindowReader(stream_ds, SEQ, 4, seed=1, val_batches=2)
    x, y = reader.next_batch()
    assert x.shape == y.shape == (4, SEQ) and x.dtype == y.dtype == torch.int64
    assert torch.equal(x[:, 1:], y[:, :-1]) and torch.equal(y[:, -1], x[:, -1] + 1)
    assert all(int(row[0]) % (SEQ + 1) == 0 for row in x)  # window starts on a window boundary
    assert reader.train_windows == 1000 // 8 - 8 and reader.batches_per_epoch == reader.train_windows // 4


@pytest.mark.falsifies("GATE-DATA-002")
def test_same_seed_same_batches_other_seed_other_order(stream_ds: Path) -> None:
    a = _batches(WindowReader(stream_ds, SEQ, 4, seed=7, val_batches=2), 10)
    b = _batches(WindowReader(stream_ds, SEQ, 4, seed=7, val_batches=2), 10)
    c = _batches(WindowReader(stream_ds, SEQ, 4, seed=8, val_batches=2), 10)
    assert all(torch.equal(p[0], q[0]) and torch.equal(p[1], q[1]) for p, q in zip(a, b, strict=True))
    assert not all(torch.equal(p[0], q[0]) for p, q in zip(a, c, strict=True))


@pytest.mark.falsifies("GATE-DATA-003")
@pytest.mark.parametrize("seed", [0, 1, 99])
def test_val_windows_never_share_a_token_position_with_train(stream_ds: Path, seed: int) -> None:
    reader = WindowReader(stream_ds, SEQ, 4, seed=seed, val_batches=3)
    val = reader.val_batches()
    train = _batches(reader, reader.batches_per_epoch * 2)  # two full epochs, across the wrap-around
    assert len(val) == 3 and _positions(val).isdisjoint(_positions(train))
    train_ranges = reader.train_token_ranges()
    for lo, hi in reader.val_token_ranges():
        assert all(hi <= a or b <= lo for a, b in train_ranges)


@pytest.mark.falsifies("GATE-DATA-003")
def test_val_set_is_fixed_and_independent_of_seed(stream_ds: Path) -> None:
    r1 = WindowReader(stream_ds, SEQ, 4, seed=1, val_batches=2)
    r2 = WindowReader(stream_ds, SEQ, 4, seed=2, val_batches=2)
    v1 = r1.val_batches()
    r1.next_batch()
    assert r1.val_batches() is v1
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(v1, r2.val_batches(), strict=True))
    starts = sorted(int(x[i, 0]) for x, _ in v1 for i in range(x.shape[0]))
    assert starts[0] < 250 and starts[-1] > 750  # spread over the corpus, not one end


@pytest.mark.falsifies("GATE-DATA-003")
def test_val_shard_supplies_val_and_all_corpus_windows_train(stream_ds: Path,
                                                             write_shards: Callable[..., Path]) -> None:
    val_ds = write_shards(np.arange(5000, 5200), name="val")
    reader = WindowReader(stream_ds, SEQ, 4, seed=0, val_batches=2, val_shards=val_ds)
    assert reader.train_windows == 1000 // 8
    vals = _positions(reader.val_batches())
    assert min(vals) >= 5000 and max(vals) < 5200
    assert _positions(_batches(reader, reader.batches_per_epoch)) <= set(range(1000))


@pytest.mark.falsifies("GATE-DATA-004")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(k=st.integers(min_value=0, max_value=70), seed=st.integers(min_value=0, max_value=2**40))
def test_resume_continues_the_exact_sequence(stream_ds: Path, k: int, seed: int) -> None:
    total = 75  # > 2 epochs of 29 batches: resume points before, at and after wrap-arounds
    full = _batches(WindowReader(stream_ds, SEQ, 4, seed=seed, val_batches=2), total)
    first = WindowReader(stream_ds, SEQ, 4, seed=seed, val_batches=2)
    head = _batches(first, k)
    state = first.state_dict()
    resumed = WindowReader(stream_ds, SEQ, 4, seed=seed, val_batches=2)
    resumed.load_state_dict(dict(state))
    assert resumed.cycles == first.cycles
    rest = _batches(resumed, total - k)
    for (x, y), (fx, fy) in zip(head + rest, full, strict=True):
        assert torch.equal(x, fx) and torch.equal(y, fy)


@pytest.mark.falsifies("GATE-DATA-004")
def test_resume_refuses_state_from_other_data_or_config(stream_ds: Path, write_shards: Callable[..., Path]) -> None:
    state = WindowReader(stream_ds, SEQ, 4, seed=3, val_batches=2).state_dict()
    other = WindowReader(stream_ds, SEQ, 2, seed=3, val_batches=2)
    with pytest.raises(AprError) as err:
        other.load_state_dict(state)
    assert err.value.gate_id == "GATE-DATA-004" and "batch_size: run has 2, state has 4" in str(err.value)
    smaller = WindowReader(write_shards(np.arange(600), name="small"), SEQ, 4, seed=3, val_batches=2)
    with pytest.raises(AprError, match="total_tokens"):
        smaller.load_state_dict(state)


@pytest.mark.falsifies("GATE-DATA-002")
def test_each_epoch_visits_every_training_window_once(write_shards: Callable[..., Path]) -> None:
    ds = write_shards(np.arange(8 * 40))  # 40 windows: 8 val + 32 train = 8 batches of 4
    reader = WindowReader(ds, SEQ, 4, seed=5, val_batches=2)
    assert reader.train_windows == 32 and reader.batches_per_epoch == 8
    epoch1 = [int(x[i, 0]) for x, _ in _batches(reader, 8) for i in range(4)]
    epoch2 = [int(x[i, 0]) for x, _ in _batches(reader, 8) for i in range(4)]
    expected = sorted(lo for lo, _ in reader.train_token_ranges())
    assert sorted(epoch1) == sorted(epoch2) == expected
    assert epoch1 != epoch2  # a new permutation each pass


@pytest.mark.falsifies("GATE-TRAIN-EXHAUST")
def test_wraparound_new_permutation_counts_cycles_and_warns_once(write_shards: Callable[..., Path],
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    ds = write_shards(np.arange(8 * 40))
    reader = WindowReader(ds, SEQ, 4, seed=5, val_batches=2)
    with caplog.at_level(logging.INFO, logger="trainer.data.reader"):
        batches = _batches(reader, 8)
        assert reader.cycles == 0 and not caplog.records
        batches += _batches(reader, 8 * 3)
    assert reader.cycles == 3
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "GATE-TRAIN-EXHAUST" in warnings[0].getMessage()
    assert "32 training windows" in warnings[0].getMessage()
    train_values = {int(v) for lo, hi in reader.train_token_ranges() for v in range(lo, hi)}
    for x, y in batches:  # real corpus windows after every wrap, never constant placeholders
        assert _positions([(x, y)]) <= train_values
        assert len(set(x.flatten().tolist())) == x.numel()


@pytest.mark.falsifies("GATE-DATA-005")
def test_corpus_too_small_for_val_plus_one_batch_is_refused(write_shards: Callable[..., Path]) -> None:
    ds = write_shards(np.arange(8 * 11))  # 11 windows; 2 val batches of 4 + 1 train batch need 12
    with pytest.raises(PreflightError) as err:
        WindowReader(ds, SEQ, 4, seed=0, val_batches=2)
    message = str(err.value)
    assert err.value.gate_id == "GATE-DATA-005"
    assert "88 tokens" in message and "11 windows" in message and "need 12 windows" in message
    assert "--val-shard" in message
    WindowReader(write_shards(np.arange(8 * 12), name="ok"), SEQ, 4, seed=0, val_batches=2)  # 12 is enough


@pytest.mark.falsifies("GATE-DATA-005")
def test_corpus_shorter_than_one_window_is_refused(write_shards: Callable[..., Path]) -> None:
    with pytest.raises(PreflightError) as err:
        WindowReader(write_shards(np.arange(100)), 255, 1, seed=0, val_batches=1)
    assert "100 tokens = 0 windows of seq_len+1=256" in str(err.value)


@pytest.mark.falsifies("GATE-DATA-005")
def test_val_shard_too_small_is_refused(stream_ds: Path, write_shards: Callable[..., Path]) -> None:
    with pytest.raises(PreflightError) as err:
        WindowReader(stream_ds, SEQ, 4, seed=0, val_batches=2, val_shards=write_shards(np.arange(60), name="v"))
    assert "--val-shard holds 60 tokens = 7 windows" in str(err.value) and "need 8" in str(err.value)


def test_reader_accepts_an_open_shardset(stream_ds: Path) -> None:
    shards = ShardSet.open(stream_ds)
    a = WindowReader(shards, SEQ, 4, seed=2, val_batches=1).next_batch()
    b = WindowReader(stream_ds, SEQ, 4, seed=2, val_batches=1).next_batch()
    assert torch.equal(a[0], b[0])


@pytest.mark.falsifies("GATE-DATA-002")
def test_large_and_negative_seeds_give_distinct_orders(stream_ds: Path) -> None:
    first = {s: WindowReader(stream_ds, SEQ, 4, seed=s, val_batches=2).next_batch()[0] for s in
             (5, 5 + 2**32, -1, 2**63)}
    values = list(first.values())
    assert all(not torch.equal(a, b) for i, a in enumerate(values) for b in values[i + 1:])


@pytest.mark.falsifies("GATE-DATA-003")
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_evenly_spaced_val_indices_are_distinct_and_in_range(data: st.DataObject) -> None:
    from trainer.data.reader import evenly_spaced

    total = data.draw(st.integers(min_value=1, max_value=10**7))
    count = data.draw(st.integers(min_value=1, max_value=min(total, 5000)))
    idx = evenly_spaced(count, total)
    assert idx.size == count and int(idx[0]) >= 0 and int(idx[-1]) < total
    assert bool((idx[1:] > idx[:-1]).all())  # strictly increasing, so distinct
