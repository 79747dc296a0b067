"""Which model family a checkpoint is: from its metadata, and independently from its tensor names.

The two must agree. The seed trained a Qwen2 file stamped "llama" from random
init: the builder believed the stamp, made a bias-free Llama, and the q/k/v
biases had nowhere to go. Here the tensor names are a second witness: q/k/v
biases without an o_proj bias mean Qwen2, none mean Llama, BERT-style names
(``encoder.layer.N``, ``embeddings.word_embeddings``) mean an encoder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

DECODER_FAMILIES: tuple[str, ...] = ("llama", "qwen2")

ENCODER_FAMILIES: frozenset[str] = frozenset(
    {
        "bert",
        "roberta",
        "distilbert",
        "xlm-roberta",
        "camembert",
        "electra",
        "albert",
        "deberta",
        "deberta-v2",
        "mpnet",
        "modernbert",
        "nomic-bert",
        "jina-bert-v2",
        "t5encoder",
        "mobilebert",
        "ernie",
    }
)

# Spellings seen in HF configs, GGUF general.architecture and APR metadata.
_ALIASES = {
    "llamaforcausallm": "llama",
    "qwen2forcausallm": "qwen2",
    "xlm_roberta": "xlm-roberta",
    "deberta_v2": "deberta-v2",
    "nomic_bert": "nomic-bert",
    "jina_bert_v2": "jina-bert-v2",
}

_ENCODER_NAME = re.compile(r"(^|\.)(encoder\.layer\.\d+\.|embeddings\.word_embeddings\.|embeddings\.position_embeddings\.)")
_ENCODER_ARCH_SUFFIXES = ("Model", "ForMaskedLM", "ForSequenceClassification", "ForTokenClassification")


def normalize(name: str | None) -> str | None:
    """Lower-case a family spelling and fold known aliases (``Qwen2`` -> ``qwen2``)."""
    if name is None:
        return None
    key = name.strip().lower()
    return _ALIASES.get(key, key)


def is_encoder(declared: str | None, architectures: Iterable[str] = ()) -> bool:
    """True for encoder families by name, or HF architectures like ``BertModel``."""
    fam = normalize(declared)
    if fam in ENCODER_FAMILIES:
        return True
    for arch in architectures:
        base = arch
        for suffix in _ENCODER_ARCH_SUFFIXES:
            if arch.endswith(suffix):
                base = arch[: -len(suffix)]
                break
        if normalize(base) in ENCODER_FAMILIES:
            return True
    return False


def family_from_tensors(names: Iterable[str]) -> str:
    """The family the tensor names show: 'encoder', 'qwen2', 'llama' or 'unknown'.

    Qwen2 is Llama plus q/k/v biases (no o_proj bias); that bias pattern is the
    only structural difference, so it is what decides.
    """
    names = list(names)
    if any(_ENCODER_NAME.search(n) for n in names):
        return "encoder"
    has_layers = any(re.match(r"^model\.layers\.\d+\.self_attn\.q_proj\.weight$", n) for n in names)
    if not has_layers:
        return "unknown"
    qkv_bias = any(n.endswith(".self_attn.q_proj.bias") for n in names)
    o_bias = any(n.endswith(".self_attn.o_proj.bias") for n in names)
    if qkv_bias and not o_bias:
        return "qwen2"
    if not qkv_bias and not o_bias:
        return "llama"
    return "unknown"
