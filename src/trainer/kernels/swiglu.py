"""SwiGLU's gate: ``silu(gate) * up``, computed in fp32 and rounded once to the input dtype.

The Triton kernel fuses the activation and the product (one read of each
input, one write) and recomputes ``sigmoid(gate)`` in the backward instead of
storing it:

    dgate = dy * up * s * (1 + gate * (1 - s))      dup = dy * gate * s      (s = sigmoid(gate))
"""

from __future__ import annotations

import functools
from typing import Any

import torch

from trainer.kernels._triton import import_triton, interpreting

BLOCK_GPU = 1024
BLOCK_INTERPRETER = 1 << 14  # the interpreter vectorises a block in numpy: fewer, larger programs


def swiglu_reference(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """``silu(gate) * up`` in fp32, rounded to the input dtype."""
    return (torch.nn.functional.silu(gate.float()) * up.float()).to(gate.dtype)


@functools.cache
def _kernels() -> tuple[Any, Any]:
    triton, tl = import_triton()

    @triton.jit
    def fwd(G, U, Y, n, BLOCK: tl.constexpr):
        off = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
        mask = off < n
        g = tl.load(G + off, mask=mask, other=0.0).to(tl.float32)
        u = tl.load(U + off, mask=mask, other=0.0).to(tl.float32)
        tl.store(Y + off, (g * tl.sigmoid(g) * u).to(Y.dtype.element_ty), mask=mask)

    @triton.jit
    def bwd(DY, G, U, DG, DU, n, BLOCK: tl.constexpr):
        off = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
        mask = off < n
        dy = tl.load(DY + off, mask=mask, other=0.0).to(tl.float32)
        g = tl.load(G + off, mask=mask, other=0.0).to(tl.float32)
        u = tl.load(U + off, mask=mask, other=0.0).to(tl.float32)
        s = tl.sigmoid(g)
        tl.store(DG + off, (dy * u * s * (1.0 + g * (1.0 - s))).to(DG.dtype.element_ty), mask=mask)
        tl.store(DU + off, (dy * g * s).to(DU.dtype.element_ty), mask=mask)

    return fwd, bwd


def _block() -> int:
    return BLOCK_INTERPRETER if interpreting() else BLOCK_GPU


class TritonSwiGLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
        if gate.shape != up.shape:
            raise ValueError(f"gate {tuple(gate.shape)} and up {tuple(up.shape)} differ")
        gate, up = gate.contiguous(), up.contiguous()
        y = torch.empty_like(gate)
        n, block = gate.numel(), _block()
        if n:
            _kernels()[0][(-(-n // block),)](gate, up, y, n, BLOCK=block)
        ctx.save_for_backward(gate, up)
        return y

    @staticmethod
    def backward(ctx: Any, dy: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        gate, up = ctx.saved_tensors
        dy = dy.contiguous()
        dg, du = torch.empty_like(gate), torch.empty_like(up)
        n, block = gate.numel(), _block()
        if n:
            _kernels()[1][(-(-n // block),)](dy, gate, up, dg, du, n, BLOCK=block)
        return dg, du


def swiglu_triton(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """The Triton SwiGLU gate (same contract as ``swiglu_reference``)."""
    return TritonSwiGLU.apply(gate, up)
