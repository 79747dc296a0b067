"""RMSNorm: ``weight * (x / sqrt(mean(x^2) + eps))`` with the statistics in fp32 whatever ``x`` is.

The reference is what Hugging Face's Llama/Qwen2 do (and what the model used
before kernels existed): upcast, normalise, round back to the input dtype, then
multiply by the (fp32 master) weight. The Triton kernel does the same per row in
one pass and saves only ``rstd`` (one float per row) for the backward, which
recomputes ``x_hat`` instead of storing it:

    dx = rstd * (dy*w - x_hat * mean(dy*w*x_hat))      dw = sum_rows dy * x_hat
"""

from __future__ import annotations

import functools
from typing import Any

import torch

from trainer.kernels._triton import import_triton, num_warps_for, reduction_programs, row_block, row_tile


def rms_norm_reference(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """Pure torch, fp32 statistics (Hugging Face's LlamaRMSNorm)."""
    dtype = x.dtype
    xf = x.float()
    xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return weight * xf.to(dtype)


@functools.cache
def _kernels() -> tuple[Any, Any]:
    """Decorate on first use so TRITON_INTERPRET is read then, not at import."""
    triton, tl = import_triton()

    @triton.jit
    def fwd(X, W, Y, RSTD, stride, n_rows, n_cols, eps, BLOCK_R: tl.constexpr, BLOCK: tl.constexpr):
        rows = tl.program_id(0).to(tl.int64) * BLOCK_R + tl.arange(0, BLOCK_R)[:, None]
        cols = tl.arange(0, BLOCK)[None, :]
        mask = (rows < n_rows) & (cols < n_cols)
        x = tl.load(X + rows * stride + cols, mask=mask, other=0.0).to(tl.float32)
        w = tl.load(W + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
        rstd = tl.rsqrt(tl.sum(x * x, axis=1) / n_cols + eps)
        x_hat = (x * rstd[:, None]).to(X.dtype.element_ty).to(tl.float32)
        tl.store(Y + rows * stride + cols, (x_hat * w).to(Y.dtype.element_ty), mask=mask)
        tl.store(RSTD + tl.arange(0, BLOCK_R) + tl.program_id(0).to(tl.int64) * BLOCK_R, rstd,
                 mask=tl.arange(0, BLOCK_R) + tl.program_id(0).to(tl.int64) * BLOCK_R < n_rows)

    @triton.jit
    def bwd(DY, X, W, RSTD, DX, DW, stride, n_rows, n_cols, tiles_per_program,
            BLOCK_R: tl.constexpr, BLOCK: tl.constexpr):
        pid = tl.program_id(0)
        cols = tl.arange(0, BLOCK)[None, :]
        cmask = cols < n_cols
        w = tl.load(W + cols, mask=cmask, other=0.0).to(tl.float32)
        dw = tl.zeros((BLOCK,), dtype=tl.float32)
        for tile in range(pid * tiles_per_program, (pid + 1) * tiles_per_program):
            r1 = tile * BLOCK_R + tl.arange(0, BLOCK_R)
            rows = r1[:, None].to(tl.int64)
            mask = (rows < n_rows) & cmask
            off = rows * stride + cols
            x = tl.load(X + off, mask=mask, other=0.0).to(tl.float32)
            dy = tl.load(DY + off, mask=mask, other=0.0).to(tl.float32)
            rstd = tl.load(RSTD + r1, mask=r1 < n_rows, other=0.0)[:, None]
            x_hat = x * rstd
            dxh = dy * w
            dx = rstd * (dxh - x_hat * (tl.sum(dxh * x_hat, axis=1)[:, None] / n_cols))
            tl.store(DX + off, dx.to(DX.dtype.element_ty), mask=mask)
            dw += tl.sum(dy * x_hat, axis=0)
        tl.store(DW + pid * n_cols + tl.arange(0, BLOCK), dw, mask=tl.arange(0, BLOCK) < n_cols)

    return fwd, bwd


class TritonRMSNorm(torch.autograd.Function):
    """Autograd wrapper around the two kernels (rows = every leading dimension)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
        fwd, _ = _kernels()
        shape = x.shape
        x2 = x.reshape(-1, shape[-1]).contiguous()
        n_rows, n_cols = x2.shape
        out_dtype = torch.promote_types(x.dtype, weight.dtype)
        y = torch.empty((n_rows, n_cols), dtype=out_dtype, device=x.device)
        rstd = torch.empty(n_rows, dtype=torch.float32, device=x.device)
        block = row_block(n_cols)
        block_r = row_tile(n_rows, block)
        if n_rows:
            fwd[(-(-n_rows // block_r),)](x2, weight, y, rstd, x2.stride(0), n_rows, n_cols, eps, BLOCK_R=block_r,
                                          BLOCK=block, num_warps=num_warps_for(block * block_r))
        ctx.save_for_backward(x2, weight, rstd)
        ctx.shape = shape
        return y.view(shape)

    @staticmethod
    def backward(ctx: Any, dy: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, None]:
        _, bwd = _kernels()
        x2, weight, rstd = ctx.saved_tensors
        n_rows, n_cols = x2.shape
        dy2 = dy.reshape(n_rows, n_cols).contiguous()
        dx = torch.empty_like(x2)
        block = row_block(n_cols)
        block_r = row_tile(n_rows, block)
        tiles = -(-n_rows // block_r) if n_rows else 0
        programs = min(max(tiles, 1), reduction_programs(tiles, x2.device.index if x2.is_cuda else None))
        tiles_per_program = -(-tiles // programs) if tiles else 0
        partial = torch.zeros((programs, n_cols), dtype=torch.float32, device=x2.device)
        if n_rows:
            bwd[(programs,)](dy2, x2, weight, rstd, dx, partial, x2.stride(0), n_rows, n_cols, tiles_per_program,
                             BLOCK_R=block_r, BLOCK=block, num_warps=num_warps_for(block * block_r))
        return dx.view(ctx.shape), partial.sum(0).to(weight.dtype), None


def rms_norm_triton(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """The Triton RMSNorm (same contract as ``rms_norm_reference``)."""
    return TritonRMSNorm.apply(x, weight, eps)
