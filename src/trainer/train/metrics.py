"""Per-step metrics: one JSON object per optimizer step in ``run_dir/train.jsonl``.

Fields (INV-TRAIN-001 as implemented): ``step`` (0-based optimizer step),
``epoch`` (1-based epoch the step belongs to), ``train_loss`` (mean CE over all
tokens of the step's micro-batches), ``grad_norm`` (global L2 norm BEFORE
clipping), ``lr`` (the rate this step used), ``tokens_per_sec`` (tokens of the
step / its wall time), ``gpu_util_pct`` (NVML utilisation sampled after the
step on CUDA; ``null`` on CPU or without NVML: never invented, unlike the
seed's 50 +- 5), ``tokens_seen`` (cumulative) and ``step_seconds``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REQUIRED_FIELDS = ("step", "train_loss", "grad_norm", "lr", "tokens_per_sec", "gpu_util_pct")


class MetricsLog:
    """Append-only JSONL writer, flushed per line so a crash loses at most one record."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def append(self, record: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, sort_keys=True, allow_nan=False) + "\n")

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                try:
                    out.append(json.loads(line))
                except ValueError:
                    break  # a torn last line from a crash: everything after it is discarded
        return out

    def truncate_to(self, steps: int) -> list[dict[str, Any]]:
        """Keep the records of steps ``< steps`` (a resume replays the rest); returns them."""
        from trainer.atomic import atomic_write_text

        kept = [r for r in self.read() if int(r["step"]) < steps]
        atomic_write_text(self.path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in kept))
        return kept


def device_utilisation(device: str) -> float | None:
    """Real GPU utilisation in percent where NVML can tell; None otherwise (CPU, no NVML)."""
    if not device.startswith("cuda"):
        return None
    try:
        import torch

        return float(torch.cuda.utilization(device))
    except Exception:  # NVML missing or unsupported: say nothing rather than invent a number
        return None
