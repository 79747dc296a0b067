"""A bounds-checked safetensors reader (header parsed and validated before any tensor read).

The format is an 8-byte little-endian header length N, N bytes of JSON, then the
data buffer. Every tensor's ``data_offsets`` must lie inside the buffer and
match ``prod(shape) * itemsize``; ranges may not overlap. All of that is
checked on open, so a header claiming a terabyte tensor or an offset past the
end is a clean ``FALSIFY-APR-PRETRAIN-INIT-004`` error, never an allocation.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.checkpoint.bounded_json import BoundedJsonError, load_bounded
from trainer.checkpoint.init_errors import InitError
from trainer.checkpoint.source import TensorInfo
from trainer.errors import FALSIFY_APR_PRETRAIN_INIT_004

if TYPE_CHECKING:
    import torch

MAX_HEADER = 100 * 1024 * 1024  # the limit the reference implementation uses
SAFETENSORS_DEPTH = 4  # {name: {"shape": [..]}} and {"__metadata__": {k: v}} are 3 deep

ITEMSIZE: dict[str, int] = {
    "F64": 8,
    "F32": 4,
    "F16": 2,
    "BF16": 2,
    "I64": 8,
    "I32": 4,
    "I16": 2,
    "I8": 1,
    "U8": 1,
    "BOOL": 1,
}
FLOAT_DTYPES = ("F64", "F32", "F16", "BF16")


@dataclass(frozen=True)
class _Entry:
    dtype: str
    shape: tuple[int, ...]
    start: int  # absolute file offset
    nbytes: int


class SafetensorsFile:
    """One .safetensors file, validated on open."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.entries: dict[str, _Entry] = {}
        self.user_metadata: dict[str, str] = {}
        self._parse()

    def _fail(self, message: str) -> InitError:
        return InitError(FALSIFY_APR_PRETRAIN_INIT_004,
                         f"{self.path}: {message}", fix="re-download or re-export the safetensors file")

    def _parse(self) -> None:
        size = self.path.stat().st_size
        with open(self.path, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise self._fail(f"truncated safetensors: {size} bytes, need at least 8 for the header length")
            (n,) = struct.unpack("<Q", head)
            if n > MAX_HEADER or 8 + n > size:
                raise self._fail(
                    f"safetensors header claims {n} bytes but the file has {size - 8} after the length field"
                    + (f" (limit {MAX_HEADER})" if n > MAX_HEADER else "")
                )
            raw = fh.read(n)
        try:
            header = load_bounded(raw, max_depth=SAFETENSORS_DEPTH)
        except BoundedJsonError as exc:
            raise self._fail(f"safetensors header (bytes 8..{8 + n}) is not JSON: {exc}") from None
        if not isinstance(header, dict):
            raise self._fail("safetensors header is not a JSON object")
        data_start = 8 + n
        buffer_len = size - data_start
        spans: list[tuple[int, int, str]] = []
        for name, spec in header.items():
            if name == "__metadata__":
                if isinstance(spec, dict):
                    self.user_metadata = {str(k): str(v) for k, v in spec.items()}
                continue
            self.entries[name] = self._entry(name, spec, data_start, buffer_len)
            e = self.entries[name]
            spans.append((e.start, e.start + e.nbytes, name))
        spans.sort()
        for (_, end_a, a), (start_b, _, b) in itertools.pairwise(spans):
            if start_b < end_a:
                raise self._fail(f"tensors {a!r} and {b!r} overlap in the data buffer")

    def _entry(self, name: str, spec: Any, data_start: int, buffer_len: int) -> _Entry:
        if not isinstance(spec, dict):
            raise self._fail(f"tensor {name!r}: header entry is not an object")
        dtype, shape, offs = spec.get("dtype"), spec.get("shape"), spec.get("data_offsets")
        if not isinstance(dtype, str) or dtype not in ITEMSIZE:
            raise self._fail(f"tensor {name!r}: dtype {dtype!r} not supported (supported: {', '.join(ITEMSIZE)})")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise self._fail(f"tensor {name!r}: shape {shape!r} is not a list of non-negative integers")
        if (
            not isinstance(offs, list)
            or len(offs) != 2
            or not all(isinstance(o, int) and o >= 0 for o in offs)
            or offs[0] > offs[1]
        ):
            raise self._fail(f"tensor {name!r}: data_offsets {offs!r} is not [begin, end] with begin <= end")
        numel = 1
        for d in shape:
            numel *= d
        expected = numel * ITEMSIZE[dtype]
        begin, end = offs
        if end > buffer_len:
            raise self._fail(
                f"tensor {name!r}: data_offsets [{begin}, {end}] point past the end of the "
                f"{buffer_len}-byte data buffer (file truncated or header hostile)"
            )
        if end - begin != expected:
            raise self._fail(
                f"tensor {name!r}: {dtype}{shape} needs {expected} bytes but data_offsets span {end - begin}"
            )
        return _Entry(dtype, tuple(shape), data_start + begin, end - begin)

    def info(self, name: str, hf: str | None = None) -> TensorInfo:
        e = self.entries[name]
        return TensorInfo(hf or name, e.shape, e.dtype, name, e.nbytes)

    def load(self, name: str) -> torch.Tensor:
        """Read one tensor (already proven in bounds) and return it as fp32."""
        import torch

        e = self.entries[name]
        if e.dtype not in FLOAT_DTYPES:
            raise self._fail(f"tensor {name!r} has integer dtype {e.dtype}; model weights must be floating point")
        with open(self.path, "rb") as fh:
            fh.seek(e.start)
            raw = bytearray(fh.read(e.nbytes))
        if len(raw) != e.nbytes:
            raise self._fail(f"tensor {name!r} truncated while reading")
        torch_dtype = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}[
            e.dtype
        ]
        if e.nbytes == 0:
            return torch.zeros(e.shape, dtype=torch.float32)
        t = torch.frombuffer(raw, dtype=torch_dtype).reshape(e.shape)
        return t.to(torch.float32) if torch_dtype != torch.float32 else t
