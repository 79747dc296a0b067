"""``--device`` resolution (GATE-GPUTRAIN-002): an explicit CUDA request without CUDA is fatal.

Only ``auto`` falls back to the CPU, and it says so. The same code path then
trains on whichever device was chosen; there is no device-specific fork.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trainer.errors import GATE_GPUTRAIN_002, PreflightError

DEVICE_PATTERN = re.compile(r"^(auto|cpu|cuda|cuda:(\d|1[0-5]))$")


@dataclass(frozen=True)
class ResolvedDevice:
    name: str  # torch device string: "cpu" or "cuda:N"
    note: str  # one line for the header, e.g. "auto -> cpu (CUDA not available)"


def validate_device_flag(value: str) -> str:
    """Parse-level check of the flag's spelling (argparse ``type=``)."""
    import argparse

    if not DEVICE_PATTERN.match(value):
        raise argparse.ArgumentTypeError(f"invalid device {value!r}: use auto, cpu, cuda or cuda:0 .. cuda:15")
    return value


def resolve_device(flag: str, *, cuda_available: bool | None = None, cuda_count: int | None = None) -> ResolvedDevice:
    """Map the flag to a torch device; ``cuda_*`` overrides exist for tests."""
    if cuda_available is None or cuda_count is None:
        import torch

        cuda_available = torch.cuda.is_available() if cuda_available is None else cuda_available
        cuda_count = (torch.cuda.device_count() if cuda_available else 0) if cuda_count is None else cuda_count
    if flag == "cpu":
        return ResolvedDevice("cpu", "cpu (requested)")
    if flag == "auto":
        if cuda_available:
            return ResolvedDevice("cuda:0", "auto -> cuda:0")
        return ResolvedDevice("cpu", "auto -> cpu (CUDA not available; pass --device cuda to require it)")
    index = int(flag.split(":", 1)[1]) if ":" in flag else 0
    if not cuda_available:
        raise PreflightError(
            GATE_GPUTRAIN_002,
            f"--device {flag} requested but CUDA is not available in this torch build/machine",
            fix="use --device cpu, or --device auto to fall back explicitly",
        )
    if index >= cuda_count:
        raise PreflightError(
            GATE_GPUTRAIN_002,
            f"--device {flag} requested but only {cuda_count} CUDA device(s) exist",
            fix=f"use cuda:0 .. cuda:{cuda_count - 1}",
        )
    return ResolvedDevice(f"cuda:{index}", f"{flag} -> cuda:{index}")
