"""Byte-level BPE tokenizers: train, load, count the vocab, find EOS.

Why byte-level: every byte 0x00..0xFF is a base token, so any text encodes
without an unknown token and decodes back to the exact same bytes
(C-TOK-BPE GATE-BPE-003/007). Why no Unicode normalizer: NFC would rewrite a
decomposed "e\\u0301" into "\\u00e9", so decode(encode(x)) != x for such input;
byte-exactness wins and the choice is pinned in the contract (GATE-BPE-005).

Special tokens have fixed ids, first in the vocabulary:
``<|bos|>`` = 0, ``<|eos|>`` = 1, ``<|pad|>`` = 2, ``<|unk|>`` = 3.
``<|unk|>`` is reserved and unreachable (byte-level coverage).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.errors import GATE_ARCH_370M_011, GATE_BPE_001, GATE_BPE_008, AprError, PreflightError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from tokenizers import Tokenizer

SPECIAL_TOKENS: tuple[str, ...] = ("<|bos|>", "<|eos|>", "<|pad|>", "<|unk|>")
"""Required special tokens, in id order (ids 0..3)."""

EOS_CANDIDATES: tuple[str, ...] = ("</s>", "<|endoftext|>", "<eos>", "<|eos|>")
"""EOS lookup order, as in the seed: the first one present is the EOS token."""

BYTE_ALPHABET_SIZE = 256
MIN_VOCAB_SIZE = len(SPECIAL_TOKENS) + BYTE_ALPHABET_SIZE
"""Smallest vocab that still covers every byte: 4 specials + 256 byte tokens."""

MAX_VOCAB_SIZE = 1 << 22
"""4,194,304: 16x the largest vocab shipped (Gemma's 262,144), and the checkpoint readers' bound
(``checkpoint.arch_fields.MAX_VOCAB``). The tokenizers library sizes its tables from the request
before reading a byte, so 10^9 aborted the process (exit 134) instead of being refused."""
MAX_MIN_FREQUENCY = 1 << 32
"""The tokenizers library takes --min-frequency as an unsigned 64-bit count; far less is plenty."""

TOKENIZER_FILE = "tokenizer.json"
VOCAB_FILE = "vocab.json"
MERGES_FILE = "merges.txt"


def merges_count(vocab_size: int) -> int:
    """Merges a trained byte-level BPE holds: vocab minus specials minus the 256 byte tokens.

    The seed said ``vocab_size - 4``, forgetting the byte alphabet; this is the fix.
    """
    return vocab_size - MIN_VOCAB_SIZE


def _iter_training_texts(files: Sequence[Path], advance: Callable[[int], None]) -> Iterator[str]:
    """Yield documents for training (the corpus encoder's document rules), advancing a byte bar."""
    from trainer.data.inputs import read_documents

    for path in files:
        for doc in read_documents(path):
            yield doc.text
            advance(doc.nbytes)


def train_bpe(inputs: Iterable[str | Path], vocab_size: int, out_dir: str | Path, *,
              min_frequency: int = 2, progress: bool = False) -> Path:
    """Train a byte-level BPE on ``inputs`` (files/dirs) and save it into ``out_dir``.

    Writes tokenizer.json, vocab.json and merges.txt; returns the tokenizer.json
    path. Deterministic: the same inputs give byte-identical files. Refuses a
    vocab below 260 (no byte coverage) and a corpus too small to learn
    ``vocab_size`` tokens (the model's vocab gate would fail later anyway).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    from trainer.data.inputs import expand_inputs

    if not MIN_VOCAB_SIZE <= vocab_size <= MAX_VOCAB_SIZE:
        raise PreflightError(
            GATE_BPE_001,
            f"--vocab-size {vocab_size} is outside [{MIN_VOCAB_SIZE}, {MAX_VOCAB_SIZE}]: a byte-level BPE "
            f"needs {len(SPECIAL_TOKENS)} special tokens + {BYTE_ALPHABET_SIZE} byte tokens",
            fix=f"pass --vocab-size in [{MIN_VOCAB_SIZE}, {MAX_VOCAB_SIZE}] (the 370M model uses 50257)",
        )
    if isinstance(min_frequency, bool) or not 0 <= min_frequency <= MAX_MIN_FREQUENCY:
        raise PreflightError(
            GATE_BPE_001,
            f"--min-frequency {min_frequency} is outside [0, {MAX_MIN_FREQUENCY}]",
            fix="pass a pair count >= 0 (default 2)",
        )
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise PreflightError(
            GATE_BPE_001,
            f"--out {out} exists and is not a directory",
            fix="pass a new or existing directory for tokenizer.json, vocab.json and merges.txt",
        )
    files = expand_inputs(inputs)
    corpus_bytes = sum(f.stat().st_size for f in files)
    if merges_count(vocab_size) > corpus_bytes:
        # Every merge needs at least one pair occurrence, i.e. one more byte of text.
        raise PreflightError(
            GATE_BPE_001,
            f"--vocab-size {vocab_size} needs {merges_count(vocab_size)} merges but the corpus ({len(files)} "
            f"file(s), {corpus_bytes} bytes) cannot support more than {corpus_bytes}",
            fix=f"add more text or pass --vocab-size <= {MIN_VOCAB_SIZE + corpus_bytes}",
        )
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    from trainer.data.progress import byte_progress

    with byte_progress(progress, corpus_bytes, "reading") as advance:
        tokenizer.train_from_iterator(_iter_training_texts(files, advance), trainer=trainer)
    got = tokenizer.get_vocab_size(with_added_tokens=True)
    if got != vocab_size:
        raise PreflightError(
            GATE_BPE_001,
            f"the corpus ({len(files)} file(s)) only supports {got} tokens, not the requested {vocab_size} "
            f"(pairs seen fewer than {min_frequency} times are never merged)",
            fix=(f"add more text{', pass --min-frequency 1' if min_frequency > 1 else ''}"
                 f" or pass --vocab-size {got}"),
        )
    out.mkdir(parents=True, exist_ok=True)
    tokenizer_path = out / TOKENIZER_FILE
    tokenizer.save(str(tokenizer_path), pretty=True)
    tokenizer.model.save(str(out))  # vocab.json + merges.txt, same model
    return tokenizer_path


def load_tokenizer(path: str | Path) -> Tokenizer:
    """Load a tokenizer from a directory holding tokenizer.json, or from the file itself.

    A missing or corrupt file is a PreflightError naming it (GATE-BPE-008).
    """
    from tokenizers import Tokenizer

    p = Path(path)
    file = p / TOKENIZER_FILE if p.is_dir() else p
    if not file.is_file():
        raise PreflightError(
            GATE_BPE_008,
            f"no tokenizer at {file}",
            fix="pass a directory holding tokenizer.json (from `apr tokenize train`, or extract it from the checkpoint)",
        )
    try:
        return Tokenizer.from_file(str(file))
    except Exception as exc:  # tokenizers raises a bare Exception subclass per parse error
        raise PreflightError(
            GATE_BPE_008,
            f"{file} is not a valid tokenizers JSON file: {str(exc).splitlines()[0] if str(exc) else exc!r}",
            fix="regenerate it with `apr tokenize train`, or extract it from the checkpoint",
        ) from None


def count_vocab(path: str | Path) -> int:
    """Number of entries in vocab.json: the tokenizer vocab the model gate compares.

    ``path`` is a directory (holding vocab.json; a directory with only vocab.json
    is valid, since training reads pre-tokenized shards) or the vocab.json file.
    When a tokenizer.json sits next to vocab.json, its added tokens whose ids are
    not in vocab.json count too (HF dirs keep e.g. Qwen2's 22 added tokens out of
    vocab.json: 151643 + 22 = 151665, the number the seed compares). A directory
    with only tokenizer.json counts its model vocab plus added tokens. Anything
    unreadable is a PreflightError naming GATE-ARCH-370M-011 and the file.
    """
    p = Path(path)
    vocab_file = p / VOCAB_FILE if p.is_dir() else p
    if p.is_dir() and not vocab_file.is_file() and (p / TOKENIZER_FILE).is_file():
        return _count_tokenizer_json(p / TOKENIZER_FILE)
    if vocab_file.name == TOKENIZER_FILE and vocab_file.is_file():
        return _count_tokenizer_json(vocab_file)
    try:
        data = json.loads(vocab_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PreflightError(
            GATE_ARCH_370M_011,
            f"pre-flight: cannot read {vocab_file} (no such file)",
            fix="pass --tokenizer DIR holding vocab.json (e.g. from `apr tokenize train`)",
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PreflightError(
            GATE_ARCH_370M_011,
            f"pre-flight: {vocab_file} is not a valid vocab.json ({exc})",
            fix="regenerate the tokenizer with `apr tokenize train`",
        ) from None
    if not isinstance(data, dict) or not data or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in data.values()):
        raise PreflightError(
            GATE_ARCH_370M_011,
            f"pre-flight: {vocab_file} is not a valid vocab.json (expected a non-empty {{token: id}} object)",
            fix="regenerate the tokenizer with `apr tokenize train`",
        )
    sibling = vocab_file.parent / TOKENIZER_FILE
    if not sibling.is_file():
        return len(data)
    ids = set(data.values())
    ids.update(_tokenizer_json_ids(sibling, added_only=True))
    return len(data) + len(ids - set(data.values()))


def _count_tokenizer_json(file: Path) -> int:
    """Vocab entries of a tokenizer.json: model vocab plus added tokens outside it."""
    return len(_tokenizer_json_ids(file, added_only=False))


def _tokenizer_json_ids(file: Path, *, added_only: bool) -> set[int]:
    """Ids a tokenizer.json defines (model vocab + added tokens, or the added tokens only)."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        ids = {int(t["id"]) for t in data.get("added_tokens") or []}
        if not added_only:
            vocab = data["model"]["vocab"]
            ids.update(vocab.values() if isinstance(vocab, dict) else range(len(vocab)))
        return ids
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PreflightError(
            GATE_ARCH_370M_011,
            f"pre-flight: {file} is not a valid tokenizer.json ({type(exc).__name__}: {exc})",
            fix="regenerate the tokenizer with `apr tokenize train`, or extract it from the checkpoint",
        ) from None


def byte_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable char table, the alphabet of the ByteLevel pre-tokenizer."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return dict(sorted(table.items()))


def is_byte_level(tokenizer: Tokenizer) -> bool:
    """True when the tokenizer's pre-tokenizer or decoder is (or contains) ByteLevel."""
    data = json.loads(tokenizer.to_str())

    def has_byte_level(node: object) -> bool:
        if isinstance(node, dict):
            return node.get("type") == "ByteLevel" or any(has_byte_level(v) for v in node.values())
        if isinstance(node, list):
            return any(has_byte_level(v) for v in node)
        return False

    return has_byte_level(data.get("pre_tokenizer")) or has_byte_level(data.get("decoder"))


def missing_byte_tokens(tokenizer: Tokenizer) -> list[int]:
    """Bytes 0..255 whose ByteLevel base token is not in the vocab: text holding them cannot be encoded.

    Empty for tokenizers trained here. Some published ones lack a few (SmolLM2 has no token for the
    control bytes 0x04, 0x06, 0x13, 0x14, 0x16, 0x1d, nor for 0xc0, 0xc1, 0xf5-0xff) and then
    silently DROP such characters while encoding; the corpus encoder refuses instead.
    """
    vocab = tokenizer.get_vocab(with_added_tokens=False)
    return [b for b, ch in byte_to_unicode().items() if ch not in vocab]


def eos_token_id(tokenizer: Tokenizer) -> int | None:
    """Id of the first of </s>, <|endoftext|>, <eos>, <|eos|> that exists, else None."""
    for token in EOS_CANDIDATES:
        token_id = tokenizer.token_to_id(token)
        if token_id is not None:
            return int(token_id)
    return None


def special_token_ids(tokenizer: Tokenizer) -> dict[str, int | None]:
    """Map each required special token to its id (None when absent), for reports and gates."""
    return {token: tokenizer.token_to_id(token) for token in SPECIAL_TOKENS}


def require_vocab_size(tokenizer: Tokenizer) -> int:
    """Vocab size including added tokens; an empty tokenizer is an error, never 0."""
    size = int(tokenizer.get_vocab_size(with_added_tokens=True))
    if size <= 0:
        raise AprError(GATE_BPE_001, "tokenizer has an empty vocabulary", fix="retrain the tokenizer")
    return size
