"""`apr tokenize check`: the C-TOK-BPE gates as one machine-readable report.

Used by tests and by live evidence for a shipped tokenizer: vocab size and
bounds (GATE-BPE-001), the four special tokens with distinct in-range ids
(GATE-BPE-002), byte-exact round trip over documents (GATE-BPE-003), merge
count (GATE-BPE-004), the pinned normalizer (GATE-BPE-005: none) and byte
coverage / no unk (GATE-BPE-007).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trainer.data.tokenizer import (
    MIN_VOCAB_SIZE,
    SPECIAL_TOKENS,
    TOKENIZER_FILE,
    count_vocab,
    load_tokenizer,
    merges_count,
    missing_byte_tokens,
    special_token_ids,
)


def roundtrip_diffs(tokenizer: Any, documents: Sequence[str]) -> tuple[int, int]:
    """(documents whose decode(encode(doc)) != doc, total unk ids emitted)."""
    unk = tokenizer.token_to_id("<|unk|>")
    diffs = 0
    unk_hits = 0
    for enc, doc in zip(tokenizer.encode_batch(list(documents), add_special_tokens=False), documents, strict=True):
        if tokenizer.decode(enc.ids, skip_special_tokens=False) != doc:
            diffs += 1
        if unk is not None:
            unk_hits += enc.ids.count(unk)
    return diffs, unk_hits


def check_tokenizer(path: str | Path, inputs: Sequence[str | Path] = (), *,
                    expect_vocab_size: int | None = None) -> dict[str, Any]:
    """Run every checkable C-TOK-BPE gate on the tokenizer at ``path``; ``ok`` is their conjunction."""
    from trainer.data.inputs import expand_inputs, iter_documents

    p = Path(path)
    tokenizer = load_tokenizer(p)
    tokenizer_file = p / TOKENIZER_FILE if p.is_dir() else p
    data = json.loads(tokenizer_file.read_text(encoding="utf-8"))
    vocab_size = count_vocab(p if p.is_dir() else p.parent)
    ids = special_token_ids(tokenizer)
    present = [i for i in ids.values() if i is not None]
    specials_ok = len(present) == len(SPECIAL_TOKENS) == len(set(present)) and all(
        0 <= i < vocab_size for i in present)
    merges = len(data.get("model", {}).get("merges") or [])
    docs: list[str] = []
    if inputs:
        for file in expand_inputs(inputs):
            docs.extend(iter_documents(file))
    diffs, unk_hits = roundtrip_diffs(tokenizer, docs)
    missing_bytes = missing_byte_tokens(tokenizer)
    report: dict[str, Any] = {
        "tokenizer": str(tokenizer_file),
        "vocab_size": vocab_size,
        "vocab_ok": vocab_size >= MIN_VOCAB_SIZE and (expect_vocab_size is None or vocab_size == expect_vocab_size),
        "special_tokens": ids,
        "special_tokens_ok": specials_ok,
        "merges_count": merges,
        "merges_expected": merges_count(vocab_size),
        "merges_ok": merges == merges_count(vocab_size),
        "normalizer": data.get("normalizer"),
        "normalizer_ok": data.get("normalizer") is None,
        "missing_byte_tokens": missing_bytes,
        "docs": len(docs),
        "diffs": diffs,
        "unk_occurrences": unk_hits,
    }
    report["ok"] = all(report[k] for k in ("vocab_ok", "special_tokens_ok", "merges_ok", "normalizer_ok")) and (
        not missing_bytes and diffs == 0 and unk_hits == 0)
    return report
