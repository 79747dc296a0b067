"""Type and range rules for every architecture field a checkpoint declares, checked before use.

Why a separate pass before ``arch.from_hf_config`` / ``arch.from_apr_metadata``:
those converters coerce (``float(x)``, ``bool(x)``), and coercion is where
hostile or careless metadata slipped through: ``bool("false")`` is True (a tied
model loaded untied), ``float("1e-5")`` accepted a string, ``float(10**400)``
raised OverflowError (an internal error), and ``rope_scaling: "linear"`` was
silently ignored. Here each field must already have the JSON type it is
documented to have, and lie in a range no real decoder leaves; a violation is
FALSIFY-APR-PRETRAIN-INIT-005 naming the file, the field as spelled in the
file, the value's type and the fix.

Then ``check_against_tensors`` holds the numbers to the tensors actually in
the file (layer count, embedding shape), so a header claiming 10^9 layers is
refused before the population plan builds even a meta-device model of that size.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.checkpoint.arch import spellings
from trainer.checkpoint.bounded_json import show_value, type_name
from trainer.checkpoint.init_errors import InitError
from trainer.errors import FALSIFY_APR_PRETRAIN_INIT_005

if TYPE_CHECKING:
    from trainer.checkpoint.source import TensorInfo
    from trainer.config import ModelConfig

# Upper bounds no released decoder comes near (Llama-3.1-405B: 126 layers, hidden 16384,
# ffn 53248, 128 heads; Gemma: vocab 262144; context windows up to ~10M). Past them the
# numbers are hostile or corrupt, and building even a meta-device model would cost minutes.
MAX_LAYERS = 1024
MAX_HIDDEN = 1 << 16
MAX_HEADS = 1024
MAX_INTERMEDIATE = 1 << 20
MAX_VOCAB = 1 << 22
MAX_POSITIONS = 1 << 24
MAX_ROPE_THETA = 1e12

# canonical meaning -> (upper bound, every spelling: HF key, APR canonical key + aliases; arch.spellings)
_INT_BOUNDS: dict[str, int] = {
    "hidden_size": MAX_HIDDEN,
    "num_layers": MAX_LAYERS,
    "num_heads": MAX_HEADS,
    "num_kv_heads": MAX_HEADS,
    "vocab_size": MAX_VOCAB,
    "intermediate_size": MAX_INTERMEDIATE,
    "max_position_embeddings": MAX_POSITIONS,
    "head_dim": MAX_HIDDEN,
}
INT_FIELDS: dict[str, tuple[int, tuple[str, ...]]] = {
    key: (upper, spellings(key)) for key, upper in _INT_BOUNDS.items()
}
# key -> (exclusive lower bound, upper bound)
FLOAT_FIELDS: dict[str, tuple[float, float]] = {
    "rope_theta": (0.0, MAX_ROPE_THETA),
    **{key: (0.0, 1.0) for key in spellings("rms_norm_eps")},
}
BOOL_FIELDS = (
    "tie_word_embeddings",
    "tied_embeddings",
    "attention_bias",
    "mlp_bias",
    "use_sliding_window",
)
OBJECT_FIELDS = ("rope_scaling", "rope_parameters")
STRING_FIELDS = ("model_type", "hidden_act", "architecture", "hf_model_type", "torch_dtype", "dtype")

_LAYER = re.compile(r"^model\.layers\.(\d{1,9})\.")


def _refuse(path: Path, key: str, value: Any, expected: str) -> InitError:
    return InitError(
        FALSIFY_APR_PRETRAIN_INIT_005,
        f"{path}: field {key!r} is {type_name(value)} ({show_value(value)}); expected {expected}",
        fix=f"set {key!r} to {expected} (the file is corrupt, hostile or hand-edited)",
    )


def check_fields(d: Mapping[str, Any], *, path: Path, key_names: Mapping[str, str] | None = None) -> None:
    """Refuse any architecture field of the wrong JSON type or outside its sane range.

    ``key_names`` maps the dict's (HF) keys to the file's own spelling (GGUF),
    so the message names the key a user will find in the file. Absent and
    null fields are left to the converters (defaults, "missing" messages).
    """
    key_names = key_names or {}

    def shown(key: str) -> str:
        return key_names.get(key, key)

    for upper, keys in INT_FIELDS.values():
        for key in keys:
            value = d.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise _refuse(path, shown(key), value, f"an integer in 1..{upper}")
            if not 1 <= value <= upper:
                raise _refuse(path, shown(key), value, f"an integer in 1..{upper}")
    for key, (low, high) in FLOAT_FIELDS.items():
        value = d.get(key)
        if value is None:
            continue
        expected = f"a number in ({low:g}, {high:g}]"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _refuse(path, shown(key), value, expected)
        try:
            as_float = float(value)
        except OverflowError:
            raise _refuse(path, shown(key), value, expected) from None
        if not math.isfinite(as_float) or not low < as_float <= high:
            raise _refuse(path, shown(key), value, expected)
    for key in BOOL_FIELDS:
        value = d.get(key)
        if value is not None and not isinstance(value, bool):
            raise _refuse(path, shown(key), value, "true or false (a JSON boolean, not a string or number)")
    for key in OBJECT_FIELDS:
        value = d.get(key)
        if value is not None and not isinstance(value, Mapping):
            raise _refuse(path, shown(key), value, 'an object such as {"rope_type": "default"}, or null')
    for key in OBJECT_FIELDS:  # rope_theta / rope_type nested inside (transformers 5, rope scaling)
        inner = d.get(key)
        if isinstance(inner, Mapping):
            if "rope_theta" in inner:
                check_fields({"rope_theta": inner["rope_theta"]}, path=path, key_names={"rope_theta": f"{key}.rope_theta"})
            for sub in ("rope_type", "type"):
                if inner.get(sub) is not None and not isinstance(inner[sub], str):
                    raise _refuse(path, f"{key}.{sub}", inner[sub], 'a string such as "default"')
    for key in STRING_FIELDS:
        value = d.get(key)
        if value is not None and not isinstance(value, str):
            raise _refuse(path, shown(key), value, "a string")
    archs = d.get("architectures")
    if archs is not None and (not isinstance(archs, list) or not all(isinstance(a, str) for a in archs)):
        raise _refuse(path, "architectures", archs, "an array of strings")


def layers_present(names: Iterable[str]) -> list[int]:
    """The sorted distinct layer indices of ``model.layers.N.*`` tensors."""
    found: set[int] = set()
    for name in names:
        m = _LAYER.match(name)
        if m:
            found.add(int(m.group(1)))
    return sorted(found)


def check_against_tensors(config: ModelConfig, tensors: Mapping[str, TensorInfo], *, path: Path) -> None:
    """The declared layer count and embedding shape must match the tensors actually stored.

    Runs before the population plan (which builds a meta-device model of the
    declared size), so a header's claim can cost no more than the tensor table
    the file really holds. Gaps inside the layer range are left to the plan,
    which lists every missing tensor (INIT-011).
    """
    layers = layers_present(tensors)
    count = layers[-1] + 1 if layers else 0
    if count != config.num_layers:
        held = f"layers 0..{count - 1}" if layers else "no model.layers.N tensors"
        raise InitError(
            FALSIFY_APR_PRETRAIN_INIT_005,
            f"{path}: the metadata declares {config.num_layers} layers but the tensors hold {held} "
            f"({len(tensors)} tensors in the file)",
            fix="the layer count in the metadata must match the stored tensors; re-export the checkpoint",
        )
    emb = tensors.get("model.embed_tokens.weight")
    want = (config.vocab_size, config.hidden_size)
    if emb is not None and tuple(emb.shape) != want:
        raise InitError(
            FALSIFY_APR_PRETRAIN_INIT_005,
            f"{path}: the metadata declares vocab {want[0]} x hidden {want[1]} but model.embed_tokens.weight "
            f"is {list(emb.shape)}",
            fix="the vocab_size/hidden_size in the metadata must match the embedding tensor; re-export the checkpoint",
        )
