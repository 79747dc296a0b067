"""One decoder-only transformer for the Llama family (Llama, Qwen2, SmolLM2).

Readable in one sitting, nanoGPT-style: RMSNorm -> attention (RoPE, grouped-query,
``scaled_dot_product_attention``) -> residual -> RMSNorm -> SwiGLU MLP -> residual,
``num_layers`` times, then a final RMSNorm and the (tied or untied) output head.

Why these exact choices:

* Parameter names are Hugging Face's (``model.layers.N.self_attn.q_proj.weight``
  ...), so HF checkpoints, our APR files and GGUF imports share one name table
  and ``load_state_dict`` needs no renaming.
* RoPE uses HF's ``rotate_half`` convention (dimension i pairs with
  i + head_dim/2), so HF weights load unpermuted. GGUF files store Q/K rows
  permuted for llama.cpp's adjacent-pair convention; the GGUF reader undoes that.
* GQA goes through ``F.scaled_dot_product_attention(..., enable_gqa=True)``:
  K/V are never materialised per query head.
* When embeddings are tied there is no ``lm_head`` module and no
  ``lm_head.weight`` in the state dict: the head is ``F.linear(h, embed)``. One
  tensor, one gradient, nothing to keep in sync.
* Initialisation is deterministic from the torch RNG (call ``torch.manual_seed``
  before construction): N(0, 0.02) for matrices and embeddings, scaled by
  1/sqrt(2*num_layers) for the two residual projections (o_proj, down_proj) as
  in GPT-2, zeros for biases, ones for norms. With that, a fresh model's loss
  is close to ln(vocab_size), which the training loop's sanity gate checks.
  Build on CPU and then ``.to(device)``: the same seed then gives the same
  weights on every device (CUDA's generator draws different numbers).
"""

from __future__ import annotations

import contextlib
import math

import torch
import torch.nn.functional as F
from torch import nn

from trainer.config import ModelConfig
from trainer.kernels.dispatch import TORCH, KernelSet

INIT_STD = 0.02


class RMSNorm(nn.Module):
    """x / rms(x) * weight, computed in fp32 as Hugging Face does (``kernels.rms_norm``)."""

    kernels: KernelSet = TORCH

    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.kernels.rms_norm(x, self.weight, self.eps)


def rope_cos_sin(
    config: ModelConfig, seq_len: int, device: torch.device, start: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """fp32 cos/sin tables [T, head_dim] for positions start..start+seq_len-1 (HF's formula).

    They stay fp32 under bf16 autocast: position angles rounded to bf16 lose
    the low bits that distinguish neighbouring positions at long contexts.
    """
    dim = config.head_dim
    inv_freq = 1.0 / (
        config.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.int64, device=device).float() / dim)
    )
    positions = torch.arange(start, start + seq_len, device=device, dtype=torch.float32)
    freqs = torch.outer(positions, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


class Attention(nn.Module):
    kernels: KernelSet = TORCH

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.num_heads = config.num_heads
        self.num_kv_heads = config.num_kv_heads
        self.head_dim = config.head_dim
        bias = config.attention_bias
        self.q_proj = nn.Linear(config.hidden_size, config.num_heads * config.head_dim, bias=bias)
        self.k_proj = nn.Linear(config.hidden_size, config.num_kv_heads * config.head_dim, bias=bias)
        self.v_proj = nn.Linear(config.hidden_size, config.num_kv_heads * config.head_dim, bias=bias)
        self.o_proj = nn.Linear(config.num_heads * config.head_dim, config.hidden_size, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.num_heads, self.head_dim)
        k = self.k_proj(x).view(b, t, self.num_kv_heads, self.head_dim)
        v = self.v_proj(x).view(b, t, self.num_kv_heads, self.head_dim).transpose(1, 2)
        q = self.kernels.rope(q, cos, sin).transpose(1, 2)  # rotated in [B, T, H, D], attended in [B, H, T, D]
        k = self.kernels.rope(k, cos, sin).transpose(1, 2)
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=True, enable_gqa=self.num_kv_heads != self.num_heads
        )
        return self.o_proj(y.transpose(1, 2).reshape(b, t, self.num_heads * self.head_dim))


class MLP(nn.Module):
    """SwiGLU: down(silu(gate(x)) * up(x)) (``kernels.swiglu`` fuses the gate)."""

    kernels: KernelSet = TORCH

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.up_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.down_proj = nn.Linear(config.intermediate_size, config.hidden_size, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(self.kernels.swiglu(self.gate_proj(x), self.up_proj(x)))


class DecoderLayer(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.input_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.self_attn = Attention(config)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class DecoderStack(nn.Module):
    """The ``model.`` prefix of Hugging Face names: embeddings, layers, final norm."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(config) for _ in range(config.num_layers))
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps)


class LlamaForCausalLM(nn.Module):
    """Decoder-only LM: ``forward(input_ids[B, T]) -> logits[B, T, vocab]`` (causal).

    ``forward(input_ids, targets=...)`` returns the summed next-token CE through
    the fused head instead (no logits); ``use_kernels`` switches every layer to
    another KernelSet (torch reference or Triton), weights untouched.
    """

    kernels: KernelSet = TORCH

    def __init__(self, config: ModelConfig, kernels: KernelSet | None = None) -> None:
        super().__init__()
        self.config = config
        self.model = DecoderStack(config)
        self.lm_head: nn.Linear | None = None
        if not config.tie_word_embeddings:
            self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.reset_parameters()
        if kernels is not None:
            self.use_kernels(kernels)

    def use_kernels(self, kernels: KernelSet) -> LlamaForCausalLM:
        """Route RMSNorm, RoPE, SwiGLU and the fused loss of every layer through ``kernels``."""
        for module in self.modules():
            if hasattr(module, "kernels"):
                module.kernels = kernels
        return self

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """Deterministic init from the current torch RNG (see module docstring)."""
        residual_std = INIT_STD / math.sqrt(2 * self.config.num_layers)
        for name, param in self.named_parameters():
            if name.endswith("layernorm.weight") or name == "model.norm.weight":
                param.fill_(1.0)
            elif name.endswith(".bias"):
                param.zero_()
            elif name.endswith(("o_proj.weight", "down_proj.weight")):
                param.normal_(0.0, residual_std)
            else:
                param.normal_(0.0, INIT_STD)

    def hidden_states(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Final-norm hidden states [B, T, hidden] (what the head projects)."""
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids must be [batch, seq], got shape {tuple(input_ids.shape)}")
        t = input_ids.shape[1]
        if t > self.config.max_position_embeddings:
            raise ValueError(
                f"sequence length {t} exceeds max_position_embeddings {self.config.max_position_embeddings}"
            )
        x = self.model.embed_tokens(input_ids)
        cos, sin = rope_cos_sin(self.config, t, x.device)
        for layer in self.model.layers:
            x = layer(x, cos, sin)
        return self.model.norm(x)

    @property
    def output_weight(self) -> torch.Tensor:
        """The head's [vocab, hidden] matrix: the embedding when tied."""
        return self.model.embed_tokens.weight if self.lm_head is None else self.lm_head.weight

    def forward(self, input_ids: torch.Tensor, targets: torch.Tensor | None = None) -> torch.Tensor:
        """Logits, or with ``targets`` the summed CE through ``kernels.loss_sum`` (fused, no logits)."""
        if targets is None:
            return F.linear(self.hidden_states(input_ids), self.output_weight)
        return self.kernels.loss_sum(self.hidden_states(input_ids), self.output_weight, targets)


def count_parameters(config: ModelConfig, *, include_tied_head: bool = False) -> int:
    """Parameter count of ``LlamaForCausalLM(config)``, built on the meta device (no allocation).

    By default each stored tensor counts once, so a tied head adds nothing.
    ``include_tied_head=True`` counts the tied head as a second vocab x hidden
    matrix: that nominal figure (373,509,120 for llama-370m) is the one the
    seed's 366M..374M band was drawn around; the stored count is 322,045,952.
    """
    with torch.device("meta"):
        model = LlamaForCausalLM(config)
    total = sum(p.numel() for p in model.parameters())
    if include_tied_head and config.tie_word_embeddings:
        total += config.vocab_size * config.hidden_size
    return total


def make_optimizer(
    model: nn.Module,
    lr: float,
    weight_decay: float,
    *,
    betas: tuple[float, float] = (0.9, 0.95),
    eps: float = 1e-8,
) -> torch.optim.AdamW:
    """AdamW as the training loop should build it: the fast, standard setup.

    * Weight decay applies to matrices and embeddings only (ndim >= 2), never
      to norm weights or biases (decaying RMSNorm gains toward 0 hurts).
    * ``fused=True``: one kernel over all parameters instead of a Python loop
      per tensor; it works on CPU and CUDA in torch >= 2.4. Falls back to ``foreach`` where the
      fused kernel is unavailable (e.g. an exotic device). At 15M parameters
      the optimizer is <2% of a step, so the gain is within noise there; it
      grows with model size and is never slower.
    * Parameter order is model order, so ``optimizer.state_dict()`` is
      deterministic and resumable.
    """
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    try:
        return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps, foreach=True)


PRECISIONS: tuple[str, ...] = ("fp32", "bf16")


def autocast(device: torch.device | str, precision: str) -> contextlib.AbstractContextManager[object]:
    """The forward-pass precision context: "fp32" (exact, the default) or "bf16" autocast.

    bf16 autocast keeps fp32 master weights, gradients and AdamW state and runs
    matmuls in bfloat16. On CPUs with AVX512-BF16/AMX it cuts a training
    step's CPU time by about 2.6x (bench/results/train_step.md); results are
    no longer bit-comparable with an fp32 run, but stay deterministic for a
    fixed seed. Wrap only the forward (and loss), not ``backward()``.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not one of {PRECISIONS}")
    if precision == "fp32":
        return contextlib.nullcontext()
    device_type = torch.device(device).type
    return torch.autocast(device_type=device_type, dtype=torch.bfloat16)
