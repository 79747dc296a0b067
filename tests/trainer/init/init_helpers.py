"""Builders for the init-path tests: tiny HF dirs, APR and GGUF files with random weights.

Weights come from our own model with every tensor random (biases and norms
too), so a load that drops or misplaces any of them is observable. The GGUF
writer lays tensors out as llama.cpp's converter does, Q/K rows permuted.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from trainer.checkpoint.arch import to_apr_metadata, to_hf_config
from trainer.config import ModelConfig


def qwen2_micro() -> ModelConfig:
    return ModelConfig(
        name="qwen2-micro",
        family="qwen2",
        vocab_size=101,
        hidden_size=48,
        num_layers=2,
        num_heads=6,
        num_kv_heads=2,
        intermediate_size=80,
        max_position_embeddings=64,
        rope_theta=1_000_000.0,
        rms_norm_eps=1e-6,
        attention_bias=True,
        tie_word_embeddings=True,
    )


def llama_micro(tied: bool = False) -> ModelConfig:
    return ModelConfig(
        name="llama-micro",
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
        tie_word_embeddings=tied,
    )


def random_state(config: ModelConfig, seed: int = 0) -> dict[str, torch.Tensor]:
    """Our model's parameters with every tensor (biases and norms too) random, so loads are observable."""
    from trainer.model import LlamaForCausalLM

    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    g = torch.Generator().manual_seed(seed + 1)
    return {
        name: (torch.randn(p.shape, generator=g) * 0.05 + (1.0 if name.endswith("norm.weight") else 0.0)).contiguous()
        for name, p in model.named_parameters()
    }


def write_hf_dir(directory: Path, config: ModelConfig, tensors: dict[str, torch.Tensor], **config_changes) -> Path:
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    cfg = to_hf_config(config)
    cfg.update(config_changes)
    (directory / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    save_file(tensors, str(directory / "model.safetensors"))
    return directory


def write_apr(path: Path, config: ModelConfig, tensors: dict[str, torch.Tensor], **meta_changes) -> Path:
    from trainer.checkpoint.apr import save_apr

    meta = to_apr_metadata(config)
    meta.update(meta_changes)
    for key in [k for k, v in meta.items() if v is None]:
        del meta[key]
    return save_apr(path, tensors, meta)


def permute_rows(w: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp convert_hf_to_gguf.py's ``permute`` (what the GGUF reader must undo)."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def write_gguf(path: Path, config: ModelConfig, tensors: dict[str, torch.Tensor], *, permute: bool = True) -> Path:
    """A GGUF written with gguf.GGUFWriter the way llama.cpp's converter lays out a llama model."""
    import gguf

    arch = config.family
    w = gguf.GGUFWriter(str(path), arch)
    w.add_name(config.name)
    w.add_block_count(config.num_layers)
    w.add_context_length(config.max_position_embeddings)
    w.add_embedding_length(config.hidden_size)
    w.add_feed_forward_length(config.intermediate_size)
    w.add_head_count(config.num_heads)
    w.add_head_count_kv(config.num_kv_heads)
    w.add_rope_freq_base(config.rope_theta)
    w.add_layer_norm_rms_eps(config.rms_norm_eps)
    w.add_vocab_size(config.vocab_size)
    inverse = {v: k for k, v in _gguf_names(config).items()}
    for hf, t in tensors.items():
        arr = t.numpy().astype(np.float32)
        if permute and arch == "llama" and ".q_proj." in hf:
            arr = permute_rows(arr, config.num_heads)
        elif permute and arch == "llama" and ".k_proj." in hf:
            arr = permute_rows(arr, config.num_kv_heads)
        w.add_tensor(inverse[hf], arr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def _gguf_names(config: ModelConfig) -> dict[str, str]:
    from trainer.checkpoint.gguf import hf_name

    names = ["token_embd.weight", "output_norm.weight", "output.weight"]
    for i in range(config.num_layers):
        for part in (
            "attn_norm.weight", "ffn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight",
            "attn_q.bias", "attn_k.bias", "attn_v.bias", "attn_output.weight", "ffn_gate.weight",
            "ffn_up.weight", "ffn_down.weight",
        ):
            names.append(f"blk.{i}.{part}")
    return {n: hf_name(n) for n in names}
