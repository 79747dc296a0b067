"""The one ModelConfig codec: Hugging Face ``config.json`` and APR metadata, both ways.

* Hugging Face ``config.json`` (``to_hf_config`` / ``from_hf_config``), accepting
  both ``rope_theta`` and the newer ``rope_parameters`` and both ``torch_dtype``
  and ``dtype``.
* APR v2 metadata (``to_apr_metadata`` / ``from_apr_metadata``, and
  ``training_apr_metadata`` for the checkpoints a run writes): canonical keys
  only on write (docs/apr-format.md: an alias next to its canonical key makes
  realizar drop all metadata, ``check_canonical_keys``), alias fallback on read
  (``APR_ALIASES``).

Anything we cannot represent faithfully (rope scaling, sliding windows, an
explicit head_dim that differs from hidden/heads, o_proj or MLP biases) is
refused with an ``AprError`` rather than approximated.

On top, the init path's architecture extraction (step 4, ``config_from_hf_dict``
/ ``config_from_apr_metadata``): every required field is checked present
*first* and all missing ones are listed in one message, and any refusal is
tagged FALSIFY-APR-PRETRAIN-INIT-005 with the file's path, so a user sees one
grep-able ID for "the metadata does not describe an architecture we can build".
Before either converter runs, every field's JSON type and range is checked
(``arch_fields.check_fields``): the converters coerce, and coercion is where
``"false"`` became True.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trainer.checkpoint.init_errors import InitError
from trainer.config import FAMILIES, ModelConfig
from trainer.errors import FALSIFY_APR_PRETRAIN_INIT_005, FM_ARCH_HF_CONFIG, AprError

_HF_ARCH = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM"}
_APR_MODEL_TYPE = {"llama": "Llama", "qwen2": "Qwen2"}

# APR metadata aliases realizar accepts (apr-format.md §1.3); read-side fallback only.
APR_ALIASES: dict[str, tuple[str, ...]] = {
    "hidden_size": ("hidden_dim", "d_model", "n_embd"),
    "num_layers": ("num_hidden_layers", "n_layers", "n_layer"),
    "num_heads": ("num_attention_heads", "n_heads", "n_head"),
    "num_kv_heads": ("n_kv_heads", "num_key_value_heads"),
    "vocab_size": ("n_vocab",),
    "intermediate_size": ("ffn_dim", "intermediate_dim", "n_inner"),
    "max_position_embeddings": ("max_seq_len", "context_length", "n_ctx"),
    "rms_norm_eps": ("layer_norm_eps", "norm_eps"),
}
# Canonical APR key -> its Hugging Face config.json spelling, where the two differ.
HF_NAMES: dict[str, str] = {
    "num_layers": "num_hidden_layers",
    "num_heads": "num_attention_heads",
    "num_kv_heads": "num_key_value_heads",
}


def spellings(key: str) -> tuple[str, ...]:
    """Every spelling of an architecture field a checkpoint may use: HF key, canonical APR key, aliases."""
    return tuple(dict.fromkeys([HF_NAMES.get(key, key), key, *APR_ALIASES.get(key, ())]))



# ---------------------------------------------------------------------------- Hugging Face
def to_hf_config(config: ModelConfig) -> dict[str, Any]:
    """A ``config.json`` dict that transformers loads as the same model."""
    if config.family == "llama" and config.attention_bias:
        raise AprError(
            FM_ARCH_HF_CONFIG,
            f"model config {config.name!r}: a Llama with Q/K/V-only bias has no Hugging Face equivalent "
            "(LlamaConfig.attention_bias also adds an o_proj bias)",
            fix="use family 'qwen2' for Q/K/V biases",
        )
    d: dict[str, Any] = {
        "architectures": [_HF_ARCH[config.family]],
        "model_type": config.family,
        "vocab_size": config.vocab_size,
        "hidden_size": config.hidden_size,
        "num_hidden_layers": config.num_layers,
        "num_attention_heads": config.num_heads,
        "num_key_value_heads": config.num_kv_heads,
        "head_dim": config.head_dim,
        "intermediate_size": config.intermediate_size,
        "max_position_embeddings": config.max_position_embeddings,
        "rope_theta": float(config.rope_theta),
        "rms_norm_eps": float(config.rms_norm_eps),
        "hidden_act": "silu",
        "tie_word_embeddings": config.tie_word_embeddings,
        "torch_dtype": "float32",
    }
    if config.family == "llama":
        d["attention_bias"] = False
        d["mlp_bias"] = False
    else:
        d["use_sliding_window"] = False
    return d

def from_hf_config(d: Mapping[str, Any], *, name: str | None = None) -> ModelConfig:
    """Read a Hugging Face ``config.json`` dict; refuse what we cannot compute faithfully."""

    def fail(message: str, fix: str | None = None) -> AprError:
        return AprError(FM_ARCH_HF_CONFIG, f"config.json: {message}", fix=fix)

    if not isinstance(d, Mapping):
        raise fail(f"expected a JSON object, found {type(d).__name__}")
    model_type = d.get("model_type")
    archs = d.get("architectures") or []
    family: str | None = model_type if model_type in FAMILIES else None
    if family is None:
        for arch in archs if isinstance(archs, list) else []:
            for fam, hf in _HF_ARCH.items():
                if arch == hf:
                    family = fam
    if family is None:
        raise fail(
            f"model_type {model_type!r} / architectures {archs!r} is not a supported decoder family",
            fix=f"supported: {', '.join(_HF_ARCH.values())}",
        )

    def need(key: str) -> Any:
        if key not in d or d[key] is None:
            raise fail(f"missing required key {key!r}")
        return d[key]

    hidden = need("hidden_size")
    heads = need("num_attention_heads")
    kv = d.get("num_key_value_heads") or heads
    head_dim = d.get("head_dim")
    if (
        head_dim is not None
        and isinstance(hidden, int)
        and isinstance(heads, int)
        and heads > 0
        and head_dim != hidden // heads
    ):
        raise fail(
            f"head_dim {head_dim} differs from hidden_size/num_attention_heads = {hidden // heads}",
            fix="this trainer derives head_dim from hidden_size and num_heads",
        )

    # rope: legacy top-level rope_theta (+ rope_scaling) or transformers 5 rope_parameters.
    rope_params = d.get("rope_parameters")
    if isinstance(rope_params, Mapping):
        rope_theta = rope_params.get("rope_theta", d.get("rope_theta"))
        rope_type = rope_params.get("rope_type", "default")
    else:
        rope_theta = d.get("rope_theta")
        scaling = d.get("rope_scaling")
        rope_type = (
            (scaling or {}).get("rope_type", (scaling or {}).get("type", "default"))
            if isinstance(scaling, Mapping)
            else "default"
        )
    if rope_theta is None:
        rope_theta = 10000.0  # transformers' default for both families
    if rope_type != "default":
        raise fail(
            f"rope_type {rope_type!r} (rope scaling) is not implemented",
            fix="use a checkpoint without rope scaling",
        )

    act = d.get("hidden_act", "silu")
    if act != "silu":
        raise fail(f"hidden_act {act!r} is not SwiGLU's silu")
    if family == "llama" and (d.get("attention_bias") or d.get("mlp_bias")):
        raise fail("Llama with attention_bias/mlp_bias (o_proj/MLP biases) is not implemented")
    if family == "qwen2" and d.get("use_sliding_window"):
        raise fail("Qwen2 use_sliding_window=true is not implemented")
    dtype = d.get("dtype", d.get("torch_dtype"))
    if dtype is not None and not isinstance(dtype, str):
        raise fail(f"dtype {dtype!r} is not a string")

    return ModelConfig(
        name=name or str(d.get("_name_or_path") or f"hf-{family}"),
        family=family,  # type: ignore[arg-type]
        vocab_size=need("vocab_size"),
        hidden_size=hidden,
        num_layers=need("num_hidden_layers"),
        num_heads=heads,
        num_kv_heads=kv,
        intermediate_size=need("intermediate_size"),
        max_position_embeddings=need("max_position_embeddings"),
        rope_theta=float(rope_theta),
        rms_norm_eps=float(d.get("rms_norm_eps", 1e-6)),
        attention_bias=family == "qwen2",
        tie_word_embeddings=bool(d.get("tie_word_embeddings", False)),  # transformers default
    )


# ---------------------------------------------------------------------------- APR metadata
def to_apr_metadata(config: ModelConfig) -> dict[str, Any]:
    """Canonical APR v2 metadata keys describing this architecture (apr-format.md §1.3).

    ``rope_type`` is 2 (NEOX / rotate_half) because we store Hugging Face
    layout Q/K rows, which pair dimension i with i + head_dim/2.
    ``tied_embeddings`` and ``attention_bias`` are custom keys: the first
    is aprender's own, the second makes the Q/K/V-bias choice explicit.
    """
    return {
        "model_type": _APR_MODEL_TYPE[config.family],
        "name": config.name,
        "architecture": config.family,
        "hf_architecture": _HF_ARCH[config.family],
        "hf_model_type": config.family,
        "hidden_size": config.hidden_size,
        "num_layers": config.num_layers,
        "num_heads": config.num_heads,
        "num_kv_heads": config.num_kv_heads,
        "vocab_size": config.vocab_size,
        "intermediate_size": config.intermediate_size,
        "max_position_embeddings": config.max_position_embeddings,
        "head_dim": config.head_dim,
        "rope_theta": float(config.rope_theta),
        "rope_type": 2,
        "rms_norm_eps": float(config.rms_norm_eps),
        "tied_embeddings": config.tie_word_embeddings,
        "attention_bias": config.attention_bias,
    }

def from_apr_metadata(d: Mapping[str, Any], *, source: str = "APR metadata",
                      error: type[AprError] = AprError) -> ModelConfig:
    """Extract the architecture from APR metadata (canonical keys, alias fallback).

    Raises ``error`` (the caller's type: ``InitError`` on the --init path, exit 3) tagged
    FALSIFY-APR-PRETRAIN-INIT-005, naming ``source`` and the key, for anything missing or of the
    wrong type. A config that ModelConfig's own validation refuses (INV-ARCH-*, FM-ARCH-HF-CONFIG)
    is reported under the same ID here, once: this is the one place the tag changes.
    """

    def fail(message: str) -> AprError:
        return error(
            FALSIFY_APR_PRETRAIN_INIT_005,
            f"{source}: cannot extract the architecture: {message}",
            fix="the file's metadata must carry hidden_size, num_layers, num_heads, num_kv_heads, "
            "vocab_size, intermediate_size (canonical APR keys)",
        )

    if not isinstance(d, Mapping):
        raise fail(f"metadata is {type(d).__name__}, not an object")

    def get(key: str, default: Any = None) -> Any:
        if d.get(key) is not None:
            return d[key]
        for alias in APR_ALIASES.get(key, ()):
            if d.get(alias) is not None:
                return d[alias]
        return default

    def need_int(key: str, default: int | None = None) -> int:
        value = get(key, default)
        if value is None:
            raise fail(f"key {key!r} is missing")
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise fail(f"key {key!r} must be a positive integer, found {value!r}")
        return value

    def need_float(key: str, default: float) -> float:
        value = get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail(f"key {key!r} must be a number, found {value!r}")
        return float(value)

    fam_raw = d.get("architecture") or d.get("hf_model_type") or d.get("model_type")
    family = str(fam_raw).lower() if fam_raw is not None else None
    if family not in FAMILIES:
        raise fail(f"architecture {fam_raw!r} is not a supported decoder family ({', '.join(FAMILIES)})")
    heads = need_int("num_heads")
    hidden = need_int("hidden_size")
    head_dim = get("head_dim")
    if head_dim is not None and head_dim != hidden // heads:
        raise fail(f"head_dim {head_dim!r} differs from hidden_size/num_heads = {hidden // heads}")
    bias = d.get("attention_bias", family == "qwen2")
    tied = d.get("tied_embeddings", False)
    if not isinstance(bias, bool) or not isinstance(tied, bool):
        raise fail("attention_bias/tied_embeddings must be booleans")
    try:
        return ModelConfig(
            name=str(d.get("name") or family),
            family=family,  # type: ignore[arg-type]
            vocab_size=need_int("vocab_size"),
            hidden_size=hidden,
            num_layers=need_int("num_layers"),
            num_heads=heads,
            num_kv_heads=need_int("num_kv_heads", heads),
            intermediate_size=need_int("intermediate_size"),
            max_position_embeddings=need_int("max_position_embeddings", 2048),
            rope_theta=need_float("rope_theta", 10000.0),
            rms_norm_eps=need_float("rms_norm_eps", 1e-6 if family == "qwen2" else 1e-5),
            attention_bias=bias,
            tie_word_embeddings=tied,
        )
    except AprError as exc:
        if exc.gate_id == FALSIFY_APR_PRETRAIN_INIT_005:
            raise
        raise fail(exc.detail) from None


def check_canonical_keys(metadata: Mapping[str, Any]) -> None:
    """Writers emit canonical keys only: an alias next to its canonical key makes realizar drop all metadata."""
    for canonical, aliases in APR_ALIASES.items():
        for alias in aliases:
            if alias in metadata:
                raise ValueError(
                    f"APR metadata key {alias!r} is an alias of {canonical!r}; write the canonical key only"
                )


def training_apr_metadata(config: ModelConfig, *, epoch: int, step: int, tokens_seen: int, val_loss: float,
                          seed: int, init: str | None) -> dict[str, Any]:
    """APR metadata of a checkpoint a run writes: the architecture plus deterministic training facts."""
    meta = dict(to_apr_metadata(config))
    meta.update({
        "source": "apr pretrain",
        "train_epoch": epoch,
        "train_step": step,
        "train_tokens_seen": tokens_seen,
        "train_val_loss": val_loss,
        "train_seed": seed,
        "train_init": init,
    })
    return meta


# ---------------------------------------------------------------------------- the init path
# HF config.json keys with no safe default: absent means the metadata is bogus.
HF_REQUIRED: tuple[str, ...] = (
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "vocab_size",
    "max_position_embeddings",
    "rms_norm_eps",
)

_FIX = "the checkpoint's metadata must describe a llama/qwen2 decoder (hidden size, layers, heads, ...)"


def config_from_hf_dict(
    d: Mapping[str, Any], *, path: Path, name: str, key_names: Mapping[str, str] | None = None
) -> ModelConfig:
    """Build the ModelConfig an HF-shaped dict describes; InitError(INIT-005) otherwise.

    ``key_names`` maps HF keys to the file's own key names (GGUF), so a missing
    field is reported as the user will find it in the file.
    """
    key_names = key_names or {}
    from trainer.checkpoint.arch_fields import check_fields  # arch_fields reads APR_ALIASES from here

    check_fields(d, path=path, key_names=key_names)
    missing = [key_names.get(k, k) for k in HF_REQUIRED if d.get(k) is None]
    if missing:
        raise InitError(
            FALSIFY_APR_PRETRAIN_INIT_005,
            f"{path}: cannot extract the architecture: missing {', '.join(missing)}",
            fix=_FIX,
        )
    try:
        return from_hf_config(d, name=name)
    except AprError as exc:
        raise InitError(FALSIFY_APR_PRETRAIN_INIT_005,
                        f"{path}: cannot extract the architecture: {exc.detail}", fix=exc.fix or _FIX) from None


def config_from_apr_metadata(meta: Mapping[str, Any], *, path: Path) -> ModelConfig:
    """APR metadata -> ModelConfig, every refusal tagged INIT-005 with the path."""
    from trainer.checkpoint.arch_fields import check_fields

    check_fields(meta, path=path)
    return from_apr_metadata(meta, source=str(path), error=InitError)
