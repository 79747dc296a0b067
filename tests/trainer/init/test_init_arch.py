"""Architecture polymorphism: presets vs real configs, the no-init baseline, GQA 7:1, the relaxed vocab gate."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from trainer.checkpoint.arch import from_hf_config, to_hf_config
from trainer.config import ModelConfig
from trainer.errors import PreflightError
from trainer.model import LlamaForCausalLM
from trainer.presets import get_preset
from trainer.train.preflight import check_vocab, resolve_model_config

REPO = Path(__file__).resolve().parents[3]

# Qwen2.5-Coder-0.5B-Instruct config.json, as pinned by the seed contract (apr-pretrain-arch-polymorphic-v1).
QWEN25_05B_HF = {
    "hidden_size": 896, "num_attention_heads": 14, "num_key_value_heads": 2, "intermediate_size": 4864,
    "num_hidden_layers": 24, "vocab_size": 151936, "max_position_embeddings": 32768, "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-6, "tie_word_embeddings": True, "model_type": "qwen2",
}


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-ARCH-001")
def test_qwen2_0_5b_preset_matches_hf_config() -> None:
    preset = get_preset("qwen2-0.5b")
    hf = to_hf_config(preset)
    for key, value in QWEN25_05B_HF.items():
        assert hf[key] == value, key
    assert preset.attention_bias and preset.num_heads // preset.num_kv_heads == 7
    # And the preset is what an HF config with those numbers reads as.
    assert from_hf_config(QWEN25_05B_HF, name="qwen2-0.5b") == preset


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-ARCH-001")
def test_smollm2_preset_matches_the_real_gguf(smollm2_gguf: Path) -> None:
    from trainer.checkpoint.init import inspect_init

    extracted = inspect_init(smollm2_gguf).config.to_dict()
    preset = get_preset("smollm2-135m").to_dict()
    assert extracted.pop("rms_norm_eps") == pytest.approx(preset.pop("rms_norm_eps"), rel=1e-6)
    extracted.pop("name"), preset.pop("name")
    assert extracted == preset


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-ARCH-002")
def test_without_init_the_preset_is_used_unchanged(tmp_path: Path) -> None:
    from trainer.train.options import TrainOptions

    opts = TrainOptions(dataset=tmp_path, tokenizer=tmp_path, run_dir=tmp_path / "r", model="llama-370m")
    config, spec = resolve_model_config(opts)
    assert spec is None and config == get_preset("llama-370m")


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-ARCH-003")
def test_with_init_the_architecture_comes_from_the_file_not_the_preset(make_hf_dir, tmp_path: Path) -> None:
    from init_helpers import qwen2_micro, random_state, write_hf_dir

    from trainer.train.options import TrainOptions

    q = qwen2_micro()
    d = write_hf_dir(tmp_path / "q", q, random_state(q))
    opts = TrainOptions(dataset=tmp_path, tokenizer=tmp_path, run_dir=tmp_path / "r", model="llama-370m", init=d)
    config, spec = resolve_model_config(opts)
    assert spec is not None and config.family == "qwen2" and config.hidden_size == 48 and config.attention_bias
    assert config != get_preset("llama-370m")


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-ARCH-004")
def test_gqa_7_to_1_matches_mha_with_repeated_kv() -> None:
    """kv_heads=2, heads=14 (Qwen2-0.5B's ratio) equals full MHA whose K/V heads repeat each pair 7x."""
    gqa_cfg = ModelConfig(
        name="gqa7", family="qwen2", vocab_size=64, hidden_size=112, num_layers=2, num_heads=14, num_kv_heads=2,
        intermediate_size=96, max_position_embeddings=32, rope_theta=1_000_000.0, rms_norm_eps=1e-6,
        attention_bias=True,
    )
    mha_cfg = gqa_cfg.replace(name="mha", num_kv_heads=14)
    torch.manual_seed(0)
    gqa = LlamaForCausalLM(gqa_cfg).eval()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in gqa.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.02)
    mha = LlamaForCausalLM(mha_cfg).eval()
    hd = gqa_cfg.head_dim
    src = dict(gqa.named_parameters())
    with torch.no_grad():
        for name, p in mha.named_parameters():
            t = src[name]
            if ".k_proj." in name or ".v_proj." in name:
                t = t.reshape(2, hd, *t.shape[1:]).repeat_interleave(7, dim=0).reshape(p.shape)
            p.copy_(t)
    ids = torch.randint(0, 64, (2, 12), generator=g)
    with torch.no_grad():
        a, b = gqa(ids).flatten(), mha(ids).flatten()
    cos = torch.nn.functional.cosine_similarity(a, b, dim=0).item()
    assert cos >= 0.9999, cos
    assert torch.allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-ARCH-005")
def test_qwen_vocab_passes_against_qwen_target() -> None:
    check_vocab(151936, 151936, relaxed=True, tokenizer="qwen-tok", model="qwen2.5-0.5b")


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-ARCH-006")
def test_qwen_vocab_fails_against_llama_target_without_init() -> None:
    with pytest.raises(PreflightError) as exc:
        check_vocab(151936, 50257, relaxed=False, tokenizer="qwen-tok", model="llama-370m")
    assert exc.value.gate_id == "GATE-ARCH-370M-011" and "151936" in str(exc.value) and "50257" in str(exc.value)


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-ARCH-009")
def test_relaxed_bound_accepts_qwen_reserved_slots() -> None:
    check_vocab(151665, 151936, relaxed=True, tokenizer="qwen-tok", model="qwen2.5-0.5b")
    with pytest.raises(PreflightError):  # the same pair is refused from scratch (strict ==)
        check_vocab(151665, 151936, relaxed=False, tokenizer="qwen-tok", model="qwen2.5-0.5b")


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-ARCH-010")
def test_relaxed_bound_rejects_oversized_tokenizer() -> None:
    with pytest.raises(PreflightError) as exc:
        check_vocab(151937, 151936, relaxed=True, tokenizer="big-tok", model="qwen2.5-0.5b")
    msg = str(exc.value)
    assert "RELAXED" in msg and "OOB" in msg and "151937" in msg and "151936" in msg


@pytest.mark.falsifies("FALSIFY-APR-PRETRAIN-ARCH-008", "FALSIFY-APR-PRETRAIN-INIT-008")
@pytest.mark.parametrize(
    "contract",
    ["apr-pretrain-from-init-v1.yaml", "apr-pretrain-arch-polymorphic-v1.yaml", "apr-pretrain-init-finetune-v1.yaml"],
)
def test_init_contracts_validate(contract: str) -> None:
    from pv.cli import main as pv_main

    assert pv_main(["validate", str(REPO / "contracts" / contract)]) == 0
