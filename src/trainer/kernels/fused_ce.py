"""Fused linear cross-entropy: loss and gradients of ``CE(hidden @ weight.T, targets)`` without the logits.

Materialising ``tokens x vocab`` logits (and ``F.cross_entropy``'s log-softmax
and gradient of the same size) dominates memory at large vocabularies: 4,096
tokens x 151,936 Qwen ids is 2.5 GB per fp32 copy. Following Liger-Kernel's
FusedLinearCrossEntropy, the tokens are processed in chunks and the backward is
done *inside the forward*:

1. per chunk, ``logits_c = hidden_c @ weight.T`` (fp32 accumulate; the
   autocast dtype for the matmul under bf16);
2. a row kernel computes each row's logsumexp online over vocab blocks, the
   loss ``lse - logit[target]``, and overwrites ``logits_c`` in place with
   ``dL/dlogits = (softmax - onehot) * scale`` (zero rows for ``ignore_index``);
3. ``grad_hidden_c = g @ weight`` and ``grad_weight += g.T @ hidden_c``; the
   chunk is then dropped.

``backward`` only multiplies the stored gradients by the incoming scalar. The
chunk size comes from the vocab (Liger's rule): ``next_pow2(ceil(N /
ceil(V / H)))`` rows, so a chunk's logits hold about as many elements as the
hidden states. Peak extra memory is then ~ one ``V x H`` fp32 weight gradient
(which any method needs) plus ``N x H``-sized buffers.

Two row kernels implement step 2: a Triton kernel (``impl="triton"``) and the
same algorithm in torch (``impl="torch"``, the CPU path for large vocabularies).
Semantics match ``F.cross_entropy(..., ignore_index=-100, reduction=...)``,
including ``mean`` over non-ignored tokens (NaN when every token is ignored).
"""

from __future__ import annotations

import functools
from typing import Any

import torch
import torch.nn.functional as F

from trainer.kernels._triton import CE_BLOCK_V, import_triton, next_power_of_2, num_warps_for, row_tile

IGNORE_INDEX = -100
REDUCTIONS = ("mean", "sum")


def linear_cross_entropy_reference(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, *,
                                   ignore_index: int = IGNORE_INDEX, reduction: str = "mean") -> torch.Tensor:
    """Materialised logits + ``F.cross_entropy`` (fp32), the semantics every path must reproduce."""
    logits = F.linear(hidden.reshape(-1, hidden.shape[-1]), weight).float()
    return F.cross_entropy(logits, targets.reshape(-1), ignore_index=ignore_index, reduction=reduction)


def chunk_rows(n_tokens: int, vocab: int, hidden: int) -> int:
    """Liger's chunk size: rows such that a chunk's logits hold ~ n_tokens x hidden elements."""
    inc = max(1, -(-vocab // max(1, hidden)))
    return max(1, min(n_tokens, next_power_of_2(-(-n_tokens // inc))))


def _row_ce_torch(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int, scale: float) -> torch.Tensor:
    """Per-row CE of an fp32 chunk; overwrites ``logits`` with ``scale * (softmax - onehot)``."""
    valid = targets != ignore_index
    safe = torch.where(valid, targets, 0)
    lse = torch.logsumexp(logits, dim=-1)
    loss = (lse - logits.gather(1, safe[:, None]).squeeze(1)) * valid
    logits.sub_(lse[:, None]).exp_()
    logits.scatter_add_(1, safe[:, None], -valid.to(logits.dtype)[:, None])
    logits.mul_((valid.to(logits.dtype) * scale)[:, None])
    return loss


@functools.cache
def _row_kernel() -> Any:
    triton, tl = import_triton()

    @triton.jit
    def ce_rows(L, T, LOSS, stride, n_rows, n_cols, ignore_index, scale, BLOCK_R: tl.constexpr,
                BLOCK_V: tl.constexpr):
        r1 = tl.program_id(0).to(tl.int64) * BLOCK_R + tl.arange(0, BLOCK_R)
        rmask = r1 < n_rows
        target = tl.load(T + r1, mask=rmask, other=ignore_index)
        valid = target != ignore_index
        rows = r1[:, None]
        # pass 1: online logsumexp over vocab blocks, and the target's logit
        m = tl.full((BLOCK_R,), float("-inf"), tl.float32)
        s = tl.zeros((BLOCK_R,), dtype=tl.float32)
        x_t = tl.zeros((BLOCK_R,), dtype=tl.float32)
        for start in range(0, n_cols, BLOCK_V):
            cols = start + tl.arange(0, BLOCK_V)[None, :]
            mask = rmask[:, None] & (cols < n_cols)
            x = tl.load(L + rows * stride + cols, mask=mask, other=float("-inf")).to(tl.float32)
            x = tl.where(rmask[:, None], x, 0.0)  # padding rows of the tile stay finite (no inf - inf)
            m_new = tl.maximum(m, tl.max(x, axis=1))
            s = s * tl.exp(m - m_new) + tl.sum(tl.exp(x - m_new[:, None]), axis=1)
            x_t += tl.sum(tl.where(cols == target[:, None], x, 0.0), axis=1)
            m = m_new
        lse = m + tl.log(s)
        coef = tl.where(valid, scale, 0.0)
        # pass 2: overwrite the logits with dL/dlogits = coef * (softmax - onehot)
        for start in range(0, n_cols, BLOCK_V):
            cols = start + tl.arange(0, BLOCK_V)[None, :]
            mask = rmask[:, None] & (cols < n_cols)
            x = tl.load(L + rows * stride + cols, mask=mask, other=0.0).to(tl.float32)
            g = tl.exp(x - lse[:, None])
            g = tl.where(cols == target[:, None], g - 1.0, g) * coef[:, None]
            tl.store(L + rows * stride + cols, g, mask=mask)
        tl.store(LOSS + r1, tl.where(valid, lse - x_t, 0.0), mask=rmask)

    return ce_rows


def _row_ce_triton(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int, scale: float) -> torch.Tensor:
    rows, vocab = logits.shape
    loss = torch.empty(rows, dtype=torch.float32, device=logits.device)
    block = min(CE_BLOCK_V, next_power_of_2(vocab))
    block_r = row_tile(rows, block)
    if rows:
        _row_kernel()[(-(-rows // block_r),)](logits, targets, loss, logits.stride(0), rows, vocab, ignore_index,
                                              scale, BLOCK_R=block_r, BLOCK_V=block,
                                              num_warps=num_warps_for(block * block_r))
    return loss


ROW_KERNELS = {"torch": _row_ce_torch, "triton": _row_ce_triton}


def _compute_dtype(t: torch.Tensor) -> torch.dtype:
    """The matmul dtype: autocast's when it is on for this device (bf16 on CUDA), else the input's."""
    device_type = t.device.type
    if torch.is_autocast_enabled(device_type):
        return torch.get_autocast_dtype(device_type)
    return t.dtype


class FusedLinearCrossEntropy(torch.autograd.Function):
    """Loss in the forward, gradients too; ``backward`` scales them by the upstream gradient."""

    @staticmethod
    def forward(ctx: Any, hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, ignore_index: int,
                reduction: str, impl: str, compute_dtype: torch.dtype, chunk: int | None) -> torch.Tensor:
        row_ce = ROW_KERNELS[impl]
        n, h = hidden.shape
        vocab = weight.shape[0]
        need_h, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        hc, wc = hidden.to(compute_dtype), weight.to(compute_dtype)
        targets = targets.contiguous()
        n_valid = int((targets != ignore_index).sum())
        scale = (1.0 / n_valid if n_valid else float("nan")) if reduction == "mean" else 1.0
        rows = chunk or chunk_rows(n, vocab, h)
        grad_h = torch.empty((n, h), dtype=hidden.dtype, device=hidden.device) if need_h else None
        grad_w = torch.zeros((vocab, h), dtype=torch.float32, device=weight.device) if need_w else None
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        for start in range(0, n, rows):
            end = min(start + rows, n)
            h_c = hc[start:end]
            logits = (h_c @ wc.t()).float()
            total += row_ce(logits, targets[start:end], ignore_index, scale).sum()
            if need_h or need_w:
                g = logits.to(compute_dtype)
                if grad_h is not None:
                    grad_h[start:end] = g @ wc
                if grad_w is not None:
                    grad_w.add_(g.t() @ h_c)
            del logits
        ctx.save_for_backward(*(t for t in (grad_h, grad_w) if t is not None))
        ctx.has = (grad_h is not None, grad_w is not None)
        ctx.weight_dtype = weight.dtype
        return total * scale

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        saved = list(ctx.saved_tensors)
        grad_h = saved.pop(0) if ctx.has[0] else None
        grad_w = saved.pop(0) if ctx.has[1] else None
        one = bool(grad_out.numel() == 1 and float(grad_out) == 1.0)
        if grad_h is not None and not one:
            grad_h = grad_h * grad_out.to(grad_h.dtype)
        if grad_w is not None:
            grad_w = grad_w if one else grad_w * grad_out.float()
            grad_w = grad_w.to(ctx.weight_dtype)
        return grad_h, grad_w, None, None, None, None, None, None


def fused_linear_cross_entropy(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, *,
                               ignore_index: int = IGNORE_INDEX, reduction: str = "mean", impl: str = "torch",
                               chunk: int | None = None) -> torch.Tensor:
    """CE of ``hidden [..., H] @ weight [V, H].T`` against ``targets [...]`` without materialising logits.

    ``impl`` picks the row kernel ("torch" or "triton"); ``chunk`` overrides the
    rows per chunk (tests use it to exercise many chunks on small inputs).
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction {reduction!r} is not one of {REDUCTIONS}")
    if impl not in ROW_KERNELS:
        raise ValueError(f"impl {impl!r} is not one of {tuple(ROW_KERNELS)}")
    h2 = hidden.reshape(-1, hidden.shape[-1])
    t = targets.reshape(-1)
    if t.shape[0] != h2.shape[0]:
        raise ValueError(f"{h2.shape[0]} hidden rows but {t.shape[0]} targets")
    dtype = _compute_dtype(hidden)
    with torch.autocast(device_type=hidden.device.type, enabled=False):
        return FusedLinearCrossEntropy.apply(h2, weight, t, ignore_index, reduction, impl, dtype, chunk)
