"""``loss.png``: train loss per step and val loss per epoch boundary (matplotlib Agg)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path


def plot_losses(
    path: Path,
    *,
    train_steps: Sequence[int],
    train_losses: Sequence[float],
    val_steps: Sequence[int],
    val_losses: Sequence[float],
    title: str,
    target: float | None = None,
    synthetic: bool = False,
) -> Path:
    """Draw both curves and write the PNG atomically; returns ``path``.

    Val points sit at the step count where they were measured (0 = before any
    update), so the two curves share one x axis.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from trainer.atomic import atomic_write_bytes

    fig = Figure(figsize=(8, 4.5), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    if train_losses:
        ax.plot(list(train_steps), list(train_losses), lw=1.0, alpha=0.8, label="train loss (per step)")
    if val_losses:
        ax.plot(list(val_steps), list(val_losses), "o-", lw=1.5, label="val loss (held-out)")
    if target is not None:
        ax.axhline(target, ls="--", lw=0.8, color="grey", label=f"target {target:g}")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy (nats)")
    ax.set_title(("SYNTHETIC (scripted, no compute): " if synthetic else "") + title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write_bytes(Path(path), buf.getvalue())
    return Path(path)
