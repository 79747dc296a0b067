"""Shared trainer fixtures: small, fast architectures (keep this file tiny)."""

from __future__ import annotations

import pytest

from trainer.config import ModelConfig
from trainer.presets import get_preset


@pytest.fixture
def tiny_config() -> ModelConfig:
    """The ~1M-parameter 'tiny' preset (vocab 2048, 4 layers, GQA 4:2, tied)."""
    return get_preset("tiny")


@pytest.fixture
def micro_config() -> ModelConfig:
    """A ~30k-parameter Llama for tests that build many models (vocab 97, GQA 4:2)."""
    return ModelConfig(
        name="micro",
        family="llama",
        vocab_size=97,
        hidden_size=32,
        num_layers=2,
        num_heads=4,
        num_kv_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        rope_theta=10000.0,
        rms_norm_eps=1e-5,
    )
