"""Rotary position embedding, Hugging Face's rotate-half convention, cos/sin kept in fp32.

Dimension ``i`` pairs with ``i + head_dim/2`` (so HF checkpoints load
unpermuted). Inputs are ``[batch, seq, heads, head_dim]`` (the projection's
natural layout, before the transpose for attention); ``cos``/``sin`` are
``[seq, head_dim]`` fp32 tables from ``rope_cos_sin``. The rotation is computed
in fp32 and rounded once to the input dtype. Its backward is the transposed
rotation (the same kernel with the sign of ``sin`` flipped):

    forward:  y1 = x1*c1 - x2*s1        y2 = x2*c2 + x1*s2
    backward: dx1 = dy1*c1 + dy2*s2     dx2 = dy2*c2 - dy1*s1
"""

from __future__ import annotations

import functools
from typing import Any

import torch

from trainer.kernels._triton import import_triton, next_power_of_2, num_warps_for, row_tile


def rope_reference(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """``x*cos + rotate_half(x)*sin`` on ``x [B, T, H, D]`` with fp32 ``cos/sin [T, D]``."""
    half = x.shape[-1] // 2
    xf = x.float()
    rotated = torch.cat((-xf[..., half:], xf[..., :half]), dim=-1)
    return (xf * cos[:, None, :] + rotated * sin[:, None, :]).to(x.dtype)


@functools.cache
def _kernel() -> Any:
    triton, tl = import_triton()

    @triton.jit
    def rotate(X, Y, COS, SIN, n_rows, seq_len, n_heads, head_dim, half, BACKWARD: tl.constexpr,
               BLOCK_R: tl.constexpr, BLOCK_D: tl.constexpr):
        # A tile of BLOCK_R (batch, position, head) rows; the position of row r is (r // heads) % seq.
        r1 = tl.program_id(0).to(tl.int64) * BLOCK_R + tl.arange(0, BLOCK_R)
        rows = r1[:, None]
        pos = ((r1 // n_heads) % seq_len)[:, None]
        d = tl.arange(0, BLOCK_D)[None, :]
        mask = (rows < n_rows) & (d < half)
        off = rows * head_dim + d
        x1 = tl.load(X + off, mask=mask, other=0.0).to(tl.float32)
        x2 = tl.load(X + off + half, mask=mask, other=0.0).to(tl.float32)
        t = pos * head_dim + d
        c1 = tl.load(COS + t, mask=mask, other=0.0)
        c2 = tl.load(COS + t + half, mask=mask, other=0.0)
        s1 = tl.load(SIN + t, mask=mask, other=0.0)
        s2 = tl.load(SIN + t + half, mask=mask, other=0.0)
        if BACKWARD:
            y1 = x1 * c1 + x2 * s2
            y2 = x2 * c2 - x1 * s1
        else:
            y1 = x1 * c1 - x2 * s1
            y2 = x2 * c2 + x1 * s2
        tl.store(Y + off, y1.to(Y.dtype.element_ty), mask=mask)
        tl.store(Y + off + half, y2.to(Y.dtype.element_ty), mask=mask)

    return rotate


def _launch(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, backward: bool) -> torch.Tensor:
    b, t, h, d = x.shape
    if d % 2:
        raise ValueError(f"rotary head_dim must be even, got {d}")
    x = x.contiguous()
    y = torch.empty_like(x)
    n_rows = b * t * h
    block_d = next_power_of_2(d // 2)
    block_r = row_tile(n_rows, block_d)
    if x.numel():
        _kernel()[(-(-n_rows // block_r),)](x, y, cos, sin, n_rows, t, h, d, d // 2, BACKWARD=backward,
                                            BLOCK_R=block_r, BLOCK_D=block_d,
                                            num_warps=num_warps_for(block_r * block_d))
    return y


class TritonRoPE(torch.autograd.Function):
    """Rotate ``x [B, T, H, D]``; the tables carry no gradient."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        cos, sin = cos.float().contiguous(), sin.float().contiguous()
        ctx.save_for_backward(cos, sin)
        return _launch(x, cos, sin, backward=False)

    @staticmethod
    def backward(ctx: Any, dy: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        cos, sin = ctx.saved_tensors
        return _launch(dy, cos, sin, backward=True), None, None


def rope_triton(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """The Triton rotation (same contract as ``rope_reference``)."""
    return TritonRoPE.apply(x, cos, sin)
