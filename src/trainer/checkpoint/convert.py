"""Checkpoint conversion behind `apr convert` (APR <-> HF dir, GGUF -> either, tokenizer extraction).

Reads go through ``inspect_init`` (every check of the `--init` path), writes
through the one APR writer (``save_apr``) or ``safetensors`` plus
``checkpoint.arch.to_hf_config``. Tensors are written as fp32, so a conversion
preserves logits exactly; a GGUF source's quantisation error is fixed at the
moment of dequantisation and carried unchanged through every later format.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trainer.errors import AprError

CONVERT_ID = "APR-CONVERT-OUT"
TOKENIZER_KEY = "tokenizer.json"  # custom APR metadata key holding the exact tokenizer.json text


def _check_out(out: Path, force: bool, to: str) -> None:
    """Refuse before any read: an existing destination (without --force), the wrong kind of
    destination, or a parent directory that does not exist (never created silently: a typo in
    the path would otherwise scatter checkpoints into new directories)."""
    if out.exists() and not force:
        raise AprError(CONVERT_ID, f"{out} already exists", fix="choose a new path or pass --force")
    wants_dir = to in ("hf", "tokenizer")
    if out.exists() and wants_dir != out.is_dir():
        kind = "a directory" if wants_dir else "a file"
        raise AprError(CONVERT_ID, f"{out} exists and is not {kind} (--to {to} writes {kind})",
                       fix="choose a new path")
    parent = out.parent
    if not parent.is_dir():
        raise AprError(
            CONVERT_ID,
            f"{out}: the parent directory {parent} does not exist",
            fix=f"create it first (mkdir -p {parent}) or choose an existing directory",
        )
    if to == "apr" and out.suffix != ".apr":
        raise AprError(CONVERT_ID, f"{out}: an APR destination must end in .apr", fix="e.g. model.apr")


def convert(src: Path, out: Path, *, to: str, force: bool = False) -> dict[str, Any]:
    """Convert ``src`` to ``to`` ('apr' | 'hf' | 'tokenizer') at ``out``; returns a summary dict."""
    from trainer.checkpoint.bpe_json import write_tokenizer_dir
    from trainer.checkpoint.init import inspect_init
    from trainer.data.tokenizer import count_vocab

    _check_out(out, force, to)
    spec = inspect_init(src)
    reader = spec.reader
    assert reader is not None
    tok_json = reader.tokenizer_json()
    if to == "tokenizer":
        if tok_json is None:
            raise AprError(CONVERT_ID, f"{src} carries no tokenizer to extract", fix="use the model's own tokenizer.json")
        write_tokenizer_dir(tok_json, out)
        vocab = count_vocab(out)  # the same count the vocab gate checks
        return {"out": str(out), "to": to, "tensors": 0, "dropped": [], "vocab_size": vocab}
    from trainer.checkpoint.arch import to_apr_metadata, to_hf_config
    from trainer.checkpoint.init import expected_parameters

    names = list(expected_parameters(spec.config))
    tensors = {name: reader.load_tensor(name).contiguous() for name in names}
    if to == "apr":
        from trainer.checkpoint.apr import save_apr

        meta: dict[str, Any] = to_apr_metadata(spec.config)
        meta["source"] = str(src)
        meta["original_format"] = spec.format
        if tok_json is not None:
            meta[TOKENIZER_KEY] = tok_json
        save_apr(out, tensors, meta)
    elif to == "hf":
        from safetensors.torch import save_file

        from trainer.atomic import atomic_path, atomic_write_text

        out.mkdir(exist_ok=True)
        atomic_write_text(out / "config.json", json.dumps(to_hf_config(spec.config), indent=2, sort_keys=True) + "\n")
        with atomic_path(out / "model.safetensors") as tmp:
            save_file(tensors, str(tmp), metadata={"format": "pt"})
        if tok_json is not None:
            write_tokenizer_dir(tok_json, out)
    else:
        raise AprError(CONVERT_ID, f"unknown target {to!r}", fix="use apr, hf or tokenizer")
    return {"out": str(out), "to": to, "tensors": len(tensors), "dropped": [list(x) for x in spec.ignored]}
