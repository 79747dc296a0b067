"""Rebuild a byte-level BPE ``tokenizer.json`` from a token list and merge list.

GGUF files (and APR files converted from them) carry the tokenizer as arrays in
their metadata, not as a tokenizer.json. This module turns those arrays back
into a `tokenizers` tokenizer so a checkpoint's own tokenizer can be extracted
once (``apr convert MODEL OUT --to tokenizer``) and then drive
``apr tokenize encode-corpus`` and ``apr generate``.

Only the pre-tokenizers named below are known; any other ``pre`` value is
refused rather than guessed, because a wrong pre-tokenizer silently yields
different ids for the same text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trainer.checkpoint.bounded_json import BoundedJsonError, load_bounded, show_value, type_name
from trainer.checkpoint.init_errors import InitError
from trainer.errors import FALSIFY_APR_PRETRAIN_INIT_004

# Regexes as llama.cpp and the models' own tokenizer.json files use them.
_QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

KNOWN_PRE: tuple[str, ...] = ("default", "gpt2", "smollm", "starcoder", "qwen2", "llama-bpe")

# GGUF token_type values (llama.cpp's llama_token_type).
TOKEN_TYPE_CONTROL = 3
TOKEN_TYPE_USER_DEFINED = 4


def _pre_tokenizer(pre: str):  # -> tokenizers.pre_tokenizers.PreTokenizer
    from tokenizers import Regex, pre_tokenizers

    byte_level_regex = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    byte_level_plain = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    if pre in ("default", "gpt2"):
        return byte_level_regex
    if pre in ("smollm", "starcoder"):
        # SmolLM2's own tokenizer.json: single digits, then GPT-2 byte-level split.
        return pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level_regex])
    if pre == "qwen2":
        return pre_tokenizers.Sequence(
            [pre_tokenizers.Split(Regex(_QWEN2_SPLIT), behavior="isolated"), byte_level_plain]
        )
    if pre == "llama-bpe":
        return pre_tokenizers.Sequence(
            [pre_tokenizers.Split(Regex(_LLAMA3_SPLIT), behavior="isolated"), byte_level_plain]
        )
    raise InitError(
        FALSIFY_APR_PRETRAIN_INIT_004,
        f"tokenizer pre-tokenizer {pre!r} is not one apr knows (known: {', '.join(KNOWN_PRE)})",
        fix="extract the tokenizer with the model's own tooling and pass --tokenizer DIR",
    )


def build_bpe_tokenizer_json(
    tokens: Sequence[str],
    merges: Sequence[str],
    token_types: Sequence[int] | None,
    pre: str,
    *,
    source: str,
) -> str:
    """Return tokenizer.json text for a byte-level BPE vocabulary.

    Control tokens (token_type 3) become special added tokens, user-defined
    ones (4) plain added tokens, exactly as llama.cpp treats them.
    """
    from tokenizers import AddedToken, Tokenizer, decoders, models

    _check_list(tokens, str, "token list", source)
    _check_list(merges, str, "merge list", source)
    if token_types is not None:
        _check_list(token_types, int, "token type list", source)
    vocab: dict[str, int] = {}
    for idx, tok in enumerate(tokens):
        if tok in vocab:
            raise InitError(
                FALSIFY_APR_PRETRAIN_INIT_004,
                f"{source}: tokenizer token {tok!r} appears twice (ids {vocab[tok]} and {idx})",
                fix="the embedded vocabulary is corrupt; use the model's original tokenizer",
            )
        vocab[tok] = idx
    pairs: list[tuple[str, str]] = []
    for i, merge in enumerate(merges):
        left, sep, right = merge.partition(" ")
        if not sep or not left or not right:
            raise InitError(
                FALSIFY_APR_PRETRAIN_INIT_004,
                f"{source}: tokenizer merge #{i} {merge!r} is not 'left right'",
                fix="the embedded merge list is corrupt; use the model's original tokenizer",
            )
        pairs.append((left, right))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=pairs, fuse_unk=False, byte_fallback=False))
    tok.pre_tokenizer = _pre_tokenizer(pre)
    tok.decoder = decoders.ByteLevel()
    if token_types is not None:
        special = [tokens[i] for i, t in enumerate(token_types) if t == TOKEN_TYPE_CONTROL]
        user = [tokens[i] for i, t in enumerate(token_types) if t == TOKEN_TYPE_USER_DEFINED]
        tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in special])
        if user:
            tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in user])
    return tok.to_str()


def _check_list(items: object, kind: type, what: str, source: str) -> None:
    """Embedded tokenizer arrays come from metadata anyone can write: check the element type first."""
    if not isinstance(items, (list, tuple)):
        raise InitError(
            FALSIFY_APR_PRETRAIN_INIT_004,
            f"{source}: tokenizer {what} is {type_name(items)}, not an array",
            fix="the embedded tokenizer is corrupt; pass --tokenizer DIR with the model's original tokenizer.json",
        )
    for i, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, kind):
            raise InitError(
                FALSIFY_APR_PRETRAIN_INIT_004,
                f"{source}: tokenizer {what} element #{i} is {type_name(item)} ({show_value(item)}), "
                f"expected {'a string' if kind is str else 'an integer'}",
                fix="the embedded tokenizer is corrupt; pass --tokenizer DIR with the model's original tokenizer.json",
            )


MAX_TOKENIZER_JSON = 64 * 1024 * 1024  # Qwen2's tokenizer.json is 7 MB


def check_tokenizer_json(text: object, source: str) -> dict[str, Any]:
    """Parse tokenizer.json text from a checkpoint (bounded), check the parts apr reads, load it once.

    Returns the parsed object. Every problem is FALSIFY-APR-PRETRAIN-INIT-004
    naming ``source``; nothing reaches the tokenizers library unchecked.
    """
    from tokenizers import Tokenizer

    def fail(message: str) -> InitError:
        return InitError(
            FALSIFY_APR_PRETRAIN_INIT_004,
            f"{source}: embedded tokenizer.json {message}",
            fix="pass --tokenizer DIR with the model's original tokenizer.json",
        )

    if not isinstance(text, str):
        raise fail(f"is {type_name(text)}, not a string")
    try:
        data = load_bounded(text, max_bytes=MAX_TOKENIZER_JSON)
    except BoundedJsonError as exc:
        raise fail(f"is not readable JSON: {exc}") from None
    model = data.get("model") if isinstance(data, dict) else None
    vocab = model.get("vocab") if isinstance(model, dict) else None
    if not isinstance(vocab, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in vocab.values()):
        raise fail("has no 'model.vocab' object of integer ids")
    added = data.get("added_tokens", [])
    if not isinstance(added, list) or not all(
        isinstance(a, dict) and isinstance(a.get("content"), str) and isinstance(a.get("id"), int) for a in added
    ):
        raise fail("has an 'added_tokens' entry without a string content and an integer id")
    merges = model.get("merges", [])
    if not isinstance(merges, list) or not all(
        isinstance(m, str) or (isinstance(m, list) and all(isinstance(x, str) for x in m)) for m in merges
    ):
        raise fail("has a 'model.merges' entry that is neither 'a b' nor ['a', 'b']")
    try:
        Tokenizer.from_str(text)
    except Exception as exc:
        raise fail(f"is refused by the tokenizers library: {str(exc)[:200]}") from None
    return data


def write_tokenizer_dir(tokenizer_json: str, out_dir: Path) -> Path:
    """Write tokenizer.json plus vocab.json/merges.txt (the vocab gate counts vocab.json).

    Files are written atomically; returns the directory.
    """
    from trainer.atomic import atomic_write_text

    data = check_tokenizer_json(tokenizer_json, f"tokenizer for {out_dir}")  # readers checked it; cheap
    out_dir.mkdir(parents=True, exist_ok=True)
    model = data["model"]
    vocab: dict[str, int] = dict(model["vocab"])
    for added in data.get("added_tokens", []):
        vocab.setdefault(added["content"], added["id"])
    merges = model.get("merges", [])
    merge_lines = [m if isinstance(m, str) else " ".join(m) for m in merges]
    atomic_write_text(out_dir / "tokenizer.json", tokenizer_json)
    atomic_write_text(out_dir / "vocab.json", json.dumps(vocab, ensure_ascii=False, sort_keys=False))
    atomic_write_text(out_dir / "merges.txt", "#version: 0.2\n" + "\n".join(merge_lines) + "\n")
    return out_dir
