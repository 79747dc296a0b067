"""Pre-tokenized shards: write them (``encode_corpus``) and open them (``ShardSet``).

Format (pretokenize-bin-v1, as in the seed): ``shard-00000.bin``, ``shard-00001.bin``
... each a headerless array of little-endian uint32 token ids (tokens = bytes / 4),
plus ``manifest.json`` for provenance. The trainer never trusts the manifest for
counts: it counts tokens from file sizes, and checks the largest id itself.
Input rules (files, directories, .py/.txt/.jsonl) live in ``trainer.data.inputs``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trainer.atomic import atomic_write_bytes
from trainer.data.inputs import Document, FileRecord, expand_inputs, read_documents
from trainer.data.progress import byte_progress
from trainer.errors import (
    GATE_BPE_007,
    GATE_DATA_001,
    GATE_PRETOK_001,
    GATE_PRETOK_002,
    AprError,
    PreflightError,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from tokenizers import Tokenizer

SCHEMA = "pretokenize-bin-v1"
MANIFEST_FILE = "manifest.json"
SHARD_GLOB = "shard-*.bin"
TOKEN_DTYPE = np.dtype("<u4")
EOS_POLICIES = ("none", "between", "after")
SPECIAL_TOKEN_MODES = ("text", "control")
"""How text that spells a special token is encoded: as its bytes (default) or as the control id."""
DEFAULT_SHARD_TOKENS = 50_000_000
"""200 MB per shard: big enough to keep file counts low, small enough to build in memory."""

_BATCH_BYTES = 4 << 20
"""Documents are encoded in batches of about this many bytes (parallel inside tokenizers)."""


def shard_name(index: int) -> str:
    """File name of shard ``index``: shard-00000.bin ..."""
    return f"shard-{index:05d}.bin"


# ---------------------------------------------------------------------------
# writing shards


@dataclass
class _ShardWriter:
    """Collects ids and writes shards of exactly ``shard_tokens`` tokens (the last may be short).

    Memory grows with what is buffered, never with ``shard_tokens`` itself.
    """

    out_dir: Path
    shard_tokens: int
    vocab_size: int
    chunks: list[np.ndarray] = field(default_factory=list)
    filled: int = 0
    shards: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0

    def add(self, ids: np.ndarray, source: str) -> None:
        """Append ids (int64) after checking them against the vocab (INV-PRETOK-001: never clamp)."""
        if ids.size == 0:
            return
        top, bottom = int(ids.max()), int(ids.min())
        if top >= self.vocab_size or bottom < 0:
            bad = top if top >= self.vocab_size else bottom
            raise AprError(
                GATE_PRETOK_001,
                f"token id {bad} from {source} is outside [0, vocab size {self.vocab_size})",
                fix="the tokenizer and its reported vocab disagree; re-extract or retrain the tokenizer",
            )
        start = 0
        while start < ids.size:
            take = min(ids.size - start, self.shard_tokens - self.filled)
            self.chunks.append(ids[start : start + take])
            self.filled += take
            start += take
            if self.filled == self.shard_tokens:
                self.flush()

    def flush(self) -> None:
        """Write the buffered ids as the next shard (atomically) and record its size and hash."""
        if self.filled == 0:
            return
        data = np.concatenate(self.chunks).astype(TOKEN_DTYPE).tobytes()
        name = shard_name(len(self.shards))
        atomic_write_bytes(self.out_dir / name, data)
        self.shards.append({"file": name, "tokens": self.filled, "sha256": hashlib.sha256(data).hexdigest()})
        self.total += self.filled
        self.chunks, self.filled = [], 0


def _tokenizer_identity(tokenizer: Tokenizer | str | Path, special_tokens: str = "text",
                        ) -> tuple[Tokenizer, str | None, str]:
    """(tokenizer for encoding, its directory or None, sha256 of its canonical JSON)."""
    from tokenizers import Tokenizer as _Tokenizer

    from trainer.data.tokenizer import load_tokenizer

    source_dir: str | None = None
    if isinstance(tokenizer, (str, Path)):
        p = Path(tokenizer)
        source_dir = str(p if p.is_dir() else p.parent)
        tokenizer = load_tokenizer(p)
    canonical = tokenizer.to_str()
    # A private copy. By default document text spelling "<|eos|>" stays text and never becomes a
    # control id (a docstring must not end a document); "control" is for chat-formatted data.
    encoder = _Tokenizer.from_str(canonical)
    encoder.encode_special_tokens = special_tokens == "text"
    return encoder, source_dir, hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def tokenizer_sha256(tokenizer: Tokenizer | str | Path) -> str:
    """The hash ``encode_corpus`` records as the manifest's ``tokenizer_sha256`` (one definition)."""
    return _tokenizer_identity(tokenizer)[2]


def _check_out_dir(out: Path, overwrite: bool) -> None:
    existing = sorted(out.glob(SHARD_GLOB)) + ([out / MANIFEST_FILE] if (out / MANIFEST_FILE).exists() else [])
    if existing and not overwrite:
        raise PreflightError(
            GATE_PRETOK_002,
            f"{out} already holds a dataset ({len(existing)} file(s), e.g. {existing[0].name})",
            fix="choose an empty --out directory or pass --overwrite",
        )
    for path in existing:
        path.unlink()


def _refuse_unencodable(doc: Document, unencodable: bytes, tokenizer_dir: str | None) -> None:
    """PreflightError (GATE-BPE-007) if ``doc`` holds a byte the tokenizer has no token for."""
    data = doc.text.encode("utf-8")
    hits = [(pos, b) for b in unencodable if (pos := data.find(bytes([b]))) >= 0]
    if hits:
        pos, byte = min(hits)
        raise PreflightError(
            GATE_BPE_007,
            f"{doc.where}: byte 0x{byte:02x} at byte offset {pos} of the document has no token in the "
            f"tokenizer{' at ' + tokenizer_dir if tokenizer_dir else ''}; encoding would silently drop it "
            f"(bytes without a token: {', '.join(f'0x{b:02x}' for b in unencodable)})",
            fix="remove those control characters from the input, or use a tokenizer that covers all 256 bytes "
                "(apr tokenize train)",
        )


def encode_corpus(
    tokenizer: Tokenizer | str | Path,
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    shard_tokens: int = DEFAULT_SHARD_TOKENS,
    eos_policy: str = "after",
    *,
    overwrite: bool = False,
    progress: bool = False,
    special_tokens: str = "text",
) -> dict[str, Any]:
    """Tokenize ``inputs`` into uint32 shards + manifest.json in ``out_dir``; return the manifest.

    ``eos_policy``: ``none`` (no EOS), ``between`` (EOS between consecutive
    documents), ``after`` (EOS after every document). Empty documents are
    skipped and counted. Every id is checked against the vocab while writing
    (GATE-PRETOK-001); nothing is clamped. Shards and manifest are
    deterministic for the same inputs, except ``elapsed_seconds`` and
    ``tokens_per_second``. ``special_tokens``: ``text`` (default) encodes text
    that spells a special token as ordinary bytes; ``control`` maps it to the
    special token's id (chat-formatted fine-tune data).
    """
    from trainer.data.tokenizer import eos_token_id, require_vocab_size

    _check_modes(eos_policy, special_tokens, shard_tokens)
    started = time.perf_counter()
    encoder, tokenizer_dir, tokenizer_sha = _tokenizer_identity(tokenizer, special_tokens)
    vocab_size = require_vocab_size(encoder)
    eos_id = eos_token_id(encoder)
    if eos_policy != "none" and eos_id is None:
        raise PreflightError(
            GATE_PRETOK_002,
            f"EOS policy {eos_policy!r} needs an EOS token, and the tokenizer has none of "
            "</s>, <|endoftext|>, <eos>, <|eos|>",
            fix="pass --eos-policy none or use a tokenizer with an EOS token",
        )
    files = expand_inputs(inputs)
    out = _open_out(out_dir, overwrite)
    writer = _ShardWriter(out, shard_tokens, vocab_size)
    eos = np.array([eos_id if eos_id is not None else 0], dtype=TOKEN_DTYPE)
    counts = {"documents": 0, "empty": 0, "eos": 0}
    file_records = _encode_files(files, encoder, writer, eos, eos_policy, counts, progress, tokenizer_dir)
    elapsed = time.perf_counter() - started
    if writer.total == 0:
        raise PreflightError(
            GATE_DATA_001,
            f"{len(files)} input file(s) produced no tokens (all documents empty)",
            fix="point --input at non-empty text",
        )
    manifest = _manifest(writer, files, file_records, inputs, counts, elapsed, tokenizer_dir=tokenizer_dir,
                         tokenizer_sha=tokenizer_sha, vocab_size=vocab_size, eos_policy=eos_policy, eos_id=eos_id,
                         special_tokens=special_tokens, shard_tokens=shard_tokens)
    atomic_write_bytes(out / MANIFEST_FILE, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return manifest


def _encode_files(files: list[Path], encoder: Tokenizer, writer: _ShardWriter, eos: np.ndarray, eos_policy: str,
                  counts: dict[str, int], progress: bool, tokenizer_dir: str | None) -> list[FileRecord]:
    """Encode every document of ``files`` in batches of about _BATCH_BYTES into ``writer``; one record per file."""
    from trainer.data.tokenizer import is_byte_level, missing_byte_tokens

    file_records: list[FileRecord] = []
    pending: list[str] = []
    sources: list[str] = []
    pending_bytes = 0
    # encode_batch_fast skips character offsets we never use; same ids (tokenizers >= 0.20).
    encode_batch = getattr(encoder, "encode_batch_fast", encoder.encode_batch)

    def emit() -> None:
        for encoding, source in zip(encode_batch(pending, add_special_tokens=False), sources, strict=True):
            ids = np.asarray(encoding.ids, dtype=np.int64)
            if ids.size == 0:
                counts["empty"] += 1
                continue
            if eos_policy == "between" and counts["documents"] > 0:
                writer.add(eos, source)
                counts["eos"] += 1
            writer.add(ids, source)
            counts["documents"] += 1
            if eos_policy == "after":
                writer.add(eos, source)
                counts["eos"] += 1
        pending.clear()
        sources.clear()

    # Bytes without a base token would be dropped silently by the tokenizer: refuse them instead.
    unencodable = bytes(missing_byte_tokens(encoder)) if is_byte_level(encoder) else b""
    total_bytes = sum(p.stat().st_size for p in files)
    with byte_progress(progress, total_bytes, "encoding") as advance:
        for path in files:
            record = FileRecord(path)
            file_records.append(record)
            for doc in read_documents(path, record):
                if unencodable:
                    _refuse_unencodable(doc, unencodable, tokenizer_dir)
                pending.append(doc.text)
                sources.append(doc.where)
                pending_bytes += doc.nbytes
                if pending_bytes >= _BATCH_BYTES:
                    emit()
                    advance(pending_bytes)
                    pending_bytes = 0
        emit()
        advance(pending_bytes)
        writer.flush()
    return file_records


def _check_modes(eos_policy: str, special_tokens: str, shard_tokens: int) -> None:
    """GATE-PRETOK-002 on the options, before the tokenizer is even opened."""
    if eos_policy not in EOS_POLICIES:
        raise PreflightError(
            GATE_PRETOK_002, f"unknown EOS policy {eos_policy!r}", fix=f"use one of {', '.join(EOS_POLICIES)}"
        )
    if special_tokens not in SPECIAL_TOKEN_MODES:
        raise PreflightError(
            GATE_PRETOK_002, f"unknown special-token mode {special_tokens!r}",
            fix=f"use one of {', '.join(SPECIAL_TOKEN_MODES)}",
        )
    if shard_tokens < 1:
        raise PreflightError(GATE_PRETOK_002, f"--shard-tokens {shard_tokens} < 1", fix="pass a positive count")


def _open_out(out_dir: str | Path, overwrite: bool) -> Path:
    """The shard directory, created; a file in its place or an earlier corpus there is refused."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise PreflightError(
            GATE_PRETOK_002,
            f"--out {out} exists and is not a directory",
            fix="pass a new or empty directory for the shards and manifest.json",
        )
    out.mkdir(parents=True, exist_ok=True)
    _check_out_dir(out, overwrite)
    return out


def _manifest(writer: _ShardWriter, files: list[Path], file_records: list[FileRecord], inputs: Sequence[str | Path],
              counts: dict[str, int], elapsed: float, *, tokenizer_dir: str | None, tokenizer_sha: str, vocab_size: int,
              eos_policy: str, eos_id: int | None, special_tokens: str, shard_tokens: int) -> dict[str, Any]:
    """manifest.json: what the shards hold and how they were made (the reader checks them against it)."""
    return {
        "schema": SCHEMA,
        "tokenizer_dir": tokenizer_dir,
        "tokenizer_sha256": tokenizer_sha,
        "vocab_size": vocab_size,
        "eos_policy": eos_policy,
        "eos_token_id": eos_id,
        "eos_token_count": counts["eos"],
        "special_tokens_in_text": special_tokens,
        "dtype": "uint32",
        "byte_order": "little",
        "shard_tokens": shard_tokens,
        "shard_count": len(writer.shards),
        "shards": writer.shards,
        "total_tokens": writer.total,
        "total_documents": counts["documents"],
        "empty_documents_skipped": counts["empty"],
        "content_field": "text",
        "normalization": "none",
        "input_format": sorted({p.suffix.lstrip(".") for p in files}),
        "corpus_roots": [str(i) for i in inputs],
        "input_files": [r.as_dict() for r in file_records],
        "elapsed_seconds": round(elapsed, 3),
        "tokens_per_second": round(writer.total / elapsed, 1) if elapsed > 0 else None,
    }


# ---------------------------------------------------------------------------
# reading shards


class ShardSet:
    """A read-only view of token shards as one contiguous stream of uint32 ids (memory-mapped).

    Open with ``ShardSet.open(path)``: a directory of shard-*.bin (lexical order)
    or a single .bin file. Token counts come from file sizes, never the manifest.
    """

    def __init__(self, files: list[Path], arrays: list[np.ndarray]) -> None:
        self.files = files
        self._arrays = arrays
        sizes = [int(a.size) for a in arrays]
        self._offsets = np.cumsum([0, *sizes], dtype=np.int64)
        self.total_tokens = int(self._offsets[-1])

    @classmethod
    def open(cls, path: str | Path) -> ShardSet:
        """Open a shard directory or one .bin file; bad layouts are PreflightErrors naming the file."""
        p = Path(path)
        if p.is_dir():
            files = sorted(p.glob(SHARD_GLOB))
            if not files:
                others = sorted(f.name for f in p.glob("*.bin"))
                hint = f" (found {', '.join(others[:3])}: rename to shard-NNNNN.bin)" if others else ""
                raise PreflightError(
                    GATE_DATA_001,
                    f"dataset {p} holds no {SHARD_GLOB} files{hint}",
                    fix="build shards with `apr tokenize encode-corpus --out DIR`",
                )
        elif p.is_file():
            files = [p]
        else:
            raise PreflightError(
                GATE_DATA_001, f"dataset {p} does not exist",
                fix="pass --dataset DIR from `apr tokenize encode-corpus`, or one .bin file",
            )
        arrays: list[np.ndarray] = []
        for f in files:
            size = f.stat().st_size
            if size % TOKEN_DTYPE.itemsize:
                raise PreflightError(
                    GATE_DATA_001,
                    f"shard {f} is {size} bytes, not a multiple of 4 (headerless little-endian uint32)",
                    fix="the file is truncated or not a token shard; re-run `apr tokenize encode-corpus`",
                )
            arrays.append(np.memmap(f, dtype=TOKEN_DTYPE, mode="r") if size else np.empty(0, TOKEN_DTYPE))
        shards = cls(files, arrays)
        if shards.total_tokens == 0:
            raise PreflightError(
                GATE_DATA_001, f"dataset {p} holds no tokens ({len(files)} empty file(s))",
                fix="re-run `apr tokenize encode-corpus` on non-empty input",
            )
        return shards

    @property
    def manifest(self) -> dict[str, Any] | None:
        """manifest.json next to the shards, if any (provenance only; never used for counts)."""
        path = self.files[0].parent / MANIFEST_FILE
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def max_token_id(self) -> int:
        """Largest id in all shards (vectorized, chunked so memory stays flat)."""
        top = -1
        chunk = 1 << 24
        for arr in self._arrays:
            for start in range(0, arr.size, chunk):
                top = max(top, int(arr[start : start + chunk].max()))
        return top

    def read(self, start: int, length: int) -> np.ndarray:
        """Tokens ``[start, start+length)`` of the concatenated stream as int64 (may span shards)."""
        if start < 0 or length < 0 or start + length > self.total_tokens:
            raise IndexError(f"token range [{start}, {start + length}) outside [0, {self.total_tokens})")
        out = np.empty(length, dtype=np.int64)
        pos = start
        filled = 0
        index = int(np.searchsorted(self._offsets, start, side="right")) - 1
        while filled < length:
            arr = self._arrays[index]
            local = pos - int(self._offsets[index])
            take = min(length - filled, arr.size - local)
            out[filled : filled + take] = arr[local : local + take]
            filled += take
            pos += take
            index += 1
        return out

    def __len__(self) -> int:
        return self.total_tokens
