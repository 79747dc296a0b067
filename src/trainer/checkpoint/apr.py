"""APR v2 checkpoints (aprender's ``.apr``): a byte-deterministic writer and a hostile-input reader.

Layout (docs/apr-format.md, from shared/specs/apr-format.md)::

    [0, 64)            header  "<4sBBHIQIQQI20s", magic APR\\0, header CRC over 60 bytes
    [64, ...)          compact JSON metadata, zero-padded to 64
    tensor_index_offset  packed index sorted by name, zero-padded to 64
    data_offset        payloads, each 64-aligned and zero-padded to 64
    len - 4            u32 CRC-32 of everything before it

Reader policy: every size and offset is checked (Python ints, so no overflow)
against the file length *before* anything is allocated, so a header claiming a
terabyte tensor, an index past the end or a truncated file is an
``AprFormatError`` naming the file, the field, its offset, what was expected
and what was found -- never an out-of-memory, a struct.error or a traceback.
Nothing is unpickled, ever.

Why the writer is deterministic: the same tensors and metadata give the same
bytes (sorted JSON keys, sorted index, zero padding, no timestamps), so two
``--num-steps 0`` runs can be compared with ``cmp``.
"""

from __future__ import annotations

import itertools
import json
import math
import struct
import sys
import warnings
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import torch

from trainer.atomic import atomic_open
from trainer.checkpoint.arch import check_canonical_keys
from trainer.errors import (
    FALSIFY_APR_PRETRAIN_INIT_003,
    FALSIFY_APR_PRETRAIN_INIT_004,
    FALSIFY_APR_PRETRAIN_INIT_005,
    AprError,
)

APR_MAGIC_V2 = b"APR\x00"
APR_MAGIC_V1 = b"APRN"
APR_MAGIC_EARLY_V2 = b"APR2"

HEADER = struct.Struct("<4sBBHIQIQQI20s")
HEADER_SIZE = HEADER.size  # 64
FOOTER_SIZE = 4
ALIGN = 64
MAX_NAME_BYTES = 256
MAX_NDIM = 8
INDEX_ENTRY_MIN = 20  # name_len u16 + dtype u8 + ndim u8 + offset u64 + size u64

FLAG_LZ4 = 0x0001
FLAG_ZSTD = 0x0002
FLAG_ENCRYPTED = 0x0004
FLAG_SIGNED = 0x0008
FLAG_SHARDED = 0x0010
FLAG_QUANTIZED = 0x0020
FLAG_HAS_FILTERBANK = 0x0040
FLAG_HAS_MODEL_CARD = 0x0080
FLAG_STREAMING = 0x0100
FLAG_HAS_VOCAB = 0x0200
FLAG_LAYOUT_ROW_MAJOR = 0x0400
FLAG_LAYOUT_COLUMN_MAJOR = 0x0800
FLAGS_DEFINED = 0x0FFF


class AprFormatError(AprError):
    """A malformed, truncated, corrupt or unsupported APR file (exit 3: refused before compute).

    Structural problems are the init path's INIT-004 (magic, truncation, corruption); unusable
    metadata is INIT-005 (architecture extraction).
    """

    exit_code = 3

    def __init__(
        self,
        path: str | Path,
        where: str,
        message: str,
        *,
        gate_id: str = FALSIFY_APR_PRETRAIN_INIT_004,
        fix: str | None = None,
    ):
        self.path = str(path)
        self.where = where
        super().__init__(gate_id, f"{path}: {where}: {message}", fix=fix)


@dataclass(frozen=True)
class DType:
    """One APR dtype code: how many payload bytes a tensor of n values takes and how to decode it."""

    code: int
    name: str
    torch_dtype: torch.dtype | None  # None: quantized, dequantized to float32 on load

    def payload_size(self, shape: tuple[int, ...]) -> int:
        n = math.prod(shape)
        if self.torch_dtype is not None:
            return n * _itemsize(self.torch_dtype)
        if self.name in ("Q4_K", "Q6_K"):
            block = 144 if self.name == "Q4_K" else 210
            rows, cols = _rows_cols(shape)
            return rows * -(-cols // 256) * block
        if self.name in ("APR_Q4", "APR_Q4_LEGACY"):
            return 18 * -(-n // 32)
        return 4 + n  # APR_Q8 / APR_Q8_LEGACY


def _itemsize(dtype: torch.dtype) -> int:
    return torch.empty((), dtype=dtype).element_size()


def _rows_cols(shape: tuple[int, ...]) -> tuple[int, int]:
    """GGML K-quants go row by row: rows = prod(outer dims), cols = innermost dim."""
    if len(shape) == 0:
        return 1, 1
    return math.prod(shape[:-1]), shape[-1]


_D = DType
DTYPES_V2: dict[int, DType] = {
    0: _D(0, "F32", torch.float32),
    1: _D(1, "F16", torch.float16),
    30: _D(30, "BF16", torch.bfloat16),
    3: _D(3, "F64", torch.float64),
    4: _D(4, "I32", torch.int32),
    5: _D(5, "I64", torch.int64),
    6: _D(6, "I8", torch.int8),
    7: _D(7, "U8", torch.uint8),
    12: _D(12, "Q4_K", None),
    14: _D(14, "Q6_K", None),
    128: _D(128, "APR_Q4", None),
    129: _D(129, "APR_Q8", None),
    8: _D(8, "APR_Q4_LEGACY", None),
    9: _D(9, "APR_Q8_LEGACY", None),
}
# Early v2 (magic APR2, and the "v1 compat" APRN files with the v2 layout).
DTYPES_EARLY: dict[int, DType] = {
    0: DTYPES_V2[0],
    1: DTYPES_V2[1],
    2: _D(2, "BF16", torch.bfloat16),
    3: DTYPES_V2[3],
    4: DTYPES_V2[4],
    5: DTYPES_V2[5],
    6: DTYPES_V2[6],
    7: DTYPES_V2[7],
    8: DTYPES_V2[8],
    9: DTYPES_V2[9],
}
WRITE_CODES: dict[torch.dtype, int] = {
    torch.float32: 0,
    torch.float16: 1,
    torch.bfloat16: 30,
    torch.float64: 3,
    torch.int32: 4,
    torch.int64: 5,
    torch.int8: 6,
    torch.uint8: 7,
}


def align64(x: int) -> int:
    return (x + ALIGN - 1) & ~(ALIGN - 1)


def _pad(n: int) -> bytes:
    return b"\x00" * (align64(n) - n)


def header_crc(header: bytes) -> int:
    """CRC-32 of bytes 0..40 and 44..64 (the CRC field itself excluded)."""
    return zlib.crc32(header[:40] + header[44:64]) & 0xFFFFFFFF


@dataclass(frozen=True)
class AprHeader:
    magic: bytes
    version_major: int
    version_minor: int
    flags: int
    tensor_count: int
    metadata_offset: int
    metadata_size: int
    tensor_index_offset: int
    data_offset: int
    header_crc: int
    reserved: bytes


@dataclass(frozen=True)
class TensorEntry:
    """One index entry; ``offset`` is relative to the data section."""

    name: str
    dtype: DType
    shape: tuple[int, ...]
    offset: int
    size: int

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass
class AprFile:
    """A parsed APR file. ``tensors`` is empty when only the index was read."""

    path: Path
    header: AprHeader
    metadata: dict[str, Any]
    entries: list[TensorEntry]
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    file_size: int = 0

    @property
    def param_count(self) -> int:
        return sum(e.numel for e in self.entries)


# ============================================================================ writer
def _tensor_bytes(name: str, tensor: torch.Tensor) -> tuple[int, bytes | memoryview]:
    """(dtype code, payload bytes): a zero-copy view of a contiguous CPU tensor."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"APR tensor {name!r}: expected a torch.Tensor, got {type(tensor).__name__}")
    t = tensor.detach().to("cpu").contiguous()
    code = WRITE_CODES.get(t.dtype)
    if code is None:
        raise TypeError(
            f"APR tensor {name!r}: dtype {t.dtype} has no APR code (write one of {list(WRITE_CODES)})"
        )
    if t.dim() > MAX_NDIM:
        raise ValueError(f"APR tensor {name!r}: {t.dim()} dims exceeds the format's cap of {MAX_NDIM}")
    if t.numel() == 0:
        return code, b""
    return code, memoryview(t.reshape(-1).view(torch.uint8).numpy())


def build_metadata(tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The metadata actually written: the caller's keys plus aprender's always-written fields."""
    out = dict(metadata)
    check_canonical_keys(out)
    out.setdefault("model_type", "custom")
    for key in ("license", "data_source", "data_license"):
        out.setdefault(key, None)
    out.setdefault("param_count", sum(int(t.numel()) for t in tensors.values()))
    out.setdefault("total_size", sum(int(t.numel()) * t.element_size() for t in tensors.values()))
    return out


def save_apr(path: str | Path, tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, Any]) -> Path:
    """Write an APR v2 file atomically (temp file, fsync, rename); same inputs, same bytes.

    Tensors are stored in their own dtype (F32/F16/BF16/F64/I32/I64/I8/U8),
    row-major, under their given names; metadata becomes compact JSON with
    sorted keys. ``HAS_VOCAB`` is set when ``tokenizer.vocabulary`` is present;
    ``LAYOUT_ROW_MAJOR`` always.
    """
    if sys.byteorder != "little":  # pragma: no cover - no big-endian CI
        raise RuntimeError("APR files are little-endian; writing from a big-endian host is not implemented")
    meta = build_metadata(tensors, metadata)
    try:
        meta_bytes = json.dumps(
            meta, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode()
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"APR metadata is not JSON-serialisable (finite numbers, strings, lists, dicts): {exc}"
        ) from None
    if len(meta_bytes) > 0xFFFFFFFF:
        raise ValueError("APR metadata exceeds the u32 metadata_size field")

    names = sorted(tensors, key=lambda n: n.encode("utf-8"))
    index = bytearray()
    payload_plan: list[tuple[str, int, int]] = []  # (name, code, size)
    offset = 0
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValueError(f"APR tensor name {name!r} must be a non-empty string")
        name_b = name.encode("utf-8")
        if len(name_b) > MAX_NAME_BYTES:
            raise ValueError(f"APR tensor name {name!r} is {len(name_b)} bytes; the cap is {MAX_NAME_BYTES}")
        t = tensors[name]
        code = WRITE_CODES.get(t.dtype) if isinstance(t, torch.Tensor) else None
        if code is None:
            _tensor_bytes(name, t)  # raises the precise TypeError
            raise AssertionError("unreachable")
        if t.dim() > MAX_NDIM:
            raise ValueError(f"APR tensor {name!r}: {t.dim()} dims exceeds the format's cap of {MAX_NDIM}")
        shape = tuple(int(s) for s in t.shape)
        size = math.prod(shape) * t.element_size()
        index += struct.pack("<H", len(name_b)) + name_b + struct.pack("<BB", code, len(shape))
        index += struct.pack(f"<{len(shape)}Q", *shape) + struct.pack("<QQ", offset, size)
        payload_plan.append((name, code, size))
        offset += align64(size)
    if len(names) > 0xFFFFFFFF:
        raise ValueError("too many tensors for the u32 tensor_count field")

    metadata_offset = HEADER_SIZE
    tensor_index_offset = metadata_offset + align64(len(meta_bytes))
    data_offset = tensor_index_offset + align64(len(index))
    flags = FLAG_LAYOUT_ROW_MAJOR | (FLAG_HAS_VOCAB if "tokenizer.vocabulary" in meta else 0)
    fields = [
        APR_MAGIC_V2,
        2,
        0,
        flags,
        len(names),
        metadata_offset,
        len(meta_bytes),
        tensor_index_offset,
        data_offset,
    ]
    header = bytearray(HEADER.pack(*fields, 0, b"\x00" * 20))
    struct.pack_into("<I", header, 40, header_crc(bytes(header)))

    target = Path(path)
    with atomic_open(target) as fh:
        crc = 0
        for chunk in (bytes(header), meta_bytes, _pad(len(meta_bytes)), bytes(index), _pad(len(index))):
            crc = _write(fh, chunk, crc)
        for name, _code, size in payload_plan:
            _code2, data = _tensor_bytes(name, tensors[name])
            if len(data) != size:  # tensor mutated between planning and writing
                raise RuntimeError(f"APR tensor {name!r} changed size while being written")
            crc = _write(fh, data, crc)
            crc = _write(fh, _pad(size), crc)
        fh.write(struct.pack("<I", crc & 0xFFFFFFFF))
    return target


def _write(fh: BinaryIO, data: bytes | memoryview, crc: int) -> int:
    fh.write(data)
    return zlib.crc32(data, crc)


# ============================================================================ reader
class _Reader:
    """Bounds-checked reads from one open file; every failure is an AprFormatError."""

    def __init__(self, path: Path, fh: BinaryIO, size: int) -> None:
        self.path = path
        self.fh = fh
        self.size = size

    def fail(self, where: str, message: str, **kw: Any) -> AprFormatError:
        return AprFormatError(self.path, where, message, **kw)

    def read(self, offset: int, length: int, what: str) -> bytearray:
        """Exactly ``length`` bytes at ``offset``, allocated only after the bounds check."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise self.fail(
                f"{what} at offset {offset}",
                f"needs bytes [{offset}, {offset + length}) but the file has {self.size} bytes (truncated or corrupt)",
            )
        self.fh.seek(offset)
        data = bytearray(length)
        got = self.fh.readinto(data) if length else 0
        if got != length:
            raise self.fail(f"{what} at offset {offset}", f"short read: expected {length} bytes, got {got}")
        return data


def _parse_header(r: _Reader) -> tuple[AprHeader, dict[int, DType]]:
    """Rules 1-4 and 8 (data_offset alignment) of apr-format.md §3."""
    dtypes = _check_magic(r)
    h = _read_fixed_header(r)
    _check_offsets(r, h)
    return h, dtypes


def _check_magic(r: _Reader) -> dict[int, DType]:
    """Rule 1: the magic (v2, early v2; v1 refused with its reason); the dtype table it implies."""
    if r.size < 4:
        found = bytes(r.read(0, r.size, "magic"))
        raise r.fail(
            "magic at offset 0",
            f"file has only {r.size} bytes (empty or truncated); expected magic {APR_MAGIC_V2!r}, found {found!r}",
        )
    magic = bytes(r.read(0, 4, "magic"))
    if magic == APR_MAGIC_V1:
        version = bytes(r.read(4, 1, "version byte")) if r.size >= 5 else b""
        if version != b"\x02":
            raise r.fail(
                "magic at offset 0",
                f"this is an APR v1 file (magic {APR_MAGIC_V1!r}, version byte {version!r}: MessagePack metadata and "
                "a bincode-serialised Rust payload), which is not a portable format and is not supported",
                fix="re-export the model from aprender as APR v2 (magic APR\\0), safetensors or GGUF",
            )
        dtypes = DTYPES_EARLY
    elif magic == APR_MAGIC_EARLY_V2:
        dtypes = DTYPES_EARLY
    elif magic == APR_MAGIC_V2:
        dtypes = DTYPES_V2
    else:
        raise r.fail(
            "magic at offset 0",
            f"expected {APR_MAGIC_V2!r} (APR v2), found {magic!r} (hex {magic.hex(' ')}): not an APR file",
        )
    return dtypes


def _read_fixed_header(r: _Reader) -> AprHeader:
    """Rules 2-3: the 64-byte header, its CRC, version 2 and flags (row-major, uncompressed, unencrypted)."""
    if r.size < HEADER_SIZE:
        raise r.fail(
            "header", f"file has {r.size} bytes, fewer than the {HEADER_SIZE}-byte header (truncated)"
        )
    raw = bytes(r.read(0, HEADER_SIZE, "header"))
    h = AprHeader(*HEADER.unpack(raw))
    expected_crc = header_crc(raw)
    if h.header_crc != expected_crc:
        raise r.fail(
            "header CRC at offset 40",
            f"expected 0x{expected_crc:08x} (CRC-32 of header bytes 0..40 + 44..64), found 0x{h.header_crc:08x}: "
            "the header is corrupt",
        )
    if h.version_major != 2:
        raise r.fail("version_major at offset 4", f"expected 2, found {h.version_major}")
    if h.flags & FLAG_LAYOUT_COLUMN_MAJOR:
        raise r.fail(
            "flags at offset 6",
            f"LAYOUT_COLUMN_MAJOR (0x0800) is set (flags 0x{h.flags:04x}); APR tensors must be row-major",
        )
    for bit, label in (
        (FLAG_LZ4, "LZ4_COMPRESSED"),
        (FLAG_ZSTD, "ZSTD_COMPRESSED"),
        (FLAG_ENCRYPTED, "ENCRYPTED"),
    ):
        if h.flags & bit:
            raise r.fail(
                "flags at offset 6",
                f"{label} (0x{bit:04x}) is set (flags 0x{h.flags:04x}); compressed/encrypted APR files are not supported",
                fix="re-export the file uncompressed and unencrypted",
            )
    if h.flags & ~FLAGS_DEFINED:
        warnings.warn(
            f"{r.path}: APR flags 0x{h.flags:04x} set undefined bits 0x{h.flags & ~FLAGS_DEFINED:04x}",
            stacklevel=4,
        )
    return h


def _check_offsets(r: _Reader, h: AprHeader) -> None:
    """Rules 4 and 8: metadata, index and data regions in order, inside the file, data aligned."""
    payload_end = r.size - FOOTER_SIZE
    if payload_end < HEADER_SIZE:
        raise r.fail("footer", f"file has {r.size} bytes: no room for the 4-byte CRC footer after the header")
    if h.metadata_offset < HEADER_SIZE:
        raise r.fail(
            "metadata_offset at offset 12",
            f"expected >= {HEADER_SIZE} (after the header), found {h.metadata_offset}",
        )
    if h.metadata_offset + h.metadata_size > payload_end:
        raise r.fail(
            "metadata_offset/metadata_size at offsets 12/20",
            f"metadata [{h.metadata_offset}, {h.metadata_offset + h.metadata_size}) runs past the end of the data "
            f"({payload_end} bytes before the footer)",
        )
    if h.tensor_index_offset < h.metadata_offset + h.metadata_size:
        raise r.fail(
            "tensor_index_offset at offset 24",
            f"expected >= {h.metadata_offset + h.metadata_size} (end of metadata), found {h.tensor_index_offset}",
        )
    if h.data_offset < h.tensor_index_offset or h.data_offset > payload_end:
        raise r.fail(
            "data_offset at offset 32",
            f"expected within [{h.tensor_index_offset}, {payload_end}] (index start .. footer), found {h.data_offset}",
        )
    if h.data_offset % ALIGN:
        raise r.fail("data_offset at offset 32", f"expected a multiple of {ALIGN}, found {h.data_offset}")


def _parse_metadata(r: _Reader, h: AprHeader) -> dict[str, Any]:
    """Rule 5: the metadata is a strict-UTF-8 JSON object (NaN/Infinity refused)."""
    raw = r.read(h.metadata_offset, h.metadata_size, "metadata")
    where = f"metadata JSON at offset {h.metadata_offset} ({h.metadata_size} bytes)"
    from trainer.checkpoint.bounded_json import load_bounded

    try:
        meta = load_bounded(raw, max_bytes=len(raw))
    except ValueError as exc:  # BoundedJsonError: bad UTF-8/JSON, too deep, huge integer, NaN
        raise r.fail(
            where, f"expected a UTF-8 JSON object, found invalid data ({exc})", gate_id=FALSIFY_APR_PRETRAIN_INIT_005
        ) from None
    if not isinstance(meta, dict):
        raise r.fail(where, f"expected a JSON object, found {type(meta).__name__}",
                     gate_id=FALSIFY_APR_PRETRAIN_INIT_005)
    return meta


def _parse_index(r: _Reader, h: AprHeader, dtypes: dict[int, DType]) -> list[TensorEntry]:
    """Rules 6-9: exactly tensor_count entries, each field bounds-checked before use."""
    start, end = h.tensor_index_offset, h.data_offset
    if h.tensor_count * INDEX_ENTRY_MIN > end - start:
        raise r.fail(
            "tensor_count at offset 8",
            f"{h.tensor_count} entries need at least {h.tensor_count * INDEX_ENTRY_MIN} index bytes but the index "
            f"region [{start}, {end}) holds {end - start}",
        )
    buf = bytes(r.read(start, end - start, "tensor index"))
    payload_end = r.size - FOOTER_SIZE
    entries: list[TensorEntry] = []
    pos = 0
    prev: bytes | None = None

    def take(n: int, what: str, i: int) -> bytes:
        nonlocal pos
        if pos + n > len(buf):
            raise r.fail(
                f"tensor index entry {i} field {what} at offset {start + pos}",
                f"needs {n} bytes but the index ends at offset {end} (data_offset)",
            )
        out = buf[pos : pos + n]
        pos += n
        return out

    for i in range(h.tensor_count):
        entry_off = start + pos
        (name_len,) = struct.unpack("<H", take(2, "name_len", i))
        if name_len == 0 or name_len > MAX_NAME_BYTES:
            raise r.fail(
                f"tensor index entry {i} name_len at offset {entry_off}",
                f"expected 1..{MAX_NAME_BYTES}, found {name_len}",
            )
        name_b = take(name_len, "name", i)
        try:
            name = name_b.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            raise r.fail(
                f"tensor index entry {i} name at offset {entry_off + 2}", f"not valid UTF-8: {name_b!r}"
            ) from None
        where = f"tensor {name!r} (index entry {i} at offset {entry_off})"
        if prev is not None and name_b <= prev:
            problem = (
                "duplicate name"
                if name_b == prev
                else f"names out of order ({prev.decode('utf-8', 'replace')!r} before it)"
            )
            raise r.fail(where, f"{problem}; the index must be sorted by name, strictly ascending")
        prev = name_b
        code, ndim = struct.unpack("<BB", take(2, "dtype/ndim", i))
        dtype = dtypes.get(code)
        if dtype is None:
            raise r.fail(where, f"unknown dtype code {code} (known for magic {h.magic!r}: {sorted(dtypes)})")
        if ndim > MAX_NDIM:
            raise r.fail(where, f"ndim {ndim} exceeds the format's cap of {MAX_NDIM}")
        shape = struct.unpack(f"<{ndim}Q", take(8 * ndim, "dims", i))
        offset, size = struct.unpack("<QQ", take(16, "offset/size", i))
        if offset % ALIGN:
            raise r.fail(where, f"payload offset {offset} is not a multiple of {ALIGN}")
        if h.data_offset + offset + size > payload_end:
            raise r.fail(
                where,
                f"payload [{h.data_offset + offset}, {h.data_offset + offset + size}) runs past the end of the data "
                f"({payload_end} bytes before the footer; file is {r.size} bytes)",
            )
        expected = dtype.payload_size(shape)
        if size != expected:
            raise r.fail(
                where,
                f"payload size {size} does not match dtype {dtype.name} shape {list(shape)}: expected {expected} bytes",
            )
        entries.append(TensorEntry(name, dtype, tuple(shape), offset, size))
    # Payloads may be in any order (the streaming writer uses insertion order) but must not overlap.
    spans = sorted((e.offset, e.offset + e.size, e.name) for e in entries if e.size)
    for (_a0, a1, an), (b0, _b1, bn) in itertools.pairwise(spans):
        if b0 < a1:
            raise r.fail(
                f"tensor {bn!r}",
                f"payload at data offset {b0} overlaps tensor {an!r}'s payload ending at {a1}",
            )
    return entries


def _verify_footer(r: _Reader) -> None:
    """Rule 10: CRC-32 over every byte before the footer, streamed in chunks."""
    footer = r.read(r.size - FOOTER_SIZE, FOOTER_SIZE, "footer")
    (stored,) = struct.unpack("<I", footer)
    crc = 0
    r.fh.seek(0)
    remaining = r.size - FOOTER_SIZE
    while remaining:
        chunk = r.fh.read(min(remaining, 16 << 20))
        if not chunk:
            raise r.fail("footer", "file shrank while its CRC was being computed")
        crc = zlib.crc32(chunk, crc)
        remaining -= len(chunk)
    crc &= 0xFFFFFFFF
    if crc != stored:
        raise r.fail(
            f"footer CRC at offset {r.size - FOOTER_SIZE}",
            f"expected 0x{crc:08x} (CRC-32 of the preceding {r.size - FOOTER_SIZE} bytes), found 0x{stored:08x}: "
            "the file is corrupt or truncated",
            fix="re-copy or re-export the file; pass verify_crc=False only to inspect a damaged file",
        )


def _decode(entry: TensorEntry, data: bytes | bytearray) -> torch.Tensor:
    """Payload bytes -> tensor of ``entry.shape`` (quantized codes dequantized to float32)."""
    dt = entry.dtype
    if entry.numel == 0:
        return torch.empty(entry.shape, dtype=dt.torch_dtype or torch.float32)
    if dt.torch_dtype is not None:
        buf = data if isinstance(data, bytearray) else bytearray(data)  # no copy for the reader's own buffers
        return torch.frombuffer(buf, dtype=dt.torch_dtype).reshape(entry.shape)
    import numpy as np

    raw = np.frombuffer(bytes(data), dtype=np.uint8)
    if dt.name in ("Q4_K", "Q6_K"):
        from gguf import GGMLQuantizationType
        from gguf.quants import dequantize

        rows, cols = _rows_cols(entry.shape)
        qtype = GGMLQuantizationType.Q4_K if dt.name == "Q4_K" else GGMLQuantizationType.Q6_K
        values = dequantize(raw.reshape(rows, -1), qtype)[:, :cols]
    elif dt.name in ("APR_Q8", "APR_Q8_LEGACY"):
        scale = raw[:4].view(np.float32)[0]
        values = raw[4:].view(np.int8).astype(np.float32) * scale
    else:  # APR_Q4: per 32 values an f16 scale then 16 nibble bytes (low nibble = even element)
        blocks = raw.reshape(-1, 18)
        scales = blocks[:, :2].copy().view(np.float16).astype(np.float32)
        nib = blocks[:, 2:]
        q = np.empty((blocks.shape[0], 32), dtype=np.float32)
        q[:, 0::2] = (nib & 0x0F).astype(np.float32) - 8.0
        q[:, 1::2] = (nib >> 4).astype(np.float32) - 8.0
        values = (q * scales).reshape(-1)[: entry.numel]
    return torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32)).reshape(entry.shape)


def _open_and_parse(
    path: str | Path, *, index: bool
) -> tuple[_Reader, AprHeader, dict[str, Any], list[TensorEntry], BinaryIO]:
    p = Path(path)
    try:
        fh = open(p, "rb")  # noqa: SIM115 - closed by the caller
    except FileNotFoundError:
        raise AprFormatError(
            p, "path", "file does not exist", gate_id=FALSIFY_APR_PRETRAIN_INIT_003
        ) from None
    except IsADirectoryError:
        raise AprFormatError(p, "path", "is a directory, expected an .apr file") from None
    except OSError as exc:
        raise AprFormatError(p, "path", f"cannot open: {exc.strerror}") from None
    try:
        size = p.stat().st_size
        r = _Reader(p, fh, size)
        h, dtypes = _parse_header(r)
        meta = _parse_metadata(r, h)
        entries = _parse_index(r, h, dtypes) if index else []
    except BaseException:
        fh.close()
        raise
    return r, h, meta, entries, fh


def read_apr_metadata(path: str | Path) -> dict[str, Any]:
    """The metadata JSON, after validating the header (not the tensors, not the footer CRC)."""
    _r, _h, meta, _e, fh = _open_and_parse(path, index=False)
    fh.close()
    return meta


def read_apr_index(path: str | Path, *, verify_crc: bool = False) -> AprFile:
    """Header, metadata and validated tensor index, without loading any tensor (for ``apr inspect``)."""
    r, h, meta, entries, fh = _open_and_parse(path, index=True)
    try:
        if verify_crc:
            _verify_footer(r)
    finally:
        fh.close()
    return AprFile(Path(path), h, meta, entries, {}, r.size)


def load_apr(path: str | Path, *, verify_crc: bool = True) -> AprFile:
    """Validate and load every tensor (apr-format.md §3 rules 1-10).

    ``verify_crc=False`` skips the whole-file footer CRC (rule 10), for huge
    files read repeatedly; the header CRC and every bounds check still apply.
    Quantized tensors (Q4_K, Q6_K, APR_Q4, APR_Q8) are dequantized to float32.
    """
    r, h, meta, entries, fh = _open_and_parse(path, index=True)
    try:
        if verify_crc:
            _verify_footer(r)
        tensors: dict[str, torch.Tensor] = {}
        for e in entries:
            data = r.read(h.data_offset + e.offset, e.size, f"tensor {e.name!r} payload")
            try:
                tensors[e.name] = _decode(e, data)
            except (ValueError, RuntimeError) as exc:
                raise r.fail(f"tensor {e.name!r}", f"cannot decode {e.dtype.name} payload: {exc}") from None
    finally:
        fh.close()
    return AprFile(Path(path), h, meta, entries, tensors, r.size)
