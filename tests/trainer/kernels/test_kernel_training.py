"""The kernels inside the model: 20 training steps with Triton kernels track the torch kernels.

Both runs start from the same seeded weights and batches; the Triton run uses
the fused cross-entropy head, the torch run materialised logits. Stated
tolerance (fp32, CPU interpreter or GPU): every step's loss within 1e-4
absolute (relative 2e-5 at these losses) of the torch run; at step 0 both
equal transformers' LlamaForCausalLM loss on the same weights within 1e-5.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from kernel_helpers import DEVICE

from trainer.checkpoint.arch import to_hf_config
from trainer.config import ModelConfig
from trainer.kernels.dispatch import TORCH, TRITON, KernelSet
from trainer.model import LlamaForCausalLM, make_optimizer
from trainer.train.loop import batch_loss_sum, train_step

STEPS = 20
STEP_TOL = 1e-4


def _config(tied: bool) -> ModelConfig:
    return ModelConfig(name="kparity", family="llama", vocab_size=101, hidden_size=40, num_layers=2, num_heads=4,
                       num_kv_heads=2, intermediate_size=72, max_position_embeddings=32, rope_theta=10000.0,
                       rms_norm_eps=1e-5, tie_word_embeddings=tied)


def _batches(vocab: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(11)
    phrases = torch.randint(0, vocab, (6, 13), generator=g)
    out = []
    for _ in range(STEPS):
        seq = phrases[torch.randint(0, 6, (3, 2), generator=g)].reshape(3, -1)[:, :14]
        out.append((seq[:, :-1].to(DEVICE), seq[:, 1:].to(DEVICE)))
    return out


def _curve(config: ModelConfig, kernels: KernelSet) -> list[float]:
    torch.manual_seed(5)
    model = LlamaForCausalLM(config, kernels=kernels).to(DEVICE)
    opt = make_optimizer(model, 3e-3, 0.01)
    return [train_step(model, opt, [b], step=i, lr=3e-3)[0] for i, b in enumerate(_batches(config.vocab_size))]


def _hf_step0_loss(config: ModelConfig) -> float:
    from transformers import AutoConfig, AutoModelForCausalLM

    torch.manual_seed(5)
    ours = LlamaForCausalLM(config)
    hf = AutoModelForCausalLM.from_config(AutoConfig.for_model(**to_hf_config(config)), attn_implementation="eager",
                                          dtype=torch.float32).eval()
    hf.load_state_dict(ours.state_dict(), strict=False)
    if config.tie_word_embeddings:
        hf.tie_weights()
    x, y = _batches(config.vocab_size)[0]
    with torch.no_grad():
        logits = hf(x.cpu()).logits
    return float(F.cross_entropy(logits.reshape(-1, config.vocab_size), y.cpu().reshape(-1)))


@pytest.mark.falsifies("FALSIFY-KERNEL-PARITY-001", "FALSIFY-APR-PRETRAIN-KERNELS-PARITY-001")
@pytest.mark.parametrize("tied", [True, False])
def test_triton_and_torch_kernels_train_the_same_curve(tied: bool) -> None:
    config = _config(tied)
    torch_curve = _curve(config, TORCH)
    triton_curve = _curve(config, TRITON)
    diffs = [abs(a - b) for a, b in zip(torch_curve, triton_curve, strict=True)]
    assert max(diffs) <= STEP_TOL, diffs
    assert triton_curve[-1] < triton_curve[0] - 0.5  # it learned: the comparison is not of two flat lines
    hf0 = _hf_step0_loss(config)
    assert abs(torch_curve[0] - hf0) <= 1e-5 and abs(triton_curve[0] - hf0) <= 1e-5, (hf0, torch_curve[0])


def test_triton_model_uses_the_fused_head_and_torch_model_the_logits() -> None:
    """batch_loss_sum routes by the model's kernels; both give the same summed loss."""
    config = _config(True)
    x, y = _batches(config.vocab_size)[0]
    torch.manual_seed(1)
    model = LlamaForCausalLM(config).to(DEVICE)
    calls: list[str] = []
    real = TRITON.loss_sum

    class Spy(KernelSet):
        def loss_sum(self, h: torch.Tensor, w: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            calls.append("fused")
            return real(h, w, t)

    spy = Spy("triton", TRITON.rms_norm, TRITON.rope, TRITON.swiglu)
    with torch.no_grad():
        plain = float(batch_loss_sum(model, x, y))
        fused = float(batch_loss_sum(model.use_kernels(spy), x, y))
    assert calls == ["fused"]
    assert abs(plain - fused) <= 1e-4 * abs(plain)
