"""Shared bits of the kernel tests: the device they run on and the relative-error measure."""

from __future__ import annotations

import torch

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def rel_err(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """max |a - e| / max |e| (the tolerance the kernel contracts state)."""
    scale = expected.detach().abs().max().clamp_min(1e-30)
    return float((actual.detach() - expected.detach()).abs().max() / scale)
