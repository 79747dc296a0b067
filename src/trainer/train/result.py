"""What a run proved: ``RunResult``, its ``result.json`` and its text block.

``result.json`` is written for every run that got past argument parsing and
preflight (aborted ones included) because evidence packs read it. Statuses:
CONVERGED (target met), FINISHED (all steps ran, target not met, said so),
EARLY_STOP (patience exhausted), ABORTED (a gate fired; ``gate_id`` names it),
and SYNTHETIC_<status> for ``--synthetic`` runs, which computed nothing.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

OK_STATUSES = ("CONVERGED", "FINISHED", "EARLY_STOP")


@dataclass
class RunResult:
    """The fields fixed in TRAINER.md plus the ones a reader needs to trust them."""

    status: str
    detail: str
    gate_id: str | None = None
    initial_val_loss: float | None = None
    final_val_loss: float | None = None
    best_val_loss: float | None = None
    best_epoch: int | None = None
    val_loss_history: list[float] = field(default_factory=list)
    train_loss_history: list[float] = field(default_factory=list)
    target_val_loss: float | None = None
    epochs_completed: int = 0
    steps_completed: int = 0
    tokens_seen: int = 0
    wall_seconds: float = 0.0
    synthetic: bool = False
    init: str | None = None
    init_population: str | None = None  # load_init_weights' summary: what was loaded, what was ignored and why
    mode: str | None = None
    device: str | None = None
    model: dict[str, Any] | None = None
    vocab_size: int | None = None
    ln_vocab: float | None = None
    seed: int | None = None
    resumed_from_epoch: int | None = None
    shard_cycles: int = 0
    checkpoints: list[str] = field(default_factory=list)
    run_dir: str | None = None
    kernels: str | None = None  # "torch" or "triton": which kernel set ran (--kernels, resolved)
    precision: str | None = None  # "fp32" or "bf16" autocast
    compiled: bool = False  # --compile
    # world_size, shard, backend, per_rank_batch, grad_accum, global_batch (= the product), val_loss_by_rank
    distributed: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        base = self.status.removeprefix("SYNTHETIC_")
        return base in OK_STATUSES

    def to_dict(self) -> dict[str, Any]:
        return _finite_or_none(asdict(self))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False) + "\n"

    def text_block(self) -> str:
        """``=== Run Result ===`` and one verdict line, as the seed printed it (fixed)."""
        lines = ["=== Run Result ==="]
        prefix = "SYNTHETIC " if self.synthetic else ""
        base = self.status.removeprefix("SYNTHETIC_")
        val = _fmt(self.final_val_loss)
        if base == "CONVERGED":
            lines.append(f"OK {prefix}CONVERGED  final val_loss={val} after {self.epochs_completed} epoch(s)")
        elif base == "FINISHED":
            lines.append(
                f"OK {prefix}FINISHED  final val_loss={val} after {self.epochs_completed} epoch(s); "
                f"target val_loss={_fmt(self.target_val_loss)} NOT reached"
            )
        elif base == "EARLY_STOP":
            lines.append(
                f"OK {prefix}EARLY_STOP  best val_loss={_fmt(self.best_val_loss)} at epoch {self.best_epoch}; "
                f"stopped after {self.epochs_completed} epoch(s)"
            )
        else:
            lines.append(f"FAIL {prefix}ABORTED {self.gate_id}: {self.detail}")
        if base != "ABORTED" and self.detail:
            lines.append(f"Detail: {self.detail}")
        lines.append(f"Initial val_loss: {_fmt(self.initial_val_loss)} (ln V = {_fmt(self.ln_vocab)})")
        lines.append(f"Steps recorded: {self.steps_completed}")
        lines.append(f"Epochs recorded: {self.epochs_completed}")
        lines.append(f"Tokens seen: {self.tokens_seen}")
        if self.synthetic:
            lines.append("SYNTHETIC: scripted losses, no model, no data, no checkpoint")
        return "\n".join(lines)


def write_result(result: RunResult, run_dir: Path) -> Path:
    """Atomically write ``run_dir/result.json``."""
    from trainer.atomic import atomic_write_text

    path = Path(run_dir) / "result.json"
    atomic_write_text(path, result.to_json())
    return path


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _finite_or_none(obj: Any) -> Any:
    """JSON has no NaN/Inf: a non-finite number is recorded as null (the detail says why)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite_or_none(v) for v in obj]
    return obj
