"""Model architecture: one frozen dataclass and its validation.

``ModelConfig`` is the single description of a Llama-family decoder. Every other
part of the trainer (preflight, model construction, checkpoints, ``--init``
loaders) reads it; nothing re-derives dimensions from a training script, which
is how the seed's recipe/artifact drift escaped review.

The named presets are in ``presets.py``; the conversions to and from Hugging
Face ``config.json`` and APR metadata are in ``checkpoint/arch.py`` (the one
codec). Anything we cannot represent faithfully is refused with an
``AprError`` rather than approximated: a silently different architecture
would load weights "successfully" and compute garbage.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal

from trainer.errors import (
    FM_ARCH_HF_CONFIG,
    INV_ARCH_370M_002,
    INV_ARCH_370M_003,
    AprError,
)

Family = Literal["llama", "qwen2"]
FAMILIES: tuple[str, ...] = ("llama", "qwen2")

@dataclass(frozen=True)
class ModelConfig:
    """A decoder-only Llama-family architecture (Llama, Qwen2, SmolLM2 ...).

    ``attention_bias`` means biases on the Q, K and V projections only (Qwen2's
    layout); o_proj and the MLP never carry a bias here.
    """

    name: str
    family: Family
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    intermediate_size: int
    max_position_embeddings: int
    rope_theta: float
    rms_norm_eps: float
    attention_bias: bool = False
    tie_word_embeddings: bool = True

    def __post_init__(self) -> None:
        self._validate()

    # ------------------------------------------------------------------ checks
    def _validate(self) -> None:
        where = f"model config {self.name!r}"
        if self.family not in FAMILIES:
            raise AprError(
                FM_ARCH_HF_CONFIG,
                f"{where}: family {self.family!r} is not a supported decoder family",
                fix=f"use one of {', '.join(FAMILIES)}",
            )
        for field in (
            "vocab_size",
            "hidden_size",
            "num_layers",
            "num_heads",
            "num_kv_heads",
            "intermediate_size",
            "max_position_embeddings",
        ):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise AprError(FM_ARCH_HF_CONFIG, f"{where}: {field} must be a positive integer, found {value!r}")
        for field in ("rope_theta", "rms_norm_eps"):
            value = getattr(self, field)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value <= 0
            ):
                raise AprError(
                    FM_ARCH_HF_CONFIG, f"{where}: {field} must be a positive finite number, found {value!r}"
                )
        if self.hidden_size % self.num_heads != 0:
            raise AprError(
                INV_ARCH_370M_002,
                f"{where}: hidden_size {self.hidden_size} is not a multiple of num_heads {self.num_heads}",
                fix="choose num_heads so that num_heads * head_dim == hidden_size",
            )
        if self.head_dim % 2 != 0:
            raise AprError(INV_ARCH_370M_002, f"{where}: head_dim {self.head_dim} must be even for rotary embeddings")
        if self.num_heads % self.num_kv_heads != 0:
            raise AprError(
                INV_ARCH_370M_003,
                f"{where}: num_kv_heads {self.num_kv_heads} does not divide num_heads {self.num_heads}",
                fix="grouped-query attention needs num_heads % num_kv_heads == 0",
            )

    # ------------------------------------------------------------ derived
    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads

    def replace(self, **changes: Any) -> ModelConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields (result.json's ``model``), plus head_dim."""
        d = dataclasses.asdict(self)
        d["head_dim"] = self.head_dim
        return d
