"""Resolved settings of one ``apr pretrain`` run, and the mode defaults.

``--mode`` flips the learning rate, warmup and target together (GATE-TRAIN-009,
the seed's task #119 lesson: a from-scratch run with fine-tune defaults had the
wrong LR band and an unreachable target). Explicit flags always win. Kept free
of torch so the CLI can resolve and print settings instantly.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Mode = Literal["finetune", "from-scratch"]


@dataclass(frozen=True)
class ModeDefaults:
    """One row of the contract's ``hyperparameter_defaults`` table."""

    lr: float
    warmup_steps: int
    target_val_loss: float


MODE_DEFAULTS: dict[str, ModeDefaults] = {
    "finetune": ModeDefaults(lr=5e-5, warmup_steps=100, target_val_loss=2.2),
    "from-scratch": ModeDefaults(lr=3e-4, warmup_steps=1000, target_val_loss=3.0),
}

# Fixed loop constants (contract C-TRAIN-PRETRAIN, "Build PretrainConfig").
GRAD_CLIP = 1.0
WEIGHT_DECAY = 0.01
ADAM_BETAS = (0.9, 0.95)
ADAM_EPS = 1e-8
FINETUNE_EPOCH0_CAP = 10.0


def lr_min_for(lr: float) -> float:
    """Cosine floor: ``max(0.01 * lr, 1e-7)``, as the seed's PretrainConfig, capped at ``lr``.

    Without the cap a peak below 1e-7 would get a floor above it and the
    "decay" would raise the learning rate past the requested ``--lr``.
    """
    return min(lr, max(0.01 * lr, 1e-7))


@dataclass(frozen=True)
class TrainOptions:
    """Everything the loop needs, after mode defaults were applied.

    Paths are kept as given; ``preflight`` checks them. ``init`` switches the
    architecture source from ``model`` (a preset) to the checkpoint.
    """

    dataset: Path | None
    tokenizer: Path | None
    run_dir: Path
    mode: Mode = "finetune"
    model: str = "llama-370m"
    vocab_size: int | None = None
    num_steps: int = 1000
    batch_size: int = 16
    seq_length: int = 1024
    steps_per_epoch: int = 100
    seed: int = 42
    lr: float = 5e-5
    warmup_steps: int = 100
    target_val_loss: float = 2.2
    device: str = "auto"
    val_shard: Path | None = None
    val_batches: int = 16
    grad_accum: int = 1
    patience: int = 2
    min_epochs: int = 3
    allow_shard_cycle: bool = False
    resume: bool = False
    synthetic: bool = False
    init: Path | None = None
    json: bool = False
    progress: bool = True
    kernels: str = "auto"  # auto | torch | triton (trainer.kernels.dispatch)
    precision: str | None = None  # fp32 | bf16; None = the device's default (trainer.train.builder)
    compile: bool = False
    nproc: int = 1  # --nproc: ranks `apr pretrain` launches on this machine (through torchrun's launcher)
    shard: str = "ddp"  # --shard: ddp (replicas) or fsdp (FSDP2 fully_shard, optimizer state sharded too)
    world_size: int = 1  # ranks in this job (torchrun's WORLD_SIZE); set by the command, not a flag

    @property
    def lr_min(self) -> float:
        return lr_min_for(self.lr)

    @property
    def num_epochs(self) -> int:
        """``ceil(num_steps / steps_per_epoch)``; the last epoch may be short."""
        return math.ceil(self.num_steps / self.steps_per_epoch) if self.num_steps > 0 else 0

    @property
    def global_batch(self) -> int:
        """Sequences per optimizer step over the whole job: per-rank batch x world size x accumulation."""
        return self.batch_size * self.world_size * self.grad_accum

    @property
    def tokens_per_step(self) -> int:
        return self.global_batch * self.seq_length

    @property
    def planned_tokens(self) -> int:
        return self.num_steps * self.tokens_per_step

    def replace(self, **changes: object) -> TrainOptions:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def fingerprint(self) -> dict[str, object]:
        """The settings a resumed run must share with the run it continues."""
        keep = (
            "mode", "model", "vocab_size", "num_steps", "batch_size", "seq_length", "steps_per_epoch",
            "seed", "lr", "warmup_steps", "target_val_loss", "val_batches", "grad_accum", "patience",
            "min_epochs", "allow_shard_cycle",
        )  # fmt: skip
        out: dict[str, object] = {k: getattr(self, k) for k in keep}
        for key in ("dataset", "tokenizer", "val_shard", "init"):
            value = getattr(self, key)
            out[key] = str(Path(value).resolve()) if value is not None else None
        return out


def resolve_mode_defaults(
    mode: str,
    *,
    lr: float | None = None,
    warmup_steps: int | None = None,
    target_val_loss: float | None = None,
) -> ModeDefaults:
    """Apply the mode row, then any explicit override (explicit always wins)."""
    row = MODE_DEFAULTS[mode]
    return ModeDefaults(
        lr=row.lr if lr is None else lr,
        warmup_steps=row.warmup_steps if warmup_steps is None else warmup_steps,
        target_val_loss=row.target_val_loss if target_val_loss is None else target_val_loss,
    )
