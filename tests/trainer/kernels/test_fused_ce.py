"""Fused linear cross-entropy (torch chunked and Triton row kernels) against logits + F.cross_entropy.

fp32, rel err <= 1e-4 on the loss and both gradients; odd sizes, several
chunks with a short last one, ignore_index rows, tied and untied heads, and a
vocab block smaller than the vocab so the online logsumexp crosses blocks.
"""

from __future__ import annotations

import math

import pytest
import torch
from kernel_helpers import DEVICE, rel_err

import trainer.kernels.fused_ce as fce
from trainer.kernels.fused_ce import chunk_rows, fused_linear_cross_entropy, linear_cross_entropy_reference

TOL = 1e-4
IMPLS = ("torch", "triton")


def _inputs(n: int, hidden: int, vocab: int, seed: int, ignored: tuple[int, ...] = (3, 10)):
    g = torch.Generator(device=DEVICE).manual_seed(seed)
    h = torch.randn(n, hidden, device=DEVICE, generator=g)
    w = torch.randn(vocab, hidden, device=DEVICE, generator=g) * 0.3
    t = torch.randint(0, vocab, (n,), device=DEVICE, generator=g)
    t[[i for i in ignored if i < n]] = -100
    return h, w, t


@pytest.mark.falsifies("FALSIFY-KERNEL-FUSEDCE-001")
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(("n", "hidden", "vocab", "chunk"), [(37, 24, 997, 8), (5, 13, 131, None)])
def test_untied_loss_and_grads_match_reference(impl: str, reduction: str, n: int, hidden: int, vocab: int,
                                               chunk: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fce, "CE_BLOCK_V", 256)  # 997 ids -> 4 vocab blocks, the last one masked
    h, w, t = _inputs(n, hidden, vocab, seed=n)
    h1, w1 = h.clone().requires_grad_(True), w.clone().requires_grad_(True)
    h2, w2 = h.clone().requires_grad_(True), w.clone().requires_grad_(True)
    ref = linear_cross_entropy_reference(h1, w1, t, reduction=reduction)
    got = fused_linear_cross_entropy(h2, w2, t, reduction=reduction, impl=impl, chunk=chunk)
    ref.backward()
    (got * 1.0).backward()
    assert rel_err(got, ref) <= TOL
    assert rel_err(h2.grad, h1.grad) <= TOL and rel_err(w2.grad, w1.grad) <= TOL
    assert torch.count_nonzero(h2.grad[3]) == 0  # ignored rows get no gradient


@pytest.mark.falsifies("FALSIFY-KERNEL-FUSEDCE-002")
@pytest.mark.parametrize("impl", IMPLS)
def test_tied_head_gradient_accumulates_both_uses(impl: str) -> None:
    """Tied: the embedding matrix is also the head; its gradient sums the lookup and the head parts."""
    vocab, hidden, n = 211, 19, 23
    g = torch.Generator(device=DEVICE).manual_seed(7)
    emb = torch.randn(vocab, hidden, device=DEVICE, generator=g) * 0.5
    ids = torch.randint(0, vocab, (n,), device=DEVICE, generator=g)
    t = torch.randint(0, vocab, (n,), device=DEVICE, generator=g)
    t[0] = -100
    mix = torch.randn(hidden, hidden, device=DEVICE, generator=g) * 0.3
    grads = []
    for fn in (linear_cross_entropy_reference, lambda hh, ww, tt: fused_linear_cross_entropy(hh, ww, tt, impl=impl,
                                                                                            chunk=6)):
        e = emb.clone().requires_grad_(True)
        hidden_states = torch.tanh(e[ids] @ mix)
        loss = fn(hidden_states, e, t)
        loss.backward()
        grads.append((loss.detach(), e.grad))
    assert rel_err(grads[1][0], grads[0][0]) <= TOL and rel_err(grads[1][1], grads[0][1]) <= TOL


@pytest.mark.falsifies("FALSIFY-KERNEL-FUSEDCE-001")
@pytest.mark.parametrize("impl", IMPLS)
def test_upstream_gradient_scales_stored_gradients(impl: str) -> None:
    h, w, t = _inputs(9, 7, 50, seed=2)
    h1, h2 = h.clone().requires_grad_(True), h.clone().requires_grad_(True)
    (2.5 * linear_cross_entropy_reference(h1, w, t)).backward()
    (2.5 * fused_linear_cross_entropy(h2, w, t, impl=impl)).backward()
    assert rel_err(h2.grad, h1.grad) <= TOL


@pytest.mark.parametrize("impl", IMPLS)
def test_every_token_ignored_is_nan_like_torch(impl: str) -> None:
    h, w, t = _inputs(4, 5, 17, seed=3)
    t[:] = -100
    assert math.isnan(float(linear_cross_entropy_reference(h, w, t)))
    assert math.isnan(float(fused_linear_cross_entropy(h, w, t, impl=impl)))
    assert float(fused_linear_cross_entropy(h, w, t, impl=impl, reduction="sum")) == 0.0


def test_no_grad_forward_skips_gradients_and_matches() -> None:
    h, w, t = _inputs(11, 6, 40, seed=4)
    with torch.no_grad():
        got = fused_linear_cross_entropy(h, w, t, impl="torch", chunk=3)
    assert rel_err(got, linear_cross_entropy_reference(h, w, t)) <= TOL


@pytest.mark.falsifies("FALSIFY-KERNEL-FUSEDCE-003")
def test_chunk_size_comes_from_the_vocab() -> None:
    """Liger's rule: a chunk's logits hold about as many elements as the hidden states."""
    assert chunk_rows(4096, 151_936, 896) == 32  # ceil(151936/896)=170 -> ceil(4096/170)=25 -> 32
    assert chunk_rows(32_768, 32_000, 1024) == 1024
    assert chunk_rows(5, 10, 100) == 5  # never more rows than tokens
    n, v, hd = 4096, 151_936, 896
    assert chunk_rows(n, v, hd) * v <= 2 * n * hd


def test_bad_arguments_are_refused() -> None:
    h, w, t = _inputs(4, 5, 17, seed=5)
    with pytest.raises(ValueError, match="reduction"):
        fused_linear_cross_entropy(h, w, t, reduction="none")
    with pytest.raises(ValueError, match="impl"):
        fused_linear_cross_entropy(h, w, t, impl="cuda")
    with pytest.raises(ValueError, match="targets"):
        fused_linear_cross_entropy(h, w, t[:3])
