"""RMSNorm, RoPE and SwiGLU: Triton forward and gradients against the torch references (fp32, rel err <= 1e-5).

Sizes are odd and not powers of two so every kernel's masked tail runs.
"""

from __future__ import annotations

import pytest
import torch
from kernel_helpers import DEVICE, rel_err

from trainer.kernels.rmsnorm import rms_norm_reference, rms_norm_triton
from trainer.kernels.rope import rope_reference, rope_triton
from trainer.kernels.swiglu import BLOCK_INTERPRETER, swiglu_reference, swiglu_triton

TOL = 1e-5


def _parity(ref, tri, *inputs: torch.Tensor) -> tuple[float, list[float]]:  # type: ignore[no-untyped-def]
    """(forward rel err, [grad rel err per input]) for a random upstream gradient."""
    a = [x.detach().clone().requires_grad_(True) for x in inputs]
    b = [x.detach().clone().requires_grad_(True) for x in inputs]
    ya, yb = ref(*a), tri(*b)
    upstream = torch.randn_like(ya)
    (ya * upstream).sum().backward()
    (yb * upstream).sum().backward()
    return rel_err(yb, ya), [rel_err(y.grad, x.grad) for x, y in zip(a, b, strict=True)]


def _tables(seq: int, dim: int, theta: float = 10000.0) -> tuple[torch.Tensor, torch.Tensor]:
    inv = 1.0 / theta ** (torch.arange(0, dim, 2, dtype=torch.float32, device=DEVICE) / dim)
    freqs = torch.outer(torch.arange(seq, dtype=torch.float32, device=DEVICE), inv)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


@pytest.mark.falsifies("FALSIFY-KERNEL-RMSNORM-001")
@pytest.mark.parametrize("shape", [(3, 7, 45), (11, 130), (1, 1, 3)])
def test_rmsnorm_forward_and_grads_match_reference(shape: tuple[int, ...]) -> None:
    g = torch.Generator(device=DEVICE).manual_seed(sum(shape))
    x = torch.randn(shape, device=DEVICE, generator=g) * 3.0
    w = torch.randn(shape[-1], device=DEVICE, generator=g)
    fwd, grads = _parity(lambda x, w: rms_norm_reference(x, w, 1e-5), lambda x, w: rms_norm_triton(x, w, 1e-5), x, w)
    assert fwd <= TOL and max(grads) <= TOL, (fwd, grads)


@pytest.mark.falsifies("FALSIFY-KERNEL-RMSNORM-002")
def test_rmsnorm_statistics_are_fp32_for_bf16_input() -> None:
    """bf16 activations: both paths normalise in fp32; squaring in bf16 would be off by ~1e-2."""
    g = torch.Generator(device=DEVICE).manual_seed(3)
    x = (torch.randn(5, 77, device=DEVICE, generator=g) * 40).bfloat16()
    w = torch.rand(77, device=DEVICE, generator=g) + 0.5
    ref, tri = rms_norm_reference(x, w, 1e-6), rms_norm_triton(x, w, 1e-6)
    assert tri.dtype == ref.dtype == torch.float32  # fp32 weight * bf16 x_hat, as Hugging Face
    assert rel_err(tri, ref) <= 1e-2  # one bf16 rounding of x_hat apart at most
    xf = x.float()
    exact = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + 1e-6) * w
    assert rel_err(tri, exact) <= 8e-3


@pytest.mark.falsifies("FALSIFY-KERNEL-ROPE-001")
@pytest.mark.parametrize(("batch", "seq", "heads", "dim"), [(2, 5, 3, 14), (1, 7, 2, 6), (3, 2, 1, 2)])
def test_rope_forward_and_grads_match_reference(batch: int, seq: int, heads: int, dim: int) -> None:
    cos, sin = _tables(seq, dim)
    g = torch.Generator(device=DEVICE).manual_seed(batch * seq)
    x = torch.randn(batch, seq, heads, dim, device=DEVICE, generator=g)
    fwd, grads = _parity(lambda x: rope_reference(x, cos, sin), lambda x: rope_triton(x, cos, sin), x)
    assert fwd <= TOL and grads[0] <= TOL, (fwd, grads)


@pytest.mark.falsifies("FALSIFY-KERNEL-ROPE-002")
def test_rope_is_rotate_half_and_norm_preserving() -> None:
    """Pair (i, i + D/2) rotates by angle pos * theta^(-2i/D): position 0 is the identity, norms are kept."""
    seq, dim = 4, 10
    cos, sin = _tables(seq, dim)
    x = torch.randn(1, seq, 2, dim, device=DEVICE)
    y = rope_triton(x, cos, sin)
    assert torch.equal(y[:, 0], x[:, 0])
    torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1), rtol=1e-5, atol=1e-6)
    half = dim // 2
    angle = 3 * 10000.0 ** (-2 * 1 / dim)  # position 3, pair 1
    c, s = torch.cos(torch.tensor(angle)), torch.sin(torch.tensor(angle))
    x1, x2 = x[0, 3, 0, 1].cpu(), x[0, 3, 0, 1 + half].cpu()
    torch.testing.assert_close(y[0, 3, 0, 1].cpu(), x1 * c - x2 * s, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(y[0, 3, 0, 1 + half].cpu(), x2 * c + x1 * s, rtol=1e-5, atol=1e-6)


def test_rope_refuses_odd_head_dim() -> None:
    cos, sin = _tables(2, 4)
    with pytest.raises(ValueError, match="even"):
        rope_triton(torch.randn(1, 2, 1, 5, device=DEVICE), cos, sin)


@pytest.mark.falsifies("FALSIFY-KERNEL-SWIGLU-001")
@pytest.mark.parametrize("shape", [(3, 5, 37), (2 * BLOCK_INTERPRETER + 5,), (1,)])
def test_swiglu_forward_and_grads_match_reference(shape: tuple[int, ...]) -> None:
    g = torch.Generator(device=DEVICE).manual_seed(len(shape))
    gate = torch.randn(shape, device=DEVICE, generator=g) * 4
    up = torch.randn(shape, device=DEVICE, generator=g)
    fwd, grads = _parity(swiglu_reference, swiglu_triton, gate, up)
    assert fwd <= TOL and max(grads) <= TOL, (fwd, grads)


def test_swiglu_is_silu_gate_times_up() -> None:
    gate = torch.tensor([-2.0, 0.0, 1.5], device=DEVICE)
    up = torch.tensor([3.0, 5.0, -1.0], device=DEVICE)
    expected = gate / (1 + torch.exp(-gate)) * up
    torch.testing.assert_close(swiglu_triton(gate, up), expected, rtol=1e-6, atol=1e-7)
