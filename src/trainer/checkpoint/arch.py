"""Architecture extraction (step 4 of the init path) on top of ModelConfig's own converters.

``ModelConfig.from_hf_config`` / ``from_apr_metadata`` hold the format
semantics; this module adds what the init path needs on top: every required
field is checked present *first* and all missing ones are listed in one
message, and any refusal is re-tagged FALSIFY-APR-PRETRAIN-INIT-005 with the
file's path, so a user sees one grep-able ID for "the metadata does not
describe an architecture we can build". Before either converter runs, every
field's JSON type and range is checked (``arch_fields.check_fields``): the
converters coerce, and coercion is where ``"false"`` became True.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trainer.checkpoint.arch_fields import check_fields
from trainer.checkpoint.init_errors import InitError
from trainer.config import ModelConfig
from trainer.errors import FALSIFY_APR_PRETRAIN_INIT_005, AprError

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
    check_fields(d, path=path, key_names=key_names)
    missing = [key_names.get(k, k) for k in HF_REQUIRED if d.get(k) is None]
    if missing:
        raise InitError(
            FALSIFY_APR_PRETRAIN_INIT_005,
            f"{path}: cannot extract the architecture: missing {', '.join(missing)}",
            fix=_FIX,
        )
    try:
        return ModelConfig.from_hf_config(d, name=name)
    except AprError as exc:
        raise InitError(FALSIFY_APR_PRETRAIN_INIT_005,
                        f"{path}: cannot extract the architecture: {exc.detail}", fix=exc.fix or _FIX) from None


def config_from_apr_metadata(meta: Mapping[str, Any], *, path: Path) -> ModelConfig:
    """APR metadata -> ModelConfig, every refusal tagged INIT-005 with the path."""
    check_fields(meta, path=path)
    try:
        return ModelConfig.from_apr_metadata(meta, source=str(path))
    except AprError as exc:
        raise InitError(FALSIFY_APR_PRETRAIN_INIT_005, exc.detail, fix=exc.fix or _FIX) from None
