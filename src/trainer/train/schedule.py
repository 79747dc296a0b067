"""Learning-rate schedule: linear warmup, then cosine decay to ``lr_min``.

A pure function of the step so a resumed run needs no scheduler object: the
step counter alone restores the schedule exactly.
"""

from __future__ import annotations

import math


def lr_at(step: int, *, lr_max: float, lr_min: float, warmup_steps: int, total_steps: int) -> float:
    """Learning rate used by optimizer step ``step`` (0-based).

    Warmup: ``lr_max * (step + 1) / warmup_steps`` for ``step < warmup_steps``
    (the first step already moves the weights; the seed's "from 0" would waste
    it). Then cosine from ``lr_max`` at ``step == warmup_steps`` down to
    ``lr_min`` at the last step ``total_steps - 1``. When warmup covers the
    whole run the peak is never reached; the CLI prints a note in that case.
    """
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if step < warmup_steps:
        return lr_max * (step + 1) / warmup_steps
    decay_steps = total_steps - 1 - warmup_steps
    if decay_steps <= 0:
        return lr_max
    progress = min(1.0, (step - warmup_steps) / decay_steps)
    return lr_min + 0.5 * (lr_max - lr_min) * (1.0 + math.cos(math.pi * progress))
