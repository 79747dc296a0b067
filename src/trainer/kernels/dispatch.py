"""Which kernels a run uses: ``--kernels auto|torch|triton`` resolved against the device.

``auto`` is Triton on CUDA and torch on the CPU. ``triton`` on the CPU runs in
Triton's interpreter, which must be switched on before the kernels are first
used (``TRITON_INTERPRET=1``); without it the request is refused in preflight
(GATE-KERNELS-001, exit 3) instead of failing deep inside the first step.

A ``KernelSet`` is the four functions the model calls; the torch set is the
reference implementations. Cross-entropy: the Triton set always uses the fused
kernel; the torch set keeps materialised logits + ``F.cross_entropy`` while
those logits stay small and switches to the chunked torch algorithm once they
would exceed ``CHUNKED_CE_MIN_BYTES`` (large vocabularies x long batches).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from trainer.errors import GATE_KERNELS_001, PreflightError
from trainer.kernels._triton import interpreting
from trainer.kernels.fused_ce import fused_linear_cross_entropy
from trainer.kernels.rmsnorm import rms_norm_reference, rms_norm_triton
from trainer.kernels.rope import rope_reference, rope_triton
from trainer.kernels.swiglu import swiglu_reference, swiglu_triton

KERNEL_CHOICES = ("auto", "torch", "triton")
CHUNKED_CE_MIN_BYTES = 256 * 2**20  # fp32 logits above this go through the chunked torch CE


@dataclass(frozen=True)
class KernelSet:
    """The model's four kernel entry points, named for the run header and result.json."""

    name: str
    rms_norm: Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]
    rope: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
    swiglu: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

    def fused_ce(self, n_tokens: int, vocab: int) -> bool:
        """Whether the loss skips materialised logits for a batch of ``n_tokens``."""
        return self.name == "triton" or n_tokens * vocab * 4 > CHUNKED_CE_MIN_BYTES

    def loss_sum(self, hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Summed CE through the fused path (``impl`` = this set's row kernel)."""
        return fused_linear_cross_entropy(hidden, weight, targets, reduction="sum", impl=self.name)


TORCH = KernelSet("torch", rms_norm_reference, rope_reference, swiglu_reference)
TRITON = KernelSet("triton", rms_norm_triton, rope_triton, swiglu_triton)
KERNEL_SETS = {"torch": TORCH, "triton": TRITON}


def resolve_kernels(flag: str, device: str | torch.device) -> KernelSet:
    """``--kernels`` -> a KernelSet for ``device``; GATE-KERNELS-001 when Triton cannot run there."""
    if flag not in KERNEL_CHOICES:
        raise PreflightError(GATE_KERNELS_001, f"--kernels {flag!r} is not one of {', '.join(KERNEL_CHOICES)}",
                             fix="pass --kernels auto, torch or triton")
    device_type = torch.device(device).type
    if flag == "auto":
        flag = "triton" if device_type == "cuda" else "torch"
    if flag == "torch":
        return TORCH
    import importlib.util

    if importlib.util.find_spec("triton") is None:  # not imported here: the interpreter switch is read at import
        raise PreflightError(GATE_KERNELS_001, "--kernels triton requested but the triton package is not installed",
                             fix="install triton (it ships with torch's CUDA wheels) or pass --kernels torch")
    if device_type != "cuda" and not interpreting():
        raise PreflightError(
            GATE_KERNELS_001,
            f"--kernels triton on {device_type} needs Triton's CPU interpreter, which is off",
            fix="set TRITON_INTERPRET=1 in the environment (slow; for tests), or pass --kernels torch / auto",
        )
    return TRITON
