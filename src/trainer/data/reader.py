"""Deterministic (input, target) windows over token shards, with a fixed held-out set.

The token stream (all shards concatenated in lexical order) is cut into
non-overlapping windows of ``seq_len + 1`` tokens; the partial tail is dropped.
Window ``i`` covers tokens ``[i*(seq_len+1), (i+1)*(seq_len+1))``; x is its
first ``seq_len`` tokens and y the last ``seq_len`` (shifted by one).

Validation: ``val_batches * batch_size`` windows spread evenly over the stream
(fixed, independent of the seed, so runs with different seeds compare on the
same data), and every other window is a training window: no token position is
in both sets (GATE-DATA-003). With ``val_shards`` the held-out windows come
from that dataset instead and every window of ``shards`` trains.

Training order: a permutation of the training windows from ``(seed, epoch)``;
batches are always full, so the ``train_windows % batch_size`` windows left at
the end of an epoch are skipped (different ones each epoch). When an epoch
ends the reader starts the next one with a new permutation, increments
``cycles`` and logs GATE-TRAIN-EXHAUST once: it never returns placeholders.
``state_dict()`` records (epoch, position) for exact resume (GATE-DATA-004).

Ranks (torch.distributed): with ``world_size`` W each step takes one *global*
batch of ``batch_size * W`` windows from the shared permutation and rank ``r``
reads its slice ``[r * batch_size, (r + 1) * batch_size)``: the ranks' windows
are disjoint and their union is exactly the batch one process with
``batch_size * W`` (or ``batch_size`` and W accumulation steps) would read. The
position is global, so every rank's ``state_dict()`` is identical.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trainer.data.shards import ShardSet
from trainer.errors import GATE_DATA_004, GATE_DATA_005, GATE_TRAIN_EXHAUST, AprError, PreflightError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import torch

logger = logging.getLogger("trainer.data.reader")

STATE_VERSION = 1


def _as_shards(shards: ShardSet | str | Path) -> ShardSet:
    return shards if isinstance(shards, ShardSet) else ShardSet.open(shards)


def evenly_spaced(count: int, total: int) -> np.ndarray:
    """``count`` distinct indices in ``[0, total)`` spread evenly (centre of each stride)."""
    return ((np.arange(count, dtype=np.int64) * 2 + 1) * total) // (2 * count)


class WindowReader:
    """Seeded training batches plus a fixed validation set from token shards."""

    def __init__(
        self,
        shards: ShardSet | str | Path,
        seq_len: int,
        batch_size: int,
        seed: int,
        val_batches: int,
        val_shards: ShardSet | str | Path | None = None,
        *,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if seq_len < 1 or batch_size < 1 or val_batches < 1:
            raise PreflightError(
                GATE_DATA_005,
                f"seq_len={seq_len}, batch_size={batch_size}, val_batches={val_batches}: each must be >= 1",
                fix="pass positive --seq-length and --batch-size",
            )
        if world_size < 1 or not 0 <= rank < world_size:
            raise PreflightError(GATE_DATA_005, f"rank {rank} is outside world size {world_size}",
                                 fix="launch with torchrun or apr pretrain --nproc N")
        self.rank = int(rank)
        self.world_size = int(world_size)
        self.global_batch = batch_size * self.world_size
        self.shards = _as_shards(shards)
        self.val_source = _as_shards(val_shards) if val_shards is not None else None
        self.seq_len = seq_len
        self.batch_size = batch_size
        self.seed = int(seed)
        self.num_val_batches = val_batches
        self.window = seq_len + 1
        n_val = val_batches * batch_size
        total_windows = self.shards.total_tokens // self.window
        if self.val_source is None:
            needed = n_val + self.global_batch
            if total_windows < needed:
                raise PreflightError(
                    GATE_DATA_005,
                    f"corpus holds {self.shards.total_tokens} tokens = {total_windows} windows of "
                    f"seq_len+1={self.window}, but {val_batches} val batch(es) + 1 train batch of "
                    f"{self.global_batch} need {needed} windows ({needed * self.window} tokens)",
                    fix="add data, lower --seq-length/--batch-size, or pass --val-shard DIR",
                )
            val_mask = np.zeros(total_windows, dtype=bool)
            self._val_windows = evenly_spaced(n_val, total_windows)
            val_mask[self._val_windows] = True
            self._train_windows = np.flatnonzero(~val_mask).astype(np.int64)
        else:
            val_total = self.val_source.total_tokens // self.window
            if val_total < n_val:
                raise PreflightError(
                    GATE_DATA_005,
                    f"--val-shard holds {self.val_source.total_tokens} tokens = {val_total} windows of "
                    f"seq_len+1={self.window}, but {val_batches} val batch(es) of {batch_size} need {n_val}",
                    fix="use a larger --val-shard, or lower --seq-length/--batch-size",
                )
            if total_windows < self.global_batch:
                raise PreflightError(
                    GATE_DATA_005,
                    f"corpus holds {self.shards.total_tokens} tokens = {total_windows} windows of "
                    f"seq_len+1={self.window}, but one train batch needs {self.global_batch}",
                    fix="add data or lower --seq-length/--batch-size",
                )
            self._val_windows = evenly_spaced(n_val, val_total)
            self._train_windows = np.arange(total_windows, dtype=np.int64)
        self.train_windows = int(self._train_windows.size)
        self.batches_per_epoch = self.train_windows // self.global_batch
        self.cycles = 0
        self._position = 0
        self._batches_served = 0
        self._order = self._permutation(0)
        self._val_cache: list[tuple[torch.Tensor, torch.Tensor]] | None = None

    # -- training -----------------------------------------------------------------

    @property
    def tokens_per_epoch(self) -> int:
        """Training tokens one epoch yields over all ranks (full batches only), for the corpus preflight."""
        return self.batches_per_epoch * self.global_batch * self.seq_len

    def _permutation(self, epoch: int) -> np.ndarray:
        # (seed mod 2**64, epoch) -> SeedSequence: every 64-bit seed (negative ones too) and epoch differ.
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed % 2**64, epoch])))
        return self._train_windows[rng.permutation(self.train_windows)]

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """This rank's next training batch (x, y): LongTensors [batch_size, seq_len], y = x shifted by one."""
        return self._gather(self.shards, self.next_windows())

    def next_windows(self) -> np.ndarray:
        """Advance by one global batch; the window indices of this rank's share of it."""
        if self._position + self.global_batch > self.train_windows:
            self.cycles += 1
            self._position = 0
            self._order = self._permutation(self.cycles)
            message = (
                f"{GATE_TRAIN_EXHAUST}: corpus wrap-around: all {self.train_windows} training windows "
                f"({self.tokens_per_epoch} tokens per epoch) consumed after {self._batches_served} batches; "
                f"starting pass {self.cycles + 1} with a new permutation (cycles={self.cycles})"
            )
            if self.cycles == 1:
                logger.warning("%s. Planned tokens exceed the corpus: add data or lower --num-steps.", message)
            else:
                logger.info(message)
        start = self._position + self.rank * self.batch_size
        windows = self._order[start : start + self.batch_size]
        self._position += self.global_batch
        self._batches_served += 1
        return windows

    def _gather(self, source: ShardSet, windows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        block = np.stack([source.read(int(w) * self.window, self.window) for w in windows])
        tensor = torch.from_numpy(block)
        return tensor[:, :-1].contiguous(), tensor[:, 1:].contiguous()

    # -- validation ---------------------------------------------------------------

    def val_batches(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The fixed held-out batches (same list every call; never training windows)."""
        if self._val_cache is None:
            source = self.val_source if self.val_source is not None else self.shards
            self._val_cache = [
                self._gather(source, self._val_windows[b * self.batch_size : (b + 1) * self.batch_size])
                for b in range(self.num_val_batches)
            ]
        return self._val_cache

    def val_token_ranges(self) -> list[tuple[int, int]]:
        """Half-open token ranges of the held-out windows (in the val source's stream)."""
        return [(int(w) * self.window, (int(w) + 1) * self.window) for w in self._val_windows]

    def train_token_ranges(self) -> list[tuple[int, int]]:
        """Half-open token ranges of every training window."""
        return [(int(w) * self.window, (int(w) + 1) * self.window) for w in self._train_windows]

    # -- resume -------------------------------------------------------------------

    def _fingerprint(self) -> dict[str, int]:
        return {
            "total_tokens": self.shards.total_tokens,
            "val_tokens": self.val_source.total_tokens if self.val_source is not None else -1,
            "seq_len": self.seq_len,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "val_batches": self.num_val_batches,
            "world_size": self.world_size,
        }

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue the exact batch sequence (JSON-serialisable)."""
        return {
            "version": STATE_VERSION,
            **self._fingerprint(),
            "cycles": self.cycles,
            "position": self._position,
            "batches_served": self._batches_served,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a position recorded by ``state_dict``; a different corpus/config is refused."""
        expected = self._fingerprint()
        # States written before distributed training have no world_size: they are 1-rank states.
        recorded = {k: state.get(k, 1 if k == "world_size" else None) for k in expected}
        if state.get("version") != STATE_VERSION or recorded != expected:
            diff = ", ".join(f"{k}: run has {expected[k]}, state has {recorded[k]}"
                             for k in expected if recorded[k] != expected[k]) or f"version {state.get('version')}"
            raise AprError(
                GATE_DATA_004,
                f"reader state does not match this data/config ({diff})",
                fix="resume with the same --dataset, --seq-length, --batch-size and --seed as the interrupted run",
                exit_code=PreflightError.exit_code,
            )
        cycles, position = int(state["cycles"]), int(state["position"])
        if not (0 <= position <= self.train_windows) or cycles < 0:
            raise AprError(GATE_DATA_004, f"reader state position={position} cycles={cycles} out of range",
                           fix="the state file is corrupt; resume from an earlier checkpoint",
                           exit_code=PreflightError.exit_code)
        self.cycles = cycles
        self._position = position
        self._batches_served = int(state["batches_served"])
        self._order = self._permutation(cycles)
